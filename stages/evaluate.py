"""Stage evaluate: score every trained model on the test set (the only stage that reads it).

Reads: per --model NAME MODELS IMAGES, the .keras models of every seed (MODELS: a path
with `{seed}`, e.g. models/seed-{seed}/dense.keras) and their test tensor; --labels.
Writes, only once every model is scored:
  --metrics (metrics/test.json)      per model NAME: test accuracy, loss, expected calibration
                                     error (ece) and Brier score, averaged over the seeds, and
                                     the parameter count (the DVC metric: `dvc metrics diff`,
                                     `dvc exp show`)
  --scores (data/scores.json)        per seed and model: test accuracy, loss, ece, brier, parameters, FLOPs
                                     per image (inference_flops, training_flops: counted
                                     from the layers, dense_vs_cnn/model/costs.py) and the
                                     .keras file's size (model_bytes)
  --predictions (data/predictions.csv)  the actual class and, per model and seed, the
                                     predicted class of every test image (NAME_seedN):
                                     what compare tests significance on, seed by seed
  --probabilities (data/probabilities/)  per model NAME and seed N, NAME_seedN.npy: the class
                                     probabilities of every test image (float32, one row per
                                     image), what compare measures calibration on; other .npy
                                     files there are removed
  --timing (timings/inference.json)  per model NAME: inference throughput of the first
                                     seed's model: a wall-clock measurement of this machine,
                                     printed and logged there, neither a DVC output nor
                                     tracked by git
  into --out-dir (metrics/), per model NAME, for the first seed's model (the DVC plots):
    NAME_predictions.csv   actual and predicted class per test image (confusion matrix)
    NAME_per_class.csv     precision, recall and F1 per class, with its number of images
    NAME_reliability.csv   per confidence bin: images, mean confidence, accuracy (calibration.py)
Params: seeds (which models), evaluate.batch_size (inference only: it changes speed, not
results).

Every model is scored before anything is written: a bad model leaves the previous files.
Removes the seed folders of MODELS (models/seed-N/) whose seed is no longer in `seeds`,
so that dvc.yaml's `models` dependency holds exactly the models scored here, as on a
fresh clone; refuses a seed folder that is a symbolic link, and two seeds whose models
hold the same bytes.
"""

import argparse
import hashlib
from pathlib import Path

import pandas as pd

from dense_vs_cnn.core.checks import check_examples, load_images
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.core.files import (
    load_array,
    refuse_linked_model_folder,
    remove_other_seed_folders,
    save_array,
    write_csv,
    write_json,
)
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.core.quiet import import_tensorflow
from dense_vs_cnn.evaluation.calibration import reliability_table
from dense_vs_cnn.evaluation.statistics import per_class_metrics


def refuse_identical_models(paths):
    """Two seeds train two different models: identical bytes mean one file was written over the other."""
    seen = {}
    for seed, path in paths.items():
        digest = hashlib.md5(Path(path).read_bytes()).hexdigest()
        if digest in seen:
            raise PipelineError(f"{paths[seen[digest]]} and {path} hold the same bytes, which two seeds "
                                f"({seen[digest]} and {seed}) cannot train: one was written over the other; "
                                "delete both and run `dvc repro`")
        seen[digest] = seed


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate trained models on the test set.")
    parser.add_argument("--model", nargs=3, action="append", required=True,
                        metavar=("NAME", "MODELS", "IMAGES"),
                        help="a model's .keras files (a path with {seed}) and its test tensor")
    parser.add_argument("--labels", required=True, help="test labels (.npy)")
    parser.add_argument("--metrics", required=True, help="test metrics of every model (JSON)")
    parser.add_argument("--scores", required=True, help="every seed's test metrics (JSON)")
    parser.add_argument("--predictions", required=True, help="every seed's predictions (CSV)")
    parser.add_argument("--probabilities", required=True,
                        help="folder for every seed's class probabilities (NAME_seedN.npy)")
    parser.add_argument("--timing", required=True, help="where to log inference speed (JSON, not a result)")
    parser.add_argument("--out-dir", required=True, help="folder for the first seed's plot data (CSV)")
    args = parser.parse_args(argv)
    params = load_params()
    seeds, batch_size = params.seeds, params.evaluate.batch_size
    labels = load_array(args.labels)

    import_tensorflow()  # without its start-up notices
    from dense_vs_cnn.evaluation.scoring import check_input_shape, mean_over_seeds, score_seeds  # TensorFlow
    from dense_vs_cnn.model.saving import load_model

    metrics, scores, speed, tables, predictions, arrays = {}, {}, {}, {}, {"actual": labels}, {}
    for name, pattern, images_path in args.model:
        for folder in remove_other_seed_folders(pattern, seeds):
            print(f"removed {folder}: its seed is not in params.yaml's seeds (DVC's cache keeps its "
                  "models: adding the seed back restores them without training)")
        for seed in seeds:
            refuse_linked_model_folder(pattern.format(seed=seed))
        images = load_images(images_path)  # scaled, as the models were trained
        models = {seed: load_model(pattern.format(seed=seed)) for seed in seeds}
        refuse_identical_models({seed: pattern.format(seed=seed) for seed in seeds})
        check_examples(images, images_path, labels, args.labels, models[seeds[0]].output_shape[-1])
        for seed, model in models.items():  # the same images for every seed: checked once above
            check_input_shape(model, pattern.format(seed=seed), images.shape[1:])
        scores[name], speed[name], probabilities = score_seeds(models, images, labels, batch_size)
        predicted = {seed: values.argmax(axis=1) for seed, values in probabilities.items()}
        arrays.update({Path(args.probabilities, f"{name}_seed{seed}.npy"): values
                       for seed, values in probabilities.items()})
        for seed, each in scores[name].items():  # saved byte-stable (saving.py): a pure function too
            each["model_bytes"] = Path(pattern.format(seed=seed)).stat().st_size
        print(f"{name}, seed {seeds[0]}: {speed[name]['images_per_second']:,} test images/s "
              f"(wall time on this machine, logged in {args.timing})")
        metrics[name] = mean_over_seeds(scores[name])
        predictions.update({f"{name}_seed{seed}": classes for seed, classes in predicted.items()})
        first = predicted[seeds[0]]  # the single-run figures and tables: the first seed's model
        tables[f"{name}_predictions.csv"] = pd.DataFrame({"actual": labels, "predicted": first}), None
        classes = models[seeds[0]].output_shape[-1]
        tables[f"{name}_per_class.csv"] = per_class_metrics(labels, first, classes), "%.6f"
        tables[f"{name}_reliability.csv"] = reliability_table(probabilities[seeds[0]], labels), "%.6f"
    # Written only now: a model that fails to load or score leaves no result of the others.
    for file_name, (table, float_format) in tables.items():
        write_csv(Path(args.out_dir, file_name), table, float_format)
    write_csv(args.predictions, pd.DataFrame(predictions))
    for path, values in arrays.items():
        save_array(path, values)
    for stale in set(Path(args.probabilities).glob("*.npy")) - set(arrays):  # a seed or model left out
        stale.unlink()
    write_json(args.scores, {str(seed): {name: scores[name][seed] for name in scores} for seed in seeds})
    write_json(args.timing, speed)
    write_json(args.metrics, metrics)


if __name__ == "__main__":
    run_stage(main)
