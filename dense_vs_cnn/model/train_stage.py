"""The whole train_dense / train_cnn stage, for either architecture: the two stage scripts
call `train_stage` with their own params section, so they differ only in what they build.
`training_settings` and `train_quietly` are the steps the `permuted` stage shares with them,
so that the models it trains on permuted pixels follow exactly the same recipe.

Reads: the train and validation tensors and labels (--train, --val).
Writes: the model (--model, .keras) and its per-epoch history (--history, CSV, epochs from 1).
The wall time of `fit` is printed and kept in --timing (JSON), a log of this machine that
is neither a DVC output nor tracked by git (timings/ is git-ignored): the same params give
the same model and history bytes, never the same seconds.
"""

import argparse

from dense_vs_cnn.core.checks import load_examples
from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import atomic_path, refuse_linked_folder, write_csv, write_json
from dense_vs_cnn.core.params import check_seed, load_params
from dense_vs_cnn.core.quiet import filtered_stderr, import_tensorflow


def training_settings(params, section):
    """(the train_* section `section` of `params`, train.distribution), refusing a pair Keras cannot
    run: checked before TensorFlow is imported."""
    settings, distribution = getattr(params, section), params.train.distribution
    if distribution == "multi_worker" and settings.steps_per_execution != 1:
        # Keras 3.15's multi-step loop fails across workers (a placeholder is never fed).
        raise PipelineError(f"params.yaml: train.distribution = multi_worker needs "
                            f"{section}.steps_per_execution = 1, not {settings.steps_per_execution}")
    return settings, distribution


def train_quietly(architecture, settings, train, val, *, seed, distribution, num_classes):
    """dense_vs_cnn/model/training.py's `train`, TensorFlow imported without its start-up notices
    and tf.data's notice on each fit filtered out (core/quiet.py): (model, history, seconds)."""
    import_tensorflow()
    from dense_vs_cnn.model.training import bfloat16_hardware
    from dense_vs_cnn.model.training import train as train_model  # imports TensorFlow

    if settings.precision == "mixed_bfloat16" and bfloat16_hardware() is False:
        # Right, but slow: TensorFlow emulates bfloat16 there (the fast CNN's fit: 5.3x float32's time
        # on an AVX2-only EPYC, docs/benchmarks.md).
        print(f"note: train_{architecture}.precision = mixed_bfloat16, but this CPU has no bfloat16 "
              f"instructions (AVX512_BF16 or AMX), so TensorFlow emulates them, slower than float32; "
              f"for speed here, set train_{architecture}.precision to float32")
    with filtered_stderr():
        return train_model(architecture, settings, train, val, seed=seed, distribution=distribution,
                           num_classes=num_classes)


def train_stage(section, architecture, argv=None):
    parser = argparse.ArgumentParser(description=f"Train the {architecture} model ({section}).")
    parser.add_argument("--seed", type=int, required=True, help="an entry of params.yaml's seeds")
    parser.add_argument("--train", nargs=2, metavar=("IMAGES", "LABELS"), required=True)
    parser.add_argument("--val", nargs=2, metavar=("IMAGES", "LABELS"), required=True)
    parser.add_argument("--model", required=True, help="where to save the .keras model")
    parser.add_argument("--history", required=True, help="per-epoch history CSV")
    parser.add_argument("--timing", required=True, help="where to log the wall time of fit (JSON)")
    args = parser.parse_args(argv)
    params = load_params()  # before importing TensorFlow: fail fast
    for output in (args.model, args.history):
        refuse_linked_folder(output)  # before training, not after
    seed = check_seed(args.seed)
    settings, distribution = training_settings(params, section)
    num_classes = len(get_dataset(params.data.dataset).class_names)
    train, val = load_examples(*args.train, num_classes), load_examples(*args.val, num_classes)

    model, history, seconds = train_quietly(architecture, settings, train, val, seed=seed,
                                            distribution=distribution, num_classes=num_classes)
    from dense_vs_cnn.model.saving import save_model  # imports TensorFlow, imported by now

    with atomic_path(args.model) as model_path:
        save_model(model, model_path)
    write_csv(args.history, history)
    epochs = len(history)
    print(f"{architecture}, seed {seed}: fit took {seconds:.1f} s, {seconds / epochs:.1f} s per epoch "
          f"(wall time on this machine, logged in {args.timing})")
    write_json(args.timing, {"train_seconds": round(seconds, 2), "epochs": epochs})
