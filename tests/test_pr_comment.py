"""The pure parts of .github/scripts/pr_comment.py: the verdict, figure paths, tables, links.
tests/e2e/test_pr_results.py runs the script for real in the workflow's sequence."""

import importlib.util

import pytest

from tests.conftest import PROJECT

SCRIPT = PROJECT / ".github" / "scripts" / "pr_comment.py"
spec = importlib.util.spec_from_file_location("pr_comment", SCRIPT)
pr_comment = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pr_comment)

REPORT = """# MNIST: dense network vs convolutional network

**CNN wins**: 99.00 % test accuracy
against 97.33 % for Dense.

## Figures

![Learning curves](figures/learning_curves.png)

![Confusion matrices (rows: actual class)](figures/confusion_matrices.png)

![a badge](https://example.org/badge.svg)
"""


def test_the_verdict_is_the_first_paragraph_after_the_title():
    assert pr_comment.verdict(REPORT) == "**CNN wins**: 99.00 % test accuracy\nagainst 97.33 % for Dense."
    assert pr_comment.verdict("intro\n\n# Title\n\n\nOne line.\n") == "One line."


@pytest.mark.parametrize("report, problem", [
    ("No title here.\n", "no `# ` title"),
    ("# Title\n\n## Comparison\n\ntext\n", "no paragraph after its title"),
    ("# Title\n", "no paragraph after its title"),
])
def test_a_report_without_a_verdict_is_refused(report, problem):
    with pytest.raises(ValueError, match=problem):
        pr_comment.verdict(report)


def test_figures_are_paths_from_the_project_root_and_skip_urls():
    assert pr_comment.figures(REPORT, "reports/report.md") == [
        "reports/figures/learning_curves.png", "reports/figures/confusion_matrices.png"]


@pytest.mark.parametrize("value, text", [
    (None, "-"), (0.031614039093256, "0.03161"), (0.99, "0.99"), (-0.48884, "-0.48884"),
    (225034, "225034"), (42518.3, "42518.3"), ("constant", "constant"), ([128, 64], "[128, 64]"),
    (True, "true"), ("a|b", "a\\|b"),
])
def test_cells_round_like_dvc_and_escape_pipes(value, text):
    assert pr_comment.cell(value) == text


def test_a_metrics_table_sorts_rows_and_shows_the_change():
    diff = {"metrics/test.json": {"dense.accuracy": {"old": 0.9, "new": 0.95, "diff": 0.05},
                                  "cnn.accuracy": {"old": None, "new": 0.97}}}
    assert pr_comment.diff_table(diff, "Metric", "origin/main").splitlines() == [
        "| Path | Metric | `origin/main` | this PR | Change |",
        "|---|---|--:|--:|--:|",
        "| metrics/test.json | cnn.accuracy | - | 0.97 | - |",
        "| metrics/test.json | dense.accuracy | 0.9 | 0.95 | 0.05 |",
    ]


def test_a_params_table_has_no_change_column_and_no_diff_says_no_change():
    diff = {"params.yaml": {"train_cnn.epochs": {"old": 1, "new": 2, "diff": 1}}}
    assert pr_comment.diff_table(diff, "Param", "main", change=False).splitlines()[::2] == [
        "| Path | Param | `main` | this PR |", "| params.yaml | train_cnn.epochs | 1 | 2 |"]
    assert pr_comment.diff_table({}, "Param", "main") == "No change."
    assert pr_comment.diff_table({"params.yaml": {}}, "Param", "main") == "No change."


def test_links_point_at_the_commit_on_github_or_stay_relative():
    assert (pr_comment.link("reports/report.md", "https://github.com", "team/mnist", "abc123")
            == "https://github.com/team/mnist/blob/abc123/reports/report.md")
    for server, repository, sha in [(None, "team/mnist", "abc123"), ("https://github.com", None, "abc123"),
                                    ("https://github.com", "team/mnist", None)]:
        assert pr_comment.link("reports/report.md", server, repository, sha) == "reports/report.md"


def test_the_comment_holds_the_verdict_tables_and_links():
    text = pr_comment.comment("**CNN wins**.", {}, {"params.yaml": {"seed": {"old": 1, "new": 2}}}, "main",
                              "reports/report.md", ["reports/figures/a.png"], "0123456789abcdef",
                              "https://github.com", "team/mnist")
    assert text.splitlines()[:3] == ["## DVC results of this pull request at `0123456`", "", "**CNN wins**."]
    assert "### Metrics: `main` → this PR\n\nNo change.\n" in text
    assert "| params.yaml | seed | 1 | 2 |" in text
    assert text.endswith(
        "Full report: [reports/report.md at `0123456`]"
        "(https://github.com/team/mnist/blob/0123456789abcdef/reports/report.md). "
        "Figures: [a.png](https://github.com/team/mnist/blob/0123456789abcdef/reports/figures/a.png).\n")

    outside_git = pr_comment.comment("v", {}, {}, "main", "reports/report.md", [], None, None, None)
    assert outside_git.splitlines()[0] == "## DVC results of this pull request"
    assert outside_git.endswith("Full report: [reports/report.md](reports/report.md).\n")


def test_a_missing_or_unreadable_report_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=r"^error: no report at reports/report.md: run `dvc repro`"):
        pr_comment.main(["--base", "main"])
    (tmp_path / "report.md").write_text("no title\n")
    with pytest.raises(SystemExit, match=r"^error: cannot find the verdict in report.md: it has no `# `"):
        pr_comment.main(["--base", "main", "--report", "report.md"])
