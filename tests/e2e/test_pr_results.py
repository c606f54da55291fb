"""End to end: .github/workflows/pr-results.yml on three pull requests, with the real `dvc`
and `git`, on real MNIST files at tiny params (1000 images, 1 epoch).

The origin project's `main` holds committed results; each PR branch is cloned and checked
out at its head commit, as actions/checkout does, with the origin's DVC cache, as
actions/cache restores it. Then the workflow's own `run:` steps run in order, each with
bash as the runner runs them (`-eo pipefail`, the step's `env:` with its expressions
filled in), up to the first that fails: lock check, re-run, accuracy check, comment. The
install step is left out (the tests' interpreter has the project). GitHub is out of reach
here, so `gh` is a stand-in on PATH that records its arguments, or fails as it does on a
pull request from a fork.
"""

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT, copy_project, dvc, run, set_params

pytestmark = pytest.mark.e2e

WORKFLOW = PROJECT / ".github" / "workflows" / "pr-results.yml"
SERVER, REPOSITORY, PR_NUMBER = "https://github.com", "team/mnist", "7"
FORK_ERROR = "GraphQL: Resource not accessible by integration (addComment)"
GH = """#!/bin/sh
printf '%s\\n' "$@" > "$GH_ARGUMENTS"
if [ -n "$GH_FAILS" ]; then echo "$GH_FAILS" >&2; exit 1; fi
"""


def commit(repo, message):
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", message], cwd=repo)


def show(repo, revision, path):
    return run(["git", "show", f"{revision}:{path}"], cwd=repo).stdout


def bump_accuracies(value, step):
    """`value` (parsed metrics JSON) with every "accuracy" moved by `step`, however nested."""
    if isinstance(value, dict):
        return {key: item + step if key == "accuracy" else bump_accuracies(item, step)
                for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def origin(built_project, tmp_path_factory):
    """main with the results of one real `dvc repro`, and three PR branches from it."""
    repo = copy_project(built_project[0], tmp_path_factory.mktemp("pr-results") / "repo")
    shutil.copytree(PROJECT / ".github", repo / ".github", ignore=shutil.ignore_patterns("__pycache__"))
    commit(repo, "results and the PR workflow")

    run(["git", "checkout", "-q", "-b", "cnn-2-epochs"], cwd=repo)
    set_params(repo / "params.yaml", {"train_cnn.epochs": 2})
    dvc("repro", cwd=repo)
    commit(repo, "CNN: 2 epochs")

    run(["git", "checkout", "-q", "-b", "docs-only", "main"], cwd=repo)
    (repo / "NOTES.md").write_text("How we compare the two models.\n")
    commit(repo, "notes, no params")

    run(["git", "checkout", "-q", "-b", "hand-edited", "main"], cwd=repo)
    shown = json.loads(dvc("metrics", "show", "--json", cwd=repo).stdout)[""]["data"]
    edited = sorted(path for path, found in shown.items() if "accuracy" in json.dumps(found["data"]))
    for path in edited:
        metrics = json.loads((repo / path).read_text())
        (repo / path).write_text(json.dumps(bump_accuracies(metrics, -0.01)))
    commit(repo, "better numbers, typed in")

    run(["git", "checkout", "-q", "main"], cwd=repo)
    return repo


def fill(text, expressions):
    """`text` with each ${{ expression }} replaced; an expression the test does not know fails it."""
    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda match: expressions[match.group(1)], str(text))


def run_workflow(origin, branch, tmp_path, gh_fails=""):
    """Check out `branch` as the workflow would, run its `run:` steps in order until one fails.
    Returns the project, the head commit, and (step name, result) for each step run."""
    project = tmp_path / "checkout"
    run(["git", "clone", "-q", str(origin), str(project)], cwd=tmp_path)
    head = run(["git", "rev-parse", f"origin/{branch}"], cwd=project).stdout.strip()
    run(["git", "checkout", "-q", head], cwd=project)
    dvc("cache", "dir", "--local", str(origin / ".dvc" / "cache"), cwd=project)

    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    (stand_ins / "gh").write_text(GH)
    (stand_ins / "gh").chmod(0o755)
    (tmp_path / "runner").mkdir()
    env = {"PATH": os.pathsep.join([str(stand_ins), str(Path(sys.executable).parent), os.environ["PATH"]]),
           "GITHUB_SERVER_URL": SERVER, "GITHUB_REPOSITORY": REPOSITORY,
           "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GH_ARGUMENTS": str(tmp_path / "gh-arguments"), "GH_FAILS": gh_fails}
    expressions = {"github.base_ref": "main", "github.event.pull_request.number": PR_NUMBER,
                   "github.event.pull_request.head.sha": head, "github.token": "a-token"}

    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["results"]
    steps = []
    for step in job["steps"]:
        if "run" not in step or step["run"].startswith("pip install"):
            continue
        step_env = {**job["env"], **step.get("env", {})}
        step_env = {name: fill(value, expressions) for name, value in step_env.items()}
        result = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=project,
                     check=False, env={**env, **step_env})
        steps.append((step["name"], result))
        if result.returncode != 0:
            break
    return project, head, steps


