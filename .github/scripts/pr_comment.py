"""Print the pull-request comment, in Markdown, that .github/workflows/pr-results.yml writes.

Run from the project root:

    python .github/scripts/pr_comment.py --base origin/main

It prints the report's verdict (the first paragraph after the title of reports/report.md),
the `dvc metrics diff` and `dvc params diff` tables between --base and the workspace ("No
change." when there is none), and links to the full report and its figures at the commit
checked out. On GitHub Actions (GITHUB_SERVER_URL and GITHUB_REPOSITORY set) the links
point into the repository at that commit, so the figures need no image host and readers of
a private repository need no more than their access to it; elsewhere they are relative.
Every metric and param comes from dvc's JSON output: no metrics file is named here.

Every value in the comment comes from the pull request (params, metric names, paths, the report,
the base branch's name), so none may turn into Markdown or HTML: GitHub renders a bot's comment
with the bot's authority. Names and values are code spans that no backtick in them can close
(`code`, `cell`); the verdict and link texts are plain text (`plain`): Markdown punctuation
escaped, @mentions, #references and bare links broken by an invisible WORD JOINER; link targets
are percent-encoded paths inside the repository at the commit checked out.
"""

import argparse
import json
import os
import posixpath
import re
import subprocess
import sys
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from run_dvc import dvc_json  # .github/scripts/run_dvc.py, beside this script

IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")  # ![alt](path) in the report
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # a `code span` in the verdict
# Punctuation that opens or closes Markdown anywhere in a line: code, emphasis, links, images,
# HTML and autolinks (<), entities (&), table cells (|), strikethrough (~), GitHub's math ($).
INLINE = set("\\`*_[]<>&|~$!")
# What opens a block at the start of a line: a heading, quote, list item or setext underline.
BLOCK_START = re.compile(r"^(?:[#>+=-]|\*(?=\s|$)|(\d+)(?=[.)]))")
# GitHub turns @user, #12, owner/repo#12, bare URLs and www. into links after rendering, where
# backslashes are gone: an invisible WORD JOINER after the @, # or : (of ://) breaks them.
AUTOLINK = re.compile(r"[@#]|:(?=//)|\bwww(?=\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"
HIDDEN = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}  # controls, bidi overrides, zero-width, separators
GITHUB_LIMIT = 65536  # characters GitHub accepts in a comment


def verdict(report):
    """The first paragraph after the report's `# ` title."""
    lines = report.splitlines()
    title = next((number for number, line in enumerate(lines) if line.startswith("# ")), None)
    if title is None:
        raise ValueError("it has no `# ` title")
    paragraph = []
    for line in lines[title + 1:]:
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            break
    if not paragraph or paragraph[0].startswith("#"):
        raise ValueError("it has no paragraph after its title")
    return "\n".join(paragraph)

def figures(report, report_path):
    """The images the report shows, as paths from the project root, in order; URLs and paths
    that lead out of the project are left out (their link would open them)."""
    folder = PurePosixPath(report_path).parent
    paths = (posixpath.normpath(folder / path) for path in IMAGE.findall(report) if "://" not in path)
    return [path for path in paths if not path.startswith(("/", "../")) and path != ".."]


def visible(text):
    """`text` with each control, format or separator character (newline, bidirectional override,
    zero-width space) written as \\uXXXX: what the comment shows is all the value holds."""
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in HIDDEN else char for char in text)


def code(text):
    """`text` as one Markdown code span, inside which GitHub renders nothing: its fence is longer
    than any run of backticks in `text`, and a space pads a `text` that starts or ends with a
    backtick or a space (CommonMark strips one on each side)."""
    text = visible(text)
    if not text.strip():
        return f'"{text}"'
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text, keep=""):
    """Part of a line as Markdown that GitHub renders as that text: INLINE punctuation
    backslash-escaped (but `keep`), a WORD JOINER breaking each AUTOLINK."""
    text = "".join("\\" + char if char in INLINE and char not in keep else char for char in visible(text))
    return AUTOLINK.sub(lambda match: match[0] + WORD_JOINER, text)


