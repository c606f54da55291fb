"""The pure parts of .github/scripts/pr_comment.py: the verdict, figure paths, tables, links, and
the escaping of every value from the pull request, checked on the HTML a CommonMark renderer with
GFM tables makes of the comment (markdown-it-py, which DVC's `rich` brings). GitHub's own
filters after rendering (@mentions, #references, bare links) are checked on that HTML's text.
tests/e2e/test_pr_results.py runs the script for real in the workflow's sequence."""

import html
import importlib.util
import re
import sys

import pytest
from markdown_it import MarkdownIt

from tests.conftest import PROJECT

SCRIPTS = PROJECT / ".github" / "scripts"
sys.path.insert(0, str(SCRIPTS))  # as when Python runs the script: its folder first (run_dvc.py)
spec = importlib.util.spec_from_file_location("pr_comment", SCRIPTS / "pr_comment.py")
pr_comment = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pr_comment)

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # raw HTML on, as CommonMark has it
HOSTILE = [
    "<img src=https://evil.example/p.png>", "<script>alert(1)</script>", "@octocat please merge",
    "see #12 and team/mnist#3", "[click](https://evil.example)", "![x](https://evil.example/p.png)",
    "<https://evil.example>", "https://evil.example/x", "www.evil.example", "mail me@evil.example",
    "a`b", "``", "`<img src=x>`", "a|b", "a\\|b", "*bold* _it_ ~~gone~~", "&lt;img&gt;", "$x^2$",
    "line\nbreak", "# heading", "- item", "1. item", "> quote", "x\u202ey",
]


