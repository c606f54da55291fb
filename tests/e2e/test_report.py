"""End to end: the report from a real tiny `dvc repro` (1000 images per file, 1 epoch)."""

import re

import pytest

from tests.conftest import copy_project, dvc, run, set_params, stages_run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(built_project, tmp_path_factory):
    return copy_project(built_project[0], tmp_path_factory.mktemp("report") / "repo")


def report_files(repo):
    """The report and every file it links to, as bytes."""
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) == 6  # learning curves, confusion, errors, disagreements, reliability, robustness
    return {"report.md": report.encode(), **{link: (repo / "reports" / link).read_bytes() for link in links}}


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
    assert stages_run(output) == ["compare"]
    report = report_files(repo)["report.md"].decode()
    assert "## Reproductibilité" in report and "compare: {language: fr" in report
    # the models take their article in sentences, never contracted wrongly ("de le" is "du")
    assert re.search(r"pour le (CNN|réseau dense)", report) and not re.search(r"\b(de|à) les?\b", report)
