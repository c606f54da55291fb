"""Stage evaluate: score each trained model on the test set (the only stage that reads it).

Reads: per --model NAME MODEL IMAGES, a .keras model and its test tensor; --labels.
Writes: into --out-dir (metrics/), per model NAME:
  NAME_test.json         test accuracy and loss, parameter count: a DVC metric
  NAME_inference.json    inference throughput (test images per second, batch inference)
  NAME_predictions.csv   actual and predicted class per test image: the DVC confusion
                         plot, and the paired predictions compare tests significance on
  NAME_per_class.csv     precision, recall and F1 per class, with its number of images
Params: evaluate.batch_size (inference only: it changes speed, not results).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from stages import PipelineError, run_stage
from stages.files import atomic_path, load_array, write_json
from stages.params import load_params
from stages.statistics import per_class_metrics


def load_model(path, expected_input_shape):
    """Load a .keras model in safe mode and check it takes images of this shape."""
    from stages import models  # imports TensorFlow: only once params are checked

    model = models.load_model(path)
    if tuple(model.input_shape[1:]) != tuple(expected_input_shape):
        raise PipelineError(
            f"{path} expects inputs of shape {model.input_shape[1:]} but the test images have "
            f"shape {tuple(expected_input_shape)}: is it the right model for these images?"
        )
    return model


def score(model, images, labels, batch_size):
    """Return test metrics, inference speed and the predicted class of every image."""
    import keras

    model.predict(images[:batch_size], batch_size=batch_size, verbose=0)  # builds the graph: not timed
    start = time.perf_counter()
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    predicted = probabilities.argmax(axis=1)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    metrics = {
        "accuracy": float(np.mean(predicted == labels)),
        "loss": float(keras.ops.convert_to_numpy(loss)),
        "parameters": int(model.count_params()),
    }
    # A timing varies from run to run: kept apart so `dvc metrics diff` shows real changes only.
    speed = {"images_per_second": round(len(images) / seconds)}
    return metrics, speed, predicted


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate trained models on the test set.")
    parser.add_argument("--model", nargs=3, action="append", required=True,
                        metavar=("NAME", "MODEL", "IMAGES"), help="a model and its test tensor")
    parser.add_argument("--labels", required=True, help="test labels (.npy)")
    parser.add_argument("--out-dir", required=True, help="folder for metrics and predictions")
    args = parser.parse_args(argv)
    batch_size = load_params(["evaluate"])["evaluate"]["batch_size"]
    labels = load_array(args.labels)

    for name, model_path, images_path in args.model:
        images = load_array(images_path)
        model = load_model(model_path, images.shape[1:])
        metrics, speed, predicted = score(model, images, labels, batch_size)
        write_json(Path(args.out_dir, f"{name}_test.json"), metrics)
        write_json(Path(args.out_dir, f"{name}_inference.json"), speed)
        with atomic_path(Path(args.out_dir, f"{name}_predictions.csv")) as temporary:
            pd.DataFrame({"actual": labels, "predicted": predicted}).to_csv(temporary, index=False)
        per_class = per_class_metrics(labels, predicted, model.output_shape[-1])
        with atomic_path(Path(args.out_dir, f"{name}_per_class.csv")) as temporary:
            per_class.to_csv(temporary, index=False, float_format="%.6f")
        print(f"{name}: test accuracy {metrics['accuracy']:.4f}, test loss {metrics['loss']:.4f}")


if __name__ == "__main__":
    run_stage(main)
