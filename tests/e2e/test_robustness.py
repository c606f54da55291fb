"""End to end: the robustness stage and the permuted-pixels control in the real pipeline, at tiny
params (1000 test images, 1 epoch).

Severity 0 is the test accuracy `evaluate` measured; a robustness param re-runs robustness
and compare, never training, and going back is a run-cache hit; `dvc metrics diff` and
`dvc plots show` show what the stage wrote. The permuted-pixels control, once switched on,
trains both models on the saved permutation and the report shows the four accuracies; its
params re-run it and compare, never the original training. Real `dvc` and `git`, real MNIST
(conftest.py).
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import copy_project, dvc, stages_cached, stages_run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(built_project, tmp_path_factory):
    return copy_project(built_project[0], tmp_path_factory.mktemp("robustness") / "repo")


def test_robustness_runs_once_the_models_are_trained_and_before_compare(built_project):
    ran = stages_run(built_project[1])
    assert ran.index("train_dense") < ran.index("robustness") < ran.index("compare")
    assert ran.index("train_cnn") < ran.index("robustness")


def test_severity_0_is_the_test_accuracy_evaluate_measured(repo):
    table = pd.read_csv(repo / "metrics" / "robustness.csv")
    test = json.loads((repo / "metrics" / "test.json").read_text())
    predictions = pd.read_csv(repo / "data" / "predictions.csv")
    unchanged = table[table["severity"] == 0]
    assert set(unchanged["transform"]) == {"translation", "rotation", "noise", "thickness"}
    assert set(unchanged["images"]) == {1000}  # robustness.images is 1000: all of the tiny test set
    for model in ("dense", "cnn"):
        right = int((predictions[f"{model}_seed3"] == predictions["actual"]).sum())
        rows = unchanged[unchanged["model"] == model]
        assert set(rows["correct"]) == {right}
        assert rows["accuracy"].tolist() == pytest.approx([test[model]["accuracy"]] * 4, abs=1e-12)
    shifted = table[(table["transform"] == "translation") & (table["severity"] == 6)]
    assert (shifted["accuracy"] < unchanged["accuracy"].min()).all()  # a 6-pixel shift costs both models


def test_a_robustness_param_reruns_robustness_and_compare_never_training(repo):
    before = (repo / "metrics" / "robustness.json").read_text()
    changed = dvc("exp", "run", "-S", "robustness.rotation=[10,40]", cwd=repo).stdout
    assert stages_run(changed) == ["robustness", "compare"], changed
    diff = json.loads(dvc("metrics", "diff", "--json", cwd=repo).stdout)
    # the middle rotation is now 10° (it was 15°): only those numbers may move
    moved = set(diff.get("metrics/robustness.json", {}))
    assert set(diff) <= {"metrics/robustness.json"} and moved and moved <= {"cnn.rotation", "dense.rotation"}
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    assert "| Rotation                |        10° |" in report
    assert "| Rotation                |        40° |" in report
    back = dvc("exp", "run", "-S", "robustness.rotation=[5,15,30]", cwd=repo).stdout
    assert stages_run(back) == ["compare"], back  # robustness is in the run-cache: restored, not run
    assert stages_cached(back) == ["robustness"], back
    assert (repo / "metrics" / "robustness.json").read_text() == before


def test_dvc_shows_the_headline_metrics_and_plots_the_table(repo):
    metrics = json.loads(dvc("metrics", "show", "--json", cwd=repo).stdout)[""]["data"]
    headline = metrics["metrics/robustness.json"]["data"]
    assert {model: sorted(values) for model, values in headline.items()} == {
        model: ["noise", "rotation", "thickness", "translation"] for model in ("cnn", "dense")}
    table = pd.read_csv(repo / "metrics" / "robustness.csv")
    middle = table[(table["transform"] == "translation") & (table["severity"] == 3)
                   & (table["model"] == "cnn")]
    assert headline["cnn"]["translation"] == pytest.approx(middle["accuracy"].item(), abs=1e-6)
    plots = json.loads(dvc("plots", "show", "--json", cwd=repo).stdout)["data"]
    (plot,) = plots["metrics/robustness.csv"]
    content = plot["content"]
    assert content["facet"]["column"]["field"] == "transform"
    assert content["spec"]["encoding"]["color"]["scale"]["domain"] == ["Dense", "CNN"]
    rows = content["data"]["values"]
    assert len(rows) == len(table)
    assert {(row["transform"], row["model"]) for row in rows} == {
        (transform, model) for transform in ("translation", "rotation", "noise", "thickness")
        for model in ("dense", "cnn")}


@pytest.fixture(scope="module")
def permuted_repo(built_project, tmp_path_factory):
    """A copy of the session's tiny project with the control switched on: what the run printed."""
    repo = copy_project(built_project[0], tmp_path_factory.mktemp("permuted") / "repo")
    output = dvc("exp", "run", "-S", "analysis.permuted_pixels=true", cwd=repo).stdout
    return repo, output


