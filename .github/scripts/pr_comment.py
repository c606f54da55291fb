"""Print the pull-request comment, in Markdown, that .github/workflows/pr-results.yml posts.

Run from the project root:

    python .github/scripts/pr_comment.py --base origin/main

It prints the report's verdict (the first paragraph after the title of reports/report.md),
the `dvc metrics diff` and `dvc params diff` tables between --base and the workspace ("No
change." when there is none), and links to the full report and its figures at the commit
checked out. On GitHub Actions (GITHUB_SERVER_URL and GITHUB_REPOSITORY set) the links
point into the repository at that commit, so the figures need no image host and readers of
a private repository need no more than their access to it; elsewhere they are relative.
Every metric and param comes from dvc's JSON output: no metrics file is named here.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")  # ![alt](path) in the report


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
    """The images the report shows, as paths from the project root, in order."""
    folder = PurePosixPath(report_path).parent
    return [str(folder / path) for path in IMAGE.findall(report) if "://" not in path]


def cell(value):
    """A Markdown table cell for one value of dvc's JSON: floats to 5 decimals as dvc rounds them."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(round(value, 5), "g")
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|")


def diff_table(diff, kind, base, change=True):
    """A Markdown table of `dvc metrics diff --json` or `dvc params diff --json`, or "No change.".
    `change`: add dvc's difference column (as `dvc params diff --md`, params leave it out)."""
    fields = ["old", "new", "diff"] if change else ["old", "new"]
    rows = [[path, name, *(cell(values.get(field)) for field in fields)]
            for path, entries in sorted(diff.items()) for name, values in sorted(entries.items())]
    if not rows:
        return "No change."
    header = ["Path", kind, f"`{base}`", "this PR", "Change"][:len(rows[0])]
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "--:|" * len(fields)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def link(path, server, repository, sha):
    """`path` in the repository at commit `sha` on GitHub; `path` itself when any is unknown."""
    return f"{server}/{repository}/blob/{sha}/{path}" if server and repository and sha else path


def comment(verdict_text, metrics_diff, params_diff, base, report_path, figure_paths,
            sha=None, server=None, repository=None):
    """The whole comment in Markdown; links as `link` makes them."""
    at = f" at `{sha[:7]}`" if sha else ""
    figure_links = ", ".join(f"[{PurePosixPath(path).name}]({link(path, server, repository, sha)})"
                             for path in figure_paths)
    return "\n".join([
        f"## DVC results of this pull request{at}",
        "",
        verdict_text,
        "",
        f"### Metrics: `{base}` → this PR",
        "",
        diff_table(metrics_diff, "Metric", base),
        "",
        f"### Params: `{base}` → this PR",
        "",
        diff_table(params_diff, "Param", base, change=False),
        "",
        f"Full report: [{report_path}{at}]({link(report_path, server, repository, sha)})"
        + (f". Figures: {figure_links}." if figure_links else "."),
        "",
    ])


def dvc_json(*arguments):
    result = subprocess.run([sys.executable, "-m", "dvc", *arguments, "--json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        problem = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        sys.exit(f"error: `dvc {' '.join(arguments)}` failed: {problem[0]}")
    return json.loads(result.stdout or "{}")


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
    report = report_path.read_text(encoding="utf-8")
    try:
        verdict_text = verdict(report)
    except ValueError as problem:
        sys.exit(f"error: cannot find the verdict in {report_path}: {problem}; "
                 "run `dvc repro` to regenerate it")
    print(comment(verdict_text, dvc_json("metrics", "diff", args.base), dvc_json("params", "diff", args.base),
                  args.base, args.report, figures(report, args.report), head_commit(),
                  os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")), end="")


if __name__ == "__main__":
    main()