def assert_all_passed(steps):
    for name, result in steps:
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    assert steps[-1][0] == "Show it in the job summary and as the PR's sticky comment"


def sections(comment):
    """{heading: the first paragraph or table below it} of a comment."""
    parts = re.split(r"^#+ (.*)$", comment, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip().split("\n\n")[0] for i in range(1, len(parts), 2)}


def table_rows(text):
    """The body rows of the Markdown table in `text`, as lists of cells."""
    lines = [line for line in text.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_a_pr_that_changes_train_cnn_epochs(origin, tmp_path):
    project, head, steps = run_workflow(origin, "cnn-2-epochs", tmp_path)
    assert_all_passed(steps)

    comment = (tmp_path / "runner" / "pr-comment.md").read_text()
    (tmp_path / "the-comment.md").write_text(comment)  # kept for a reader of the test's tmp folder
    assert (tmp_path / "summary.md").read_text() == comment
    assert (tmp_path / "gh-arguments").read_text().split() == [
        "pr", "comment", PR_NUMBER, "--repo", REPOSITORY, "--edit-last", "--create-if-none",
        "--body-file", str(tmp_path / "runner" / "pr-comment.md")]

    parts = sections(comment)
    assert f"at `{head[:7]}`" in comment.splitlines()[0]
    verdict = parts[f"DVC results of this pull request at `{head[:7]}`"]
    assert verdict in show(project, head, "reports/report.md")
    assert verdict not in show(project, "origin/main", "reports/report.md")

    params = table_rows(parts["Params: `origin/main` → this PR"])
    assert params == [["params.yaml", "train_cnn.epochs", "1", "2"]]
    metrics = table_rows(parts["Metrics: `origin/main` → this PR"])
    assert not any("dense" in " ".join(row) for row in metrics)  # the dense network was not retrained
    cnn_accuracy = next(row for row in metrics if "cnn" in " ".join(row) and "accuracy" in row[1])
    old, new = float(cnn_accuracy[2]), float(cnn_accuracy[3])
    assert f"{100 * new:.2f} %" in verdict  # the report's numbers are the ones in the table
    assert f"{100 * old:.2f} %" in show(project, "origin/main", "reports/report.md")

    links = re.findall(rf"\]\({re.escape(SERVER)}/{REPOSITORY}/blob/{head}/([^)]+)\)", comment)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", show(project, head, "reports/report.md"))
    assert links == ["reports/report.md"] + [f"reports/{image}" for image in images] and images
    for path in links:
        run(["git", "cat-file", "-e", f"{head}:{path}"], cwd=project)  # each link opens a file


def test_a_pr_from_a_fork_that_changes_no_params(origin, tmp_path):
    project, head, steps = run_workflow(origin, "docs-only", tmp_path, gh_fails=FORK_ERROR)
    assert_all_passed(steps)  # a comment that could not be posted fails nothing
    posting = steps[-1][1]
    assert FORK_ERROR in posting.stderr and "::warning" in posting.stdout

    comment = (tmp_path / "summary.md").read_text()  # the run's page still shows the results
    assert comment == (tmp_path / "runner" / "pr-comment.md").read_text()
    parts = sections(comment)
    assert parts["Metrics: `origin/main` → this PR"] == "No change."
    assert parts["Params: `origin/main` → this PR"] == "No change."
    verdict = parts[f"DVC results of this pull request at `{head[:7]}`"]
    assert verdict in show(project, "origin/main", "reports/report.md")


def test_a_pr_whose_metrics_were_edited_by_hand(origin, tmp_path):
    project, head, steps = run_workflow(origin, "hand-edited", tmp_path)
    edited = run(["git", "diff", "--name-only", "origin/main", head], cwd=project).stdout.split()
    assert edited  # the fixture found a metrics file with an accuracy to edit
    name, result = steps[-1]
    assert (name, result.returncode) == ("The committed dvc.lock matches the code and params", 1)
    assert "Run `dvc repro` and commit dvc.lock, metrics/ and reports/." in result.stderr
    for path in edited:
        assert f"outs {path} modified" in result.stderr
    assert not (tmp_path / "summary.md").exists()  # no results shown for numbers that were not made
