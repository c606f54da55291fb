"""Stage evaluate: score each trained model on the test set (the only stage that reads it).

Reads: per --model NAME MODEL IMAGES, a .keras model and its test tensor; --labels.
Writes: into --out-dir (metrics/), per model NAME:
  NAME_test.json         test accuracy and loss, parameter count: a DVC metric
  NAME_inference.json    inference throughput (test images per second, batch inference)
  NAME_predictions.csv   actual and predicted class per test image: the DVC confusion
                         plot, and the paired predictions compare tests significance on
  NAME_per_class.csv     precision, recall and F1 per class, with its number of images
Params: evaluate.batch_size (inference only: it changes speed, not results).

Every model is scored before anything is written: a bad model leaves the previous files.
"""

import argparse
from pathlib import Path

import pandas as pd

from dense_vs_cnn.core.checks import check_examples
from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.files import atomic_path, load_array, write_json
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.evaluation.statistics import per_class_metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate trained models on the test set.")
    parser.add_argument("--model", nargs=3, action="append", required=True,
                        metavar=("NAME", "MODEL", "IMAGES"), help="a model and its test tensor")
    parser.add_argument("--labels", required=True, help="test labels (.npy)")
    parser.add_argument("--out-dir", required=True, help="folder for metrics and predictions")
    args = parser.parse_args(argv)
    batch_size = load_params(["evaluate"])["evaluate"]["batch_size"]
    labels = load_array(args.labels)

    from dense_vs_cnn.evaluation.scoring import check_input_shape, score  # imports TensorFlow
    from dense_vs_cnn.model.saving import load_model

    scored = {}
    for name, model_path, images_path in args.model:
        images = load_array(images_path)
        model = load_model(model_path)
        check_examples(images, images_path, labels, args.labels, model.output_shape[-1])
        check_input_shape(model, model_path, images.shape[1:])
        scored[name] = model, *score(model, images, labels, batch_size, name=model_path)
    for name, (model, metrics, speed, predicted) in scored.items():
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
