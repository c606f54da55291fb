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
import os
import platform
from pathlib import Path

from dense_vs_cnn.core.checks import check_images, check_result
from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.core.files import load_array, read_csv, read_json, write_text
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.evaluation.comparison import head_to_head
from dense_vs_cnn.report.figures import draw_report_figures
from dense_vs_cnn.report.render import MOST_CONFUSED_PAIRS, build_report, model_name
from dense_vs_cnn.report.reproducibility import PACKAGES, code_digest, version
from dense_vs_cnn.report.strings import STRINGS

FOOTER_SECTIONS = ["seed", "data", "preprocess", "train_dense", "train_cnn", "evaluate", "compare"]


def load_results(metrics_dir, name, num_classes):
    """Every result file of model `name`, checked: they are git-tracked, so hand-editable."""
    results = {}
    for part in ("test", "train", "inference"):
        path = Path(metrics_dir, f"{name}_{part}.json")
        results[part] = check_result(part, read_json(path), path, num_classes)
    for part in ("history", "predictions", "per_class"):
        path = Path(metrics_dir, f"{name}_{part}.csv")
        results[part] = check_result(part, read_csv(path), path, num_classes)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the Markdown comparison report and its figures.")
    parser.add_argument("--metrics-dir", required=True, help="folder written by evaluate and train")
    parser.add_argument("--models", nargs=2, required=True, metavar="NAME", help="the two models to compare")
    parser.add_argument("--test-images", required=True, help="test images (.npy), for the digit grids")
    parser.add_argument("--code", nargs="+", required=True, metavar="PATH",
                        help="the pipeline's code (files and folders), for its digest")
    parser.add_argument("--figures", required=True, help="folder for the PNG figures")
    parser.add_argument("--report", required=True, help="Markdown file to write")
    args = parser.parse_args(argv)
    params = load_params(FOOTER_SECTIONS)
    settings, dataset = params["compare"], get_dataset(params["data"]["dataset"])
    words = STRINGS[settings["language"]]
    results = {name: load_results(args.metrics_dir, name, len(dataset.class_names)) for name in args.models}
    analysis = head_to_head(results, len(dataset.class_names), settings["bootstrap_samples"],
                            settings["bootstrap_seed"], MOST_CONFUSED_PAIRS)
    images = load_array(args.test_images)
    check_images(images, args.test_images)
    if len(images) != analysis["images"]:
        raise PipelineError(f"{args.test_images} holds {len(images)} images but the predictions cover "
                            f"{analysis['images']}: run `dvc repro`")
    names = {name: model_name(name, words) for name in results}
    paths = draw_report_figures(results, analysis, images, dataset.class_names, names, words["labels"],
                                args.figures)
    report_folder = Path(args.report).parent
    links = {key: Path(os.path.relpath(path, report_folder)).as_posix() for key, path in paths.items()}
    reproducibility = {
        "dataset": params["data"]["dataset"], "files": list(dataset.files.values()),
        "code_digest": code_digest(args.code), "code_paths": args.code,
        "versions": {"Python": platform.python_version(),
                     **{name: version(package) for name, package in PACKAGES.items()}},
        "params": {**params, "data": {"dataset": params["data"]["dataset"]}},  # what dvc.yaml tracks
    }
    write_text(args.report, build_report(results, analysis, links, reproducibility, dataset.class_names,
                                         words, args.metrics_dir))
    print(f"wrote {args.report} and its figures in {args.figures}")


if __name__ == "__main__":
    run_stage(main)