def plain(text, keep="", code_spans=False):
    """`text`, line by line, as Markdown that renders as that text (`escape`), with no block
    opened at a line's start. `code_spans`: the `code spans` in `text` stay code spans."""
    lines = []
    for line in text.strip().splitlines():
        line, pieces, start = line.strip(), [], 0
        for match in CODE_SPAN.finditer(line) if code_spans else ():
            content = match[2]
            if content.startswith(" ") and content.endswith(" ") and content.strip():
                content = content[1:-1]  # one space each side is padding, as CommonMark reads it
            pieces += [escape(line[start:match.start()], keep), code(content)]
            start = match.end()
        pieces.append(escape(line[start:], keep))
        pieces[0] = BLOCK_START.sub(lambda match: match[1] + "\\" if match[1] else "\\" + match[0], pieces[0])
        lines.append("".join(pieces))
    return "\n".join(lines)


def cell(value):
    """A Markdown table cell for one value of dvc's JSON: a number or boolean as JSON writes it (a
    float to 5 decimals, as dvc rounds them), anything else a code span, its pipes escaped, as GFM
    tables need even there."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(round(value, 5), "g")
    if isinstance(value, (bool, int)):
        return json.dumps(value)
    return code(value if isinstance(value, str) else json.dumps(value)).replace("|", "\\|")


def diff_table(diff, kind, base, change=True):
    """A Markdown table of `dvc metrics diff --json` or `dvc params diff --json`, or "No change.".
    `change`: add dvc's difference column (as `dvc params diff --md`, params leave it out)."""
    fields = ["old", "new", "diff"] if change else ["old", "new"]
    rows = [[cell(path), cell(name), *(cell(values.get(field)) for field in fields)]
            for path, entries in sorted(diff.items()) for name, values in sorted(entries.items())]
    if not rows:
        return "No change."
    header = ["Path", kind, cell(base), "this PR", "Change"][:len(rows[0])]
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "--:|" * len(fields)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def link(path, server, repository, sha):
    """`path` in the repository at commit `sha` on GitHub, relative when any is unknown; percent-
    encoded, so that no character of it ends the link."""
    path = quote(path, safe="/")
    return f"{server}/{repository}/blob/{sha}/{path}" if server and repository and sha else path


def comment(verdict_text, metrics_diff, params_diff, base, report_path, figure_paths,
            sha=None, server=None, repository=None):
    """The whole comment in Markdown, every value from the pull request escaped; links as `link`
    makes them. The verdict keeps its bold and its code spans. ValueError if GitHub would refuse it."""
    at = f" at {code(sha[:7])}" if sha else ""
    figure_links = ", ".join(f"[{plain(PurePosixPath(path).name)}]({link(path, server, repository, sha)})"
                             for path in figure_paths)
    text = "\n".join([
        f"## DVC results of this pull request{at}",
        "",
        plain(verdict_text, keep="*", code_spans=True),
        "",
        f"### Metrics: {code(base)} → this PR",
        "",
        diff_table(metrics_diff, "Metric", base),
        "",
        f"### Params: {code(base)} → this PR",
        "",
        diff_table(params_diff, "Param", base, change=False),
        "",
        f"Full report: [{plain(report_path)}{at}]({link(report_path, server, repository, sha)})"
        + (f". Figures: {figure_links}." if figure_links else "."),
        "",
    ])
    if len(text) > GITHUB_LIMIT:
        raise ValueError(f"the comment would be {len(text):,} characters, more than the {GITHUB_LIMIT:,} "
                         "GitHub accepts")
    return text


def head_commit():
    """The commit checked out, or None outside a git repository."""
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with (the PR's base branch)")
    parser.add_argument("--report", default="reports/report.md", help="the generated report")
    args = parser.parse_args(argv)

    report_path = Path(args.report)
    if not report_path.is_file():
        sys.exit(f"error: no report at {report_path}: run `dvc repro` and commit it")
    try:
        report = report_path.read_text(encoding="utf-8")
        verdict_text = verdict(report)
    except ValueError as problem:  # UnicodeDecodeError too
        sys.exit(f"error: cannot find the verdict in {report_path}: {problem}; "
                 "run `dvc repro` to regenerate it")
    metrics_diff, params_diff = dvc_json("metrics", "diff", args.base), dvc_json("params", "diff", args.base)
    try:
        text = comment(verdict_text, metrics_diff, params_diff, args.base, args.report,
                       figures(report, args.report), head_commit(),
                       os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY"))
    except ValueError as problem:
        sys.exit(f"error: {problem}; change fewer params and metrics in one pull request, "
                 "or shorten the report's verdict")
    print(text, end="")


if __name__ == "__main__":
    main()
