"""Stage compare: write the Markdown report a pull-request reviewer reads, with its figures.

Reads: from --metrics-dir (metrics/), for each of the two --models NAME, the first seed's
NAME_predictions.csv and NAME_per_class.csv (evaluate); the first seed's history (--history,
a path with {model}); every seed's test metrics, parameters, FLOPs and model size, and
predictions (--scores, --predictions); the first seed's accuracy on transformed test images
(--robustness, the robustness stage's table); when analysis.permuted_pixels is on, the
first seed's models trained and tested on permuted pixels (--permuted, the permuted stage's
predictions); --test-images, only to draw the digits in the grids; the .py files of --code,
only to print their digest; the first seed's class probabilities (--probabilities, a path
with {model}: evaluate's data/probabilities/), checked against that model's predictions and
test loss, for calibration. No timing: the report's cost figures
are counts, the same on every machine.
Writes: the PNG figures into --figures and the report to --report (reports/report.md).
Params: seeds (the first seed's models make the single-run figures and tables), compare.*
(language, bootstrap), data.dataset (class names, data digests), robustness.seed (named in
the text), analysis.* (whether to read --permuted; its seed, named in the text); preprocess,
train_*, evaluate, robustness to print them in the reproducibility footer.

Every number comes from those files, and nothing else (no date, no git commit) enters
the report or the PNGs: re-running compare alone gives the same bytes. Gaps are the second
of --models minus the first (`--models dense cnn`: CNN − Dense).
"""

import argparse
import gc
import math
import os
import platform
from pathlib import Path

import numpy as np

from dense_vs_cnn.core.checks import check_result, check_table, load_images, result_rules
from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError, missing, run_stage
from dense_vs_cnn.core.files import read_csv, read_json, write_text
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.evaluation.calibration import RESAMPLES, log_loss
from dense_vs_cnn.evaluation.comparison import (
    Comparison,
    ModelResult,
    across_seeds,
    calibration,
    class_tests,
    head_to_head,
    permuted_control,
)
from dense_vs_cnn.evaluation.robustness import read_robustness
from dense_vs_cnn.report.figures import draw_report_figures
from dense_vs_cnn.report.render import MOST_CONFUSED_PAIRS, build_report
from dense_vs_cnn.report.reproducibility import PACKAGES, code_digest, version
from dense_vs_cnn.report.strings import STRINGS

FOOTER_SECTIONS = ["seeds", "data", "preprocess", "train_dense", "train_cnn", "evaluate", "robustness",
                   "analysis", "compare"]


def entry(data, path, *keys):
    """data[keys[0]][keys[1]]...: a JSON file's entry for a seed and model, or say it is not there."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            raise PipelineError(f"{path}: no entry for {' / '.join(keys)}: run `dvc repro` to rebuild it")
        data = data[key]
    return data


def load_results(args, names, seed, num_classes):
    """{model: ModelResult} of one seed's models, each file checked: they are git-tracked, so
    hand-editable."""
    scores = read_json(args.scores)
    results = {}
    for name in names:
        history = args.history.format(model=name)
        parts = {"test": (entry(scores, args.scores, str(seed), name), args.scores),
                 "history": (read_csv(history), history)}
        for part in ("predictions", "per_class"):
            path = Path(args.metrics_dir, f"{name}_{part}.csv")
            parts[part] = read_csv(path), path
        results[name] = ModelResult(**{part: check_result(part, data, path, num_classes)
                                       for part, (data, path) in parts.items()})
    return results


def load_seeds(args, names, seeds, num_classes):
    """Every seed's test scores {seed: {model: scores}}, checked, and predictions (one column per
    model and seed)."""
    scores = read_json(args.scores)
    label = result_rules(num_classes)["predictions"]["actual"]
    columns = {"actual": label, **{f"{name}_seed{seed}": label for seed in seeds for name in names}}
    predictions = check_table(read_csv(args.predictions), args.predictions, columns)
    by_seed = {seed: {name: check_result("test", entry(scores, args.scores, str(seed), name), args.scores,
                                         num_classes) for name in names} for seed in seeds}
    return by_seed, predictions


# Keras computes the test loss in float32, log_loss in float64: they agree to about 1e-7.
LOSS_TOLERANCE = 1e-4  # relative


def probabilities_problem(values, predictions, loss, num_classes):
    """What keeps `values` from being the class probabilities behind one model's `predictions`
    (its frame of actual and predicted classes) and its test `loss`, or None."""
    expected = (len(predictions), num_classes)
    if values.shape != expected or not np.issubdtype(values.dtype, np.floating):
        return (f"{values.dtype} values of shape {values.shape}, expected floats of shape {expected} "
                f"({num_classes} class probabilities per test image)")
    if not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1):
        return "it holds values that are not probabilities (numbers from 0 to 1)"
    differ = np.flatnonzero(values.argmax(axis=1) != predictions["predicted"].to_numpy())
    if len(differ):
        return (f"its most probable class is not the predicted class on {len(differ):,} test images "
                f"(image {differ[0]} first)")
    nll = log_loss(values, predictions["actual"].to_numpy())
    if not math.isclose(nll, loss, rel_tol=LOSS_TOLERANCE):
        return f"its negative log-likelihood is {nll:.6f}, not the test loss {loss:.6f}"
    return None


def load_probability_file(path):
    """Load the .npy probabilities `evaluate` wrote; never unpickles. As core's load_array, whose
    message names `preprocess`: dense_vs_cnn/core is a dependency of every stage, training included."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise missing(path) from None
    except ValueError as error:
        raise PipelineError(f"{path} is not a valid .npy array ({error}): "
                            "run `dvc repro -f evaluate`") from None