def rendered_text(markdown, code=True):
    """The text a reader sees in the HTML of `markdown`, tags removed, entities decoded; without
    what code spans show when not `code`."""
    page = GFM.render(markdown)
    if not code:
        page = re.sub(r"<code>.*?</code>", "", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def assert_nothing_linked(markdown):
    """Outside code spans, where GitHub's filters look after rendering, no @mention, #reference or URL."""
    text = rendered_text(markdown, code=False)
    assert not re.search(r"@\w|#\d|://|www\.", text), text


def assert_inert(markdown):
    """`markdown` renders as text alone: no tag but a paragraph's or a line break's, nothing linked."""
    page = GFM.render(markdown)
    assert set(re.findall(r"</?(\w+)", page)) <= {"p", "br"}, page
    assert_nothing_linked(markdown)

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


def test_figures_never_lead_out_of_the_project():
    report = "![a](../../etc/passwd) ![b](/etc/passwd) ![c](figures/../../x.png) ![d](figures/../../../x.png)"
    assert pr_comment.figures(report, "reports/report.md") == ["x.png"]


@pytest.mark.parametrize("value, text", [
    (None, "-"), (0.031614039093256, "0.03161"), (0.99, "0.99"), (-0.48884, "-0.48884"),
    (225034, "225034"), (42518.3, "42518.3"), (True, "true"), ("constant", "`constant`"),
    ([128, 64], "`[128, 64]`"), ("a|b", "`a\\|b`"), ("a`b", "``a`b``"), ("`x", "`` `x ``"), ("", '""'),
])
def test_cells_round_like_dvc_and_put_anything_else_in_a_code_span(value, text):
    assert pr_comment.cell(value) == text


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_one_cell_showing_exactly_that_value(value):
    table = f"| a | b |\n|---|---|\n| {pr_comment.cell(value)} | {pr_comment.cell(1)} |"
    cells = re.findall(r"<td>(.*?)</td>", GFM.render(table), flags=re.DOTALL)
    assert len(cells) == 2 and cells[1] == "1", table  # no pipe or backtick split the row
    assert html.unescape(cells[0]) == f"<code>{pr_comment.visible(value)}</code>"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_in_plain_text_renders_as_text(value):
    markdown = pr_comment.plain(value)
    assert_inert(markdown)
    text = rendered_text(markdown).replace(pr_comment.WORD_JOINER, "")
    assert text.split() == [pr_comment.visible(word) for word in value.split()]  # all of it, word for word


def test_the_verdict_keeps_its_bold_and_code_but_nothing_else():
    verdict = ("**CNN wins**: 99.00 % <img src=https://evil.example/p.png> @octocat #12 [x](https://evil.example)"
               " `dvc exp run -S 'seeds=[0,1]'` and `<b>`")
    markdown = pr_comment.plain(verdict, keep="*", code_spans=True)
    page = GFM.render(markdown)
    assert "<strong>CNN wins</strong>" in page
    assert "<code>dvc exp run -S 'seeds=[0,1]'</code>" in page and "<code>&lt;b&gt;</code>" in page
    assert set(re.findall(r"</?(\w+)", page)) == {"p", "strong", "code"}, page
    assert_nothing_linked(markdown)
    legit = ("**CNN wins**: 99.00 % test accuracy against 97.33 % for Dense, 1.67 points better (paired "
             "bootstrap: 1,000 resamples, seed 42). `dvc exp run -S 'seeds=[0,1,2,3,4]'` measures it.")
    assert pr_comment.plain(legit, keep="*", code_spans=True) == legit  # the real verdict reads as it did


def test_a_metrics_table_sorts_rows_and_shows_the_change():
    diff = {"metrics/test.json": {"dense.accuracy": {"old": 0.9, "new": 0.95, "diff": 0.05},
                                  "cnn.accuracy": {"old": None, "new": 0.97}}}
    assert pr_comment.diff_table(diff, "Metric", "origin/main").splitlines() == [
        "| Path | Metric | `origin/main` | this PR | Change |",
        "|---|---|--:|--:|--:|",
        "| `metrics/test.json` | `cnn.accuracy` | - | 0.97 | - |",
        "| `metrics/test.json` | `dense.accuracy` | 0.9 | 0.95 | 0.05 |",
    ]


def test_a_params_table_has_no_change_column_and_no_diff_says_no_change():
    diff = {"params.yaml": {"train_cnn.epochs": {"old": 1, "new": 2, "diff": 1}}}
    assert pr_comment.diff_table(diff, "Param", "main", change=False).splitlines()[::2] == [
        "| Path | Param | `main` | this PR |", "| `params.yaml` | `train_cnn.epochs` | 1 | 2 |"]
    assert pr_comment.diff_table({}, "Param", "main") == "No change."
    assert pr_comment.diff_table({"params.yaml": {}}, "Param", "main") == "No change."


def test_hostile_names_and_base_branch_stay_in_their_cells_and_headings():
    names = ["<img src=x>", "@octocat", "a|b", "a`b", "[x](https://evil.example)"]
    diff = {f"metrics/{name}.json": {name: {"old": name, "new": 0.5, "diff": None}} for name in names}
    base = "origin/main`<img src=https://evil.example/p.png>@octocat|"
    text = pr_comment.comment("v", diff, {}, base, "reports/report.md", [], None, None, None)
    rows = re.findall(r"<tr>(.*?)</tr>", GFM.render(text), flags=re.DOTALL)
    assert [len(re.findall("<t[hd]", row)) for row in rows] == [5] * (len(names) + 1)
    assert re.findall(r'<a href="([^"]*)"', GFM.render(text)) == ["reports/report.md"]
    assert not re.search(r"<(img|script)\b", GFM.render(text))
    assert_nothing_linked(text)
    assert rendered_text(text).count(base) == 3  # both headings and the table's header, whole


def test_a_comment_github_would_refuse_is_refused():
    with pytest.raises(ValueError, match=r"^the comment would be 70,\d{3} characters, more than the 65,536"):
        pr_comment.comment("v" * 70_000, {}, {}, "main", "reports/report.md", [])


def test_links_point_at_the_commit_on_github_or_stay_relative():
    assert (pr_comment.link("reports/report.md", "https://github.com", "team/mnist", "abc123")
            == "https://github.com/team/mnist/blob/abc123/reports/report.md")
    for server, repository, sha in [(None, "team/mnist", "abc123"), ("https://github.com", None, "abc123"),
                                    ("https://github.com", "team/mnist", None)]:
        assert pr_comment.link("reports/report.md", server, repository, sha) == "reports/report.md"
    assert (pr_comment.link("reports/a (1)<x>.png", "https://github.com", "team/mnist", "abc123")
            == "https://github.com/team/mnist/blob/abc123/reports/a%20%281%29%3Cx%3E.png")


def test_a_hostile_figure_name_is_a_link_text_and_its_link_stays_in_the_repository():
    path = "reports/figures/<img src=x>@octocat](https:\\evil.example).png"
    text = pr_comment.comment("v", {}, {}, "main", "reports/report.md", [path], "0123456789abcdef",
                              "https://github.com", "team/mnist")
    hrefs = re.findall(r'<a href="([^"]*)"', GFM.render(text))
    assert len(hrefs) == 2 and all(href.startswith("https://github.com/team/mnist/blob/0123456789abcdef/")
                                   for href in hrefs)
    assert not re.search(r"<img\b", GFM.render(text))
    assert_nothing_linked(text)


def test_the_comment_holds_the_verdict_tables_and_links():
    text = pr_comment.comment("**CNN wins**.", {}, {"params.yaml": {"seed": {"old": 1, "new": 2}}}, "main",
                              "reports/report.md", ["reports/figures/a.png"], "0123456789abcdef",
                              "https://github.com", "team/mnist")
    assert text.splitlines()[:3] == ["## DVC results of this pull request at `0123456`", "", "**CNN wins**."]
    assert "### Metrics: `main` → this PR\n\nNo change.\n" in text
    assert "| `params.yaml` | `seed` | 1 | 2 |" in text
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
