"""Stage robustness: score the first seed's two models on transformed copies of the test images.

Reads: per --model NAME PATH, a trained .keras model (the first seed's); --images, the test
images in either layout `preprocess` writes (test_channel.npy), and --labels.
Writes, once every model is scored:
  --table (metrics/robustness.csv)    per transform, severity and model: the images scored,
                                      those classified correctly, the accuracy and its 95 %
                                      Wilson interval (the DVC plot; what compare reads)
  --metrics (metrics/robustness.json) per model NAME: the accuracy at each transform's middle
                                      severity (the DVC metric: `dvc metrics diff`)
  --timing (timings/robustness.json)  the stage's wall time on this machine, printed and
                                      logged there, neither a DVC output nor tracked by git
Params: robustness.* (how many test images, the seed that draws them and what each gets,
each transform's severities), evaluate.batch_size (inference only: speed, not results).

The transforms are dense_vs_cnn/evaluation/transforms.py's: each model sees the same
transformed images, reshaped to its input. Evaluation only: no model is trained or changed.
"""

import argparse
import math
import time

import numpy as np

from dense_vs_cnn.core.checks import check_examples, load_images
from dense_vs_cnn.core.datasets import IMAGE_SIZE
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.core.files import load_array, refuse_linked_model_folder, write_csv, write_json
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.core.quiet import import_tensorflow
from dense_vs_cnn.evaluation.robustness import choose, headline, score_transformed
from dense_vs_cnn.evaluation.transforms import TRANSFORMS


def predictor(model, path, batch_size):
    """f(images (N, 28, 28)) -> the model's predicted classes, the images reshaped to its input."""
    if math.prod(model.input_shape[1:]) != IMAGE_SIZE**2:
        raise PipelineError(f"{path} expects inputs of shape {model.input_shape[1:]}, not {IMAGE_SIZE}x"
                            f"{IMAGE_SIZE} images: is it the right model for these images?")

    def predict(images):
        probabilities = model.predict(images.reshape(len(images), *model.input_shape[1:]),
                                      batch_size=batch_size, verbose=0)
        if not np.isfinite(probabilities).all():  # argmax would still pick a class: a silent wrong answer
            raise PipelineError(f"{path} predicts NaN or infinite probabilities: its weights are not "
                                "finite; delete it and run `dvc repro` to retrain")
        return probabilities.argmax(axis=1)

    return predict


def main(argv=None):
    parser = argparse.ArgumentParser(description="Score models on transformed copies of the test images.")
    parser.add_argument("--model", nargs=2, action="append", required=True, metavar=("NAME", "PATH"),
                        help="a model's name and its .keras file")
    parser.add_argument("--images", required=True, help="test images (.npy, as preprocess writes them)")
    parser.add_argument("--labels", required=True, help="test labels (.npy)")
    parser.add_argument("--table", required=True, help="accuracy per transform, severity and model (CSV)")
    parser.add_argument("--metrics", required=True, help="accuracy at each middle severity (JSON)")
    parser.add_argument("--timing", required=True, help="where to log the wall time (JSON, not a result)")
    args = parser.parse_args(argv)
    params = load_params()
    settings, batch_size = params.robustness, params.evaluate.batch_size
    start = time.perf_counter()
    # scaled, as the models were trained; either layout, as 28x28 images
    images = load_images(args.images).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    labels = load_array(args.labels)

    for _, path in args.model:
        refuse_linked_model_folder(path)
    import_tensorflow()  # without its start-up notices, after the params and data are checked
    from dense_vs_cnn.model.saving import load_model

    models = {name: load_model(path) for name, path in args.model}
    check_examples(images, args.images, labels, args.labels, next(iter(models.values())).output_shape[-1])
    predictors = {name: predictor(models[name], path, batch_size) for name, path in args.model}
    indices, drawn = choose(len(images), settings.images, settings.seed, images.shape[1:])
    levels = {transform: getattr(settings, transform) for transform in TRANSFORMS}
    table = score_transformed(predictors, images[indices], labels[indices], levels, drawn)
    # Written only now: a model that fails leaves the previous results of both.
    write_csv(args.table, table, "%.6g")
    write_json(args.metrics, headline(table))
    seconds = round(time.perf_counter() - start, 2)
    write_json(args.timing, {"seconds": seconds})
    conditions = 1 + sum(map(len, levels.values()))
    print(f"robustness: {len(models)} models x {conditions} transformed copies of {len(indices):,} test "
          f"images in {seconds} s (wall time on this machine, logged in {args.timing})")


if __name__ == "__main__":
    run_stage(main)