def load_probabilities(args, results, num_classes):
    """{model: the first seed's class probabilities}, each checked against that model's predictions
    and test loss: DVC caches them, git tracks those, so a `git checkout` alone separates them."""
    probabilities = {}
    for name, result in results.items():
        path = args.probabilities.format(model=name)
        values = load_probability_file(path)
        problem = probabilities_problem(values, result.predictions, result.test["loss"], num_classes)
        if problem:
            raise PipelineError(f"{path}: {problem}, so it does not go with "
                                f"{Path(args.metrics_dir, f'{name}_predictions.csv')} and {args.scores}: "
                                "run `dvc checkout` to restore the one that does, or `dvc repro`")
        probabilities[name] = values
    return probabilities


def load_permuted(args, results, params, num_classes):
    """The spatial-structure control from the permuted stage's predictions, or None when it is off."""
    if not params.analysis.permuted_pixels:
        return None
    label = result_rules(num_classes)["predictions"]["actual"]
    columns = {"actual": label, **{name: label for name in args.models}}
    predictions = check_table(read_csv(args.permuted), args.permuted, columns)
    return permuted_control(results, predictions, params.compare.bootstrap_samples,
                            params.compare.bootstrap_seed, params.analysis.permutation_seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the Markdown comparison report and its figures.")
    parser.add_argument("--metrics-dir", required=True, help="metrics and plot data (train, evaluate)")
    parser.add_argument("--history", required=True, help="the first seed's history CSV, with {model}")
    parser.add_argument("--scores", required=True, help="every seed's test metrics and costs (JSON)")
    parser.add_argument("--predictions", required=True, help="every seed's predictions (CSV)")
    parser.add_argument("--models", nargs=2, required=True, metavar="NAME",
                        help="the two models to compare; gaps are the second minus the first")
    parser.add_argument("--probabilities", required=True,
                        help="the first seed's class probabilities (.npy), a path with {model}")
    parser.add_argument("--robustness", required=True,
                        help="the first seed's accuracy on transformed test images (CSV, robustness)")
    parser.add_argument("--permuted", required=True,
                        help="the models trained on permuted pixels: their test predictions (CSV, permuted)")
    parser.add_argument("--test-images", required=True, help="test images (.npy), for the digit grids")
    parser.add_argument("--code", nargs="+", required=True, metavar="PATH",
                        help="the pipeline's code (files and folders), for its digest")
    parser.add_argument("--figures", required=True, help="folder for the PNG figures")
    parser.add_argument("--report", required=True, help="Markdown file to write")
    args = parser.parse_args(argv)
    params = load_params()
    settings, dataset = params.compare, get_dataset(params.data.dataset)
    words = STRINGS[settings.language]
    seeds, num_classes = params.seeds, len(dataset.class_names)
    results = load_results(args, args.models, seeds[0], num_classes)
    pair = head_to_head(results, num_classes, settings.bootstrap_samples, settings.bootstrap_seed,
                        MOST_CONFUSED_PAIRS)
    seed_scores, seed_predictions = load_seeds(args, args.models, seeds, num_classes)
    probabilities = load_probabilities(args, results, num_classes)
    labels = results[args.models[0]].predictions["actual"]
    calibrated = calibration(probabilities, labels, RESAMPLES, settings.bootstrap_seed)
    robustness = read_robustness(read_csv(args.robustness), args.robustness, args.models,
                                 params.robustness.seed)
    comparison = Comparison(results=results, pair=pair,
                            seeds=across_seeds(seed_scores, seed_predictions, args.models),
                            class_names=tuple(dataset.class_names), classes=class_tests(results, num_classes),
                            calibration=calibrated, robustness=robustness,
                            permuted=load_permuted(args, results, params, num_classes))
    images = load_images(args.test_images)
    if len(images) != pair.images:
        raise PipelineError(f"{args.test_images} holds {len(images)} images but the predictions cover "
                            f"{pair.images}: run `dvc repro`")
    paths = draw_report_figures(comparison, images, words, args.figures)
    report_folder = Path(args.report).parent
    links = {key: Path(os.path.relpath(path, report_folder)).as_posix() for key, path in paths.items()}
    reproducibility = {
        "dataset": params.data.dataset, "dataset_name": dataset.display_name,
        "files": list(dataset.files.values()),
        "code_digest": code_digest(args.code), "code_paths": args.code,
        "versions": {"Python": platform.python_version(),
                     **{name: version(package) for name, package in PACKAGES.items()}},
        "params": params.model_dump(include=set(FOOTER_SECTIONS)),  # what dvc.yaml tracks
    }
    write_text(args.report, build_report(comparison, links, reproducibility, words, args.metrics_dir))
    print(f"wrote {args.report} and its figures in {args.figures}")


if __name__ == "__main__":
    run_stage(main)
    # The process ends here: frozen, the objects that matplotlib, scipy and pandas made are not
    # walked again by the interpreter's exit (0.5 s of a compare run).
    gc.freeze()
