"""The library behind the MNIST dense-vs-CNN pipeline; the stage scripts in stages/ call it.

Subpackages, by role (each DVC stage depends on the ones it imports, as whole folders):
  core        what every stage shares: errors, params schema, file helpers, dataset registry
  data        the IDX format, fetching from mirrors, preparing tensors
  model       the two architectures, training, tf.distribute, saving and safe loading
  evaluation  scoring a model on the test set, and the statistics that compare two
  report      the Markdown report, its figures and its words in each language
  predict     your own images the MNIST way, and the `digits-predict` command
Pure functions take plain values; only stages/ and the `digits-predict` command read
params.yaml or parse arguments.
"""