def test_the_control_is_off_by_default_and_then_costs_no_training(built_project):
    repo, output = built_project
    assert "analysis.permuted_pixels is false, nothing trained" in output
    assert json.loads((repo / "metrics" / "permuted.json").read_text()) == {}
    assert "permuted pixels" not in (repo / "reports" / "report.md").read_text(encoding="utf-8")


def test_the_permuted_run_trains_both_models_on_permuted_inputs_and_reports_four_accuracies(permuted_repo):
    repo, output = permuted_repo
    assert stages_run(output) == ["permuted", "compare"], output  # the original models are not retrained
    for name in ("dense", "cnn"):
        assert f"{name} on permuted pixels (permutation seed 0), seed 3: test accuracy" in output
    permutation = np.load(repo / "data" / "permuted" / "permutation.npy", allow_pickle=False)
    np.testing.assert_array_equal(permutation, np.random.default_rng(0).permutation(784))
    permuted = pd.read_csv(repo / "data" / "permuted" / "predictions.csv")
    metrics = json.loads((repo / "metrics" / "permuted.json").read_text())
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    section = report.split("## Spatial structure: permuted pixels\n\n")[1].split("\n## ")[0]
    rows = {cells[0]: cells[1:] for cells in ([cell.strip() for cell in line.strip("|").split("|")]
                                              for line in section.split("\n\n")[1].splitlines()[2:])}
    for column, name in enumerate(("dense", "cnn")):
        original = pd.read_csv(repo / "metrics" / f"{name}_predictions.csv")
        assert (permuted["actual"] == original["actual"]).all() and len(permuted) == 1000
        assert (permuted[name] != original["predicted"]).any()  # other models: trained on other inputs
        accuracy = {"original": (original["predicted"] == original["actual"]).mean(),
                    "permuted": (permuted[name] == permuted["actual"]).mean()}
        assert metrics[name]["accuracy"] == pytest.approx(accuracy["permuted"], abs=1e-12)
        assert rows["Original order"][column].startswith(f"{100 * accuracy['original']:.2f} % (")
        assert rows["Permuted (seed 0)"][column].startswith(f"{100 * accuracy['permuted']:.2f} % (")
    assert re.search(r"On permuted pixels, Dense .*, (while|and) CNN .*: .* the order of the pixels", section)
    # models/ (evaluate's dependency, digits-predict's source) holds only the original models
    kept = sorted(path.relative_to(repo / "models").as_posix() for path in (repo / "models").rglob("*")
                  if path.is_file() and path.name != ".gitignore")
    assert kept == ["seed-3/cnn.keras", "seed-3/dense.keras"]


def test_a_permutation_param_reruns_the_control_and_compare_never_the_original_training(permuted_repo):
    repo, _ = permuted_repo
    before = (repo / "data" / "permuted" / "permutation.npy").read_bytes()
    output = dvc("exp", "run", "-S", "analysis.permutation_seed=1", cwd=repo).stdout
    assert stages_run(output) == ["permuted", "compare"], output
    assert (repo / "data" / "permuted" / "permutation.npy").read_bytes() != before
    assert "Permuted (seed 1)" in (repo / "reports" / "report.md").read_text(encoding="utf-8")
