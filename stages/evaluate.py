"""Stage evaluate: score each trained model on the test set (the only stage that reads it).

Reads: per --model NAME MODEL IMAGES, a .keras model and its test tensor; --labels.
Writes, only once every model is scored:
  --metrics (metrics/test.json)   per model NAME: test accuracy, loss and parameter count
                                  (the DVC metric: `dvc metrics diff`, `dvc exp show`)
  --timing (timings/inference.json)  per model NAME: inference throughput (test images per
                                  second, batch inference): a timing, so not a DVC metric
  into --out-dir (metrics/), per model NAME:
    NAME_predictions.csv   actual and predicted class per test image: the DVC confusion
                           plot, and the paired predictions compare tests significance on
    NAME_per_class.csv     precision, recall and F1 per class, with its number of images
Params: evaluate.batch_size (inference only: it changes speed, not results).
"""

import argparse
from pathlib import Path

import pandas as pd

from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.files import load_array, write_csv, write_json
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.evaluation.statistics import per_class_metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate trained models on the test set.")
    parser.add_argument("--model", nargs=3, action="append", required=True,
                        metavar=("NAME", "MODEL", "IMAGES"), help="a model and its test tensor")
    parser.add_argument("--labels", required=True, help="test labels (.npy)")
    parser.add_argument("--metrics", required=True, help="test metrics of every model (JSON)")
    parser.add_argument("--timing", required=True, help="inference speed of every model (JSON)")
    parser.add_argument("--out-dir", required=True, help="folder for predictions and per-class CSVs")
    args = parser.parse_args(argv)
    batch_size = load_params(["evaluate"])["evaluate"]["batch_size"]
    labels = load_array(args.labels)

    from dense_vs_cnn.evaluation.scoring import check_input_shape, score  # imports TensorFlow
    from dense_vs_cnn.model.saving import load_model

    metrics, speed, tables = {}, {}, {}
    for name, model_path, images_path in args.model:
        images = load_array(images_path)
        model = load_model(model_path)
        check_input_shape(model, model_path, images.shape[1:])
        metrics[name], speed[name], predicted = score(model, images, labels, batch_size)
        tables[f"{name}_predictions.csv"] = (pd.DataFrame({"actual": labels, "predicted": predicted}), None)
        per_class = per_class_metrics(labels, predicted, model.output_shape[-1])
        tables[f"{name}_per_class.csv"] = (per_class, "%.6f")
        print(f"{name}: test accuracy {metrics[name]['accuracy']:.4f}, test loss {metrics[name]['loss']:.4f}")
    # Written only now: a model that fails to load or score leaves no result of the others.
    for file_name, (table, float_format) in tables.items():
        write_csv(Path(args.out_dir, file_name), table, float_format)
    write_json(args.timing, speed)
    write_json(args.metrics, metrics)


if __name__ == "__main__":
    run_stage(main)
