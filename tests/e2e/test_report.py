"""End to end: the report and DVC plots from a real tiny `dvc repro` (1000 images per file, 1 epoch)."""

import json
import re

import pytest

from tests.conftest import dvc, make_pipeline_repo, run, set_params

pytestmark = pytest.mark.e2e

PLOTS = ["Accuracy per epoch", "Loss per epoch", "Dense confusion matrix", "CNN confusion matrix"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_pipeline_repo(tmp_path_factory.mktemp("report"))
    dvc("repro", cwd=repo)
    return repo


def report_files(repo):
    """The report and every file it links to, as bytes."""
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) == 4
    return {"report.md": report.encode(), **{link: (repo / "reports" / link).read_bytes() for link in links}}


def test_dvc_plots_show_renders_learning_curves_and_confusion_matrices(repo):
    shown = json.loads(dvc("plots", "show", "--json", cwd=repo).stdout)["data"]
    assert list(shown) == PLOTS
    values = {title: plot["content"]["data"]["values"] for title, (plot,) in shown.items()}
    # Both models on the same axes, training and validation.
    series = {row["filename::field"] for row in values["Accuracy per epoch"]}
    assert series == {f"{model}_history.csv::{field}"
                      for model in ("dense", "cnn") for field in ("accuracy", "val_accuracy")}
    assert len(values["Loss per epoch"]) == 4  # 1 epoch x 2 models x (train, validation)
    for title in ("Dense confusion matrix", "CNN confusion matrix"):
        assert len(values[title]) == 1000, title  # one per test image
        assert set(values[title][0]) >= {"actual", "predicted"}, title
    html = dvc("plots", "show", "-o", "plots_html", cwd=repo)
    assert (repo / "plots_html" / "index.html").stat().st_size > 0, html.stdout


def test_report_and_figures_are_git_tracked_not_dvc_cached(repo):
    files = report_files(repo)
    for name in files:
        path = f"reports/{name}"
        assert run(["git", "check-ignore", "-q", path], cwd=repo, check=False).returncode == 1, path
    assert "statistically significant" in files["report.md"].decode()


def test_rerunning_compare_alone_gives_identical_bytes(repo):
    before = report_files(repo)
    output = dvc("repro", "--force", "--single-item", "compare", cwd=repo).stdout
    assert "Running stage 'compare'" in output
    assert report_files(repo) == before
    assert "up to date" in dvc("status", cwd=repo).stdout


def test_switching_to_french_reruns_only_compare(repo):
    set_params(repo / "params.yaml", {"compare.language": "fr"})
    output = dvc("repro", cwd=repo).stdout
    assert re.findall(r"Running stage '(\w+)'", output) == ["compare"]
    report = report_files(repo)["report.md"].decode()
    assert "## Reproductibilité" in report and "compare: {language: fr" in report
