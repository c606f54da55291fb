"""Stage compare: write the Markdown report a pull-request reviewer reads, with its figures.

Reads: from --metrics-dir (metrics/), for each of the two --models NAME: NAME_test.json,
NAME_inference.json, NAME_predictions.csv and NAME_per_class.csv (evaluate), NAME_train.json and
NAME_history.csv (train_NAME); --test-images, only to draw the digits in the grids;
the .py files of --code, only to print their digest.
Writes: the PNG figures into --figures and the report to --report (reports/report.md).
Params: compare.* (language, bootstrap), data.dataset (class names, data digests); seed,
preprocess, train_*, evaluate only to print them in the reproducibility footer.

Every number comes from those files, and nothing else (no date, no git commit) enters
the report or the PNGs: re-running compare alone gives the same bytes.
"""

import argparse
import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from stages import PipelineError, figures, run_stage
from stages.datasets import get_dataset
from stages.files import load_array, read_json, write_text
from stages.params import load_params
from stages.report import MOST_CONFUSED_PAIRS, build_report, model_name
from stages.report_strings import STRINGS
from stages.statistics import confusion_matrix, mcnemar_exact, most_confused, paired_bootstrap_interval

FOOTER_SECTIONS = ["seed", "data", "preprocess", "train_dense", "train_cnn", "evaluate", "compare"]
PACKAGES = {"TensorFlow": "tensorflow", "Keras": "keras", "DVC": "dvc", "NumPy": "numpy",
            "matplotlib": "matplotlib"}


def read_csv(path):
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing: run `dvc repro` to build it") from None


def load_results(metrics_dir, name):
    parts = ("test", "train", "inference")
    results = {part: read_json(Path(metrics_dir, f"{name}_{part}.json")) for part in parts}
    for part in ("history", "predictions", "per_class"):
        results[part] = read_csv(Path(metrics_dir, f"{name}_{part}.csv"))
    return results


def head_to_head(results, num_classes, samples, seed):
    """Winner, loser and the paired statistics of the two models' test predictions."""
    first, second = (results[name]["predictions"] for name in results)
    if len(first) != len(second) or not first["actual"].equals(second["actual"]):
        raise PipelineError("the two models' predictions are not on the same test images: run `dvc repro`")
    accuracy = {name: result["test"]["accuracy"] for name, result in results.items()}
    winner, loser = sorted(results, key=accuracy.get, reverse=True)  # stable: a tie keeps the order
    correct = {name: (result["predictions"]["actual"] == result["predictions"]["predicted"]).to_numpy()
               for name, result in results.items()}
    confusion = {name: confusion_matrix(result["predictions"]["actual"], result["predictions"]["predicted"],
                                        num_classes) for name, result in results.items()}
    only_winner = int((correct[winner] & ~correct[loser]).sum())
    only_loser = int((correct[loser] & ~correct[winner]).sum())
    return {
        "winner": winner, "loser": loser, "tie": accuracy[winner] == accuracy[loser], "accuracy": accuracy,
        "interval": paired_bootstrap_interval(correct[loser], correct[winner], samples, seed),
        "samples": samples, "seed": seed, "images": len(first),
        "p_value": mcnemar_exact(only_winner, only_loser),
        "only_winner": only_winner, "only_loser": only_loser,
        "confusion": confusion, "most_confused": most_confused(confusion.values(), MOST_CONFUSED_PAIRS),
        "errors": (~correct[winner]).nonzero()[0],
        "disagreements": (first["predicted"] != second["predicted"]).to_numpy().nonzero()[0],
    }


def draw_figures(results, analysis, images, class_names, words, folder):
    """Write the four PNGs into `folder`; return {figure: path} in report order."""
    names = {name: model_name(name, words) for name in results}
    paths = {key: Path(folder, f"{key}.png")
             for key in ("learning_curves", "confusion_matrices", "errors", "disagreements")}
    figures.learning_curves({names[name]: result["history"] for name, result in results.items()},
                            words["labels"], paths["learning_curves"])
    figures.confusion_matrices({names[name]: matrix for name, matrix in analysis["confusion"].items()},
                               class_names, words["labels"], paths["confusion_matrices"])
    actual = results[analysis["winner"]]["predictions"]["actual"].map(class_names.__getitem__)
    predicted = {name: result["predictions"]["predicted"].map(class_names.__getitem__)
                 for name, result in results.items()}
    errors = analysis["errors"][:figures.GRID_SIZE]
    figures.image_grid(images[errors], [f"{actual[i]} → {predicted[analysis['winner']][i]}" for i in errors],
                       paths["errors"])
    disagreements = analysis["disagreements"][:figures.GRID_SIZE]
    titles = [f"{actual[i]}\n" + " / ".join(f"{names[name]} {model[i]}" for name, model in predicted.items())
              for i in disagreements]
    figures.image_grid(images[disagreements], titles, paths["disagreements"])
    return paths


def code_digest(folder):
    """md5 of every .py file under `folder`, names included, in a fixed order."""
    digest = hashlib.md5()
    for path in sorted(Path(folder).rglob("*.py")):
        digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the Markdown comparison report and its figures.")
    parser.add_argument("--metrics-dir", required=True, help="folder written by evaluate and train")
    parser.add_argument("--models", nargs=2, required=True, metavar="NAME", help="the two models to compare")
    parser.add_argument("--test-images", required=True, help="test images (.npy), for the digit grids")
    parser.add_argument("--code", required=True, help="the stages package, for its digest")
    parser.add_argument("--figures", required=True, help="folder for the PNG figures")
    parser.add_argument("--report", required=True, help="Markdown file to write")
    args = parser.parse_args(argv)
    params = load_params(FOOTER_SECTIONS)
    settings, dataset = params["compare"], get_dataset(params["data"]["dataset"])
    words = STRINGS[settings["language"]]
    results = {name: load_results(args.metrics_dir, name) for name in args.models}
    analysis = head_to_head(results, len(dataset.class_names), settings["bootstrap_samples"],
                            settings["bootstrap_seed"])
    images = load_array(args.test_images)
    if len(images) != analysis["images"]:
        raise PipelineError(f"{args.test_images} holds {len(images)} images but the predictions cover "
                            f"{analysis['images']}: run `dvc repro`")
    paths = draw_figures(results, analysis, images, dataset.class_names, words, args.figures)
    report_folder = Path(args.report).parent
    links = {key: Path(os.path.relpath(path, report_folder)).as_posix() for key, path in paths.items()}
    reproducibility = {
        "dataset": params["data"]["dataset"], "files": list(dataset.files.values()),
        "code_digest": code_digest(args.code), "code_folder": Path(args.code).as_posix(),
        "versions": {"Python": platform.python_version(),
                     **{name: version(package) for name, package in PACKAGES.items()}},
        "params": {**params, "data": {"dataset": params["data"]["dataset"]}},  # what dvc.yaml tracks
    }
    write_text(args.report, build_report(results, analysis, links, reproducibility, dataset.class_names,
                                         words, args.metrics_dir))
    print(f"wrote {args.report} and its figures in {args.figures}")


if __name__ == "__main__":
    run_stage(main)
