"""End to end: what the models said, kept and measured, with the real `dvc` at tiny params.

`evaluate` keeps every seed's class probabilities (DVC-cached, not git-tracked); the ECE and
Brier score of data/scores.json, metrics/test.json and the report are recomputed here from
them, and the per-class tests from the git-tracked predictions, with scipy and a Holm loop
of this module's own.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error, log_loss
from tests.conftest import SEEDS, copy_project, dvc, run, stages_run

pytestmark = pytest.mark.e2e

MODELS = ("dense", "cnn")


@pytest.fixture(scope="module")
def repo(seeds_project, tmp_path_factory):
    """The session's tiny project at SEEDS (3, 0, 1): `dvc repro` trained only the new seeds' models."""
    repo, output = seeds_project
    assert sorted(set(stages_run(output))) == ["compare", "evaluate", "train_cnn", "train_dense"]
    assert sorted(re.findall(r"Running stage '(train_\w+@\d+)'", output)) == [
        f"train_{model}@{seed}" for model in ("cnn", "dense") for seed in sorted(SEEDS[1:])]
    return copy_project(repo, tmp_path_factory.mktemp("calibration") / "repo")


def probabilities(repo, name, seed):
    return np.load(repo / "data" / "probabilities" / f"{name}_seed{seed}.npy", allow_pickle=False)


def labels(repo):
    return np.load(repo / "data" / "prepared" / "test_labels.npy")


def table_rows(report, header):
    """{first cell: other cells} of the first Markdown table after the line `header`."""
    block = next(part for part in report.split(f"{header}\n\n", 1)[1].split("\n\n") if part.startswith("|"))
    return {cells[0]: cells[1:] for cells in
            ([cell.strip() for cell in line.strip("|").split("|")] for line in block.splitlines()[2:])}


def test_probabilities_are_saved_for_every_seed_in_dvcs_cache_not_git(repo):
    folder = repo / "data" / "probabilities"
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{name}_seed{seed}.npy" for name in MODELS for seed in SEEDS)
    predictions = pd.read_csv(repo / "data" / "predictions.csv")
    for name in MODELS:
        for seed in SEEDS:
            values = probabilities(repo, name, seed)
            assert values.shape == (len(predictions), 10) and values.dtype == np.float32
            np.testing.assert_array_equal(values.argmax(axis=1), predictions[f"{name}_seed{seed}"])
    assert run(["git", "check-ignore", "-q", "data/probabilities/cnn_seed0.npy"], cwd=repo).returncode == 0
    locked = dvc("status", "--json", cwd=repo).stdout
    assert json.loads(locked) == {}


def test_ece_and_brier_of_the_metrics_are_those_of_the_saved_probabilities(repo):
    scores = json.loads((repo / "data" / "scores.json").read_text())
    metrics = json.loads((repo / "metrics" / "test.json").read_text())
    shown = json.loads(dvc("metrics", "show", "--json", cwd=repo).stdout)[""]["data"]
    shown = shown["metrics/test.json"]["data"]
    truth = labels(repo)
    for name in MODELS:
        for seed in SEEDS:
            values = probabilities(repo, name, seed)
            assert scores[str(seed)][name]["ece"] == expected_calibration_error(values, truth)
            assert scores[str(seed)][name]["brier"] == brier_score(values, truth)
            assert log_loss(values, truth) == pytest.approx(scores[str(seed)][name]["loss"], rel=1e-5)
        for key in ("ece", "brier"):  # averaged over the seeds, like accuracy: what `dvc metrics diff` shows
            mean = np.mean([scores[str(seed)][name][key] for seed in SEEDS])
            assert metrics[name][key] == pytest.approx(mean)
            assert shown[name][key] == metrics[name][key]


def test_the_reports_calibration_is_the_first_seeds_saved_probabilities(repo):
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    rows, comparison = table_rows(report, "## Calibration"), table_rows(report, "## Comparison")
    truth = labels(repo)
    ece = {name: expected_calibration_error(probabilities(repo, name, SEEDS[0]), truth) for name in MODELS}
    for column, name in enumerate(MODELS):
        values = probabilities(repo, name, SEEDS[0])
        assert rows["Expected calibration error (15 equal-width confidence bins)"][column] == \
            f"{100 * ece[name]:.2f} %"
        assert rows["Brier score (sum over the classes, mean over the images)"][column] == \
            f"{brier_score(values, truth):.4f}"
        assert rows["Negative log-likelihood (the test loss)"][column] == comparison["Test loss"][column]
        reliability = pd.read_csv(repo / "metrics" / f"{name}_reliability.csv")  # the DVC plot's bins
        assert reliability["images"].sum() == len(truth)
    interval = re.search(r"The gap in expected calibration error CNN − Dense is [^,]+, with a 95 % "
                         r"confidence interval of ([+−][\d.]+) to ([+−][\d.]+) points? .*?, which "
                         r"(excludes|includes) 0\.", report)
    low, high = (float(bound.replace("−", "-")) for bound in interval.groups()[:2])
    assert (interval.group(3) == "excludes") == (low > 0 or high < 0)
    # The verdict's calibration sentence comes exactly when the interval excludes 0.
    assert ("better calibrated" in report.split("## Seeds")[0]) == (interval.group(3) == "excludes")
    assert "![Reliability diagram" in report and (repo / "reports" / "figures" / "reliability.png").is_file()


def holm(p_values):
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def test_the_per_class_significance_recomputed_from_the_predictions(repo):
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    rows = table_rows(report, "### Recall per class with its 95 % interval, and McNemar's test per class")
    frames = {name: pd.read_csv(repo / "metrics" / f"{name}_predictions.csv") for name in MODELS}
    actual = frames["dense"]["actual"].to_numpy()
    right = {name: frame["predicted"].to_numpy() == actual for name, frame in frames.items()}
    p_values, ahead = [], []
    for digit in range(10):
        images = actual == digit
        dense = int((right["dense"] & ~right["cnn"] & images).sum())
        cnn = int((right["cnn"] & ~right["dense"] & images).sum())
        p_values.append(stats.binomtest(cnn, cnn + dense).pvalue if cnn + dense else 1.0)
        ahead.append("CNN" if cnn > dense else "Dense")
        assert rows[str(digit)][3:5] == [str(dense), str(cnn)]
        hits = int((right["cnn"] & images).sum())
        interval = stats.binomtest(hits, int(images.sum())).proportion_ci(method="wilson")
        assert rows[str(digit)][2].endswith(f"({100 * interval.low:.1f}–{100 * interval.high:.1f})")
    adjusted = holm(p_values)
    expected = [ahead[digit] if adjusted[digit] < 0.05 else "—" for digit in range(10)]
    assert [rows[str(digit)][7] for digit in range(10)] == expected


def test_evaluate_again_gives_the_same_probabilities_bytes(repo):
    before = {path.name: path.read_bytes() for path in (repo / "data" / "probabilities").iterdir()}
    dvc("repro", "--force", "--single-item", "evaluate", cwd=repo)
    assert {path.name: path.read_bytes() for path in (repo / "data" / "probabilities").iterdir()} == before
    assert run(["git", "status", "--porcelain"], cwd=repo).stdout == ""
