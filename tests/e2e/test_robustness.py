"""End to end: the robustness stage in the real pipeline, at tiny params (1000 test images, 1 epoch).

Severity 0 is the test accuracy `evaluate` measured; a robustness param re-runs robustness
and compare, never training, and going back is a run-cache hit; `dvc metrics diff` and
`dvc plots show` show what the stage wrote. Real `dvc` and `git`, real MNIST (conftest.py).
"""

import json

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
