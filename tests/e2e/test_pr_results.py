"""End to end: the two pull-request workflows on three pull requests, with the real `dvc` and
`git`, on real MNIST files at tiny params (1000 images, 1 epoch): .github/workflows/pr-results.yml
(the `pull_request` half: it reproduces the results and uploads the comment as an artifact), then
.github/workflows/pr-comment.yml (the `workflow_run` half: it downloads that artifact and posts it).

The origin project's `main` holds committed results; each PR branch is cloned and checked out at
its head commit, as actions/checkout does, with the origin's DVC cache, as actions/cache restores
it. Then each workflow's own `run:` steps run in order, each with bash as the runner runs them
(`-eo pipefail`, the step's `env:` with its expressions filled in), up to the first that fails:
params check, lock check, re-run, accuracy check, comment; then download and post, in a checkout
of the origin's default branch, as pr-comment.yml's checkout makes it. The install step is left
out (the tests' interpreter has the project); upload-artifact is a copy into a folder, from which
the stand-in `gh` on PATH (tests/test_post_comment.py: GitHub is out of reach here) downloads it
as `gh run download` does; that `gh` records each call, and fails as gh does where a test says.
"""

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.conftest import CNN_BRANCH, PROJECT, copy_project, dvc, run
from tests.test_post_comment import gh_calls, install_fake_gh

pytestmark = pytest.mark.e2e

WORKFLOWS = PROJECT / ".github" / "workflows"
PR_RESULTS, PR_COMMENT = WORKFLOWS / "pr-results.yml", WORKFLOWS / "pr-comment.yml"
SERVER, REPOSITORY, PR_NUMBER, RUN_ID = "https://github.com", "team/mnist", "7", "4242"
READ_ONLY = "GraphQL: Resource not accessible by integration (addComment)"
BAD_CREDENTIALS = "HTTP 401: Bad credentials (https://api.github.com/graphql)"
# A base branch whose name is all the Markdown and HTML a git ref may hold (no space, no colon).
HOSTILE_BASE = "release`<img/src=evil.example/p.png>@octocat|x"


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
def origin(cnn_branch_project, tmp_path_factory):
    """main with the results of one real `dvc repro`, three PR branches from it (the session's
    cnn-2-epochs, rebased), and a base branch with a hostile name at main's commit."""
    repo = copy_project(cnn_branch_project, tmp_path_factory.mktemp("pr-results") / "repo")
    shutil.copytree(PROJECT / ".github", repo / ".github", ignore=shutil.ignore_patterns("__pycache__"))
    commit(repo, "results and the PR workflow")
    run(["git", "rebase", "-q", "main", CNN_BRANCH], cwd=repo)  # a PR from main as it is now

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
    run(["git", "branch", HOSTILE_BASE, "main"], cwd=repo)
    return repo


def fill(text, expressions):
    """`text` with each ${{ expression }} replaced; an expression the test does not know fails it."""
    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda match: expressions[match.group(1)], str(text))


def workflow(path):
    """A workflow file, parsed (PyYAML reads the key `on` as True)."""
    parsed = yaml.safe_load(path.read_text())
    parsed["on"] = parsed.pop(True, parsed.get("on"))
    return parsed


def job(path):
    (only,) = workflow(path)["jobs"].values()
    return only


def run_steps(path, cwd, env, expressions, artifacts):
    """Run the `run:` steps of the workflow at `path` in `cwd`, in order, until one fails; an
    upload-artifact step copies its `path` into `artifacts`/NAME. Returns (step name, result)s."""
    steps = []
    for step in job(path)["steps"]:
        if step.get("uses", "").startswith("actions/upload-artifact@"):
            shutil.copytree(fill(step["with"]["path"], expressions), artifacts / step["with"]["name"])
            continue
        if "run" not in step or step["run"].startswith("pip install"):
            continue  # checkout, setup-python, cache: what the test set up instead
        step_env = {name: fill(value, expressions)
                    for name, value in {**job(path).get("env", {}), **step.get("env", {})}.items()}
        result = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                     check=False, env={**env, **step_env})
        steps.append((step["name"], result))
        if result.returncode != 0:
            break
    return steps


def github_env(tmp_path, runner):
    """What a runner sets for every step, and the stand-in `gh` first on PATH."""
    stand_ins = install_fake_gh(tmp_path / "bin")
    (tmp_path / runner).mkdir()
    return {"PATH": os.pathsep.join([str(stand_ins), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "GITHUB_SERVER_URL": SERVER, "GITHUB_REPOSITORY": REPOSITORY,
            "RUNNER_TEMP": str(tmp_path / runner), "GH_CALLS": str(tmp_path / "gh-calls"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / f"{runner}-summary.md")}


def pr_results_run(origin, branch, tmp_path, base="main"):
    """pr-results.yml on a pull request from `branch` into `base`: the project checked out at
    the branch's head, the head commit, and (step name, result) for each step run."""
    project = tmp_path / "checkout"
    run(["git", "clone", "-q", str(origin), str(project)], cwd=tmp_path)
    head = run(["git", "rev-parse", f"origin/{branch}"], cwd=project).stdout.strip()
    run(["git", "checkout", "-q", head], cwd=project)
    dvc("cache", "dir", "--local", str(origin / ".dvc" / "cache"), cwd=project)
    env = github_env(tmp_path, "runner")
    expressions = {"github.base_ref": base, "github.event.pull_request.number": PR_NUMBER,
                   "github.event.pull_request.head.sha": head, "runner.temp": env["RUNNER_TEMP"]}
    return project, head, run_steps(PR_RESULTS, project, env, expressions, tmp_path / "artifacts")


def pr_comment_run(origin, tmp_path, head, conclusion, **gh_env):
    """pr-comment.yml after a PR results run that ended in `conclusion` for commit `head`: None
    when its job's `if:` skips it, else (step name, result) for each step run."""
    condition = job(PR_COMMENT)["if"]
    facts = {"github.event.workflow_run.event": "pull_request",
             "github.event.workflow_run.conclusion": conclusion}
    tests = [re.fullmatch(r"\s*([\w.]+) == '(\w+)'\s*", part) for part in condition.split("&&")]
    if not all(facts[test[1]] == test[2] for test in tests):  # a condition of another shape fails here
        return None
    default_branch = tmp_path / "default-branch"
    if not default_branch.exists():
        run(["git", "clone", "-q", "--branch", "main", str(origin), str(default_branch)], cwd=tmp_path)
    runner = f"runner-comment-{len(list(tmp_path.glob('runner-comment-*')))}"
    env = {**github_env(tmp_path, runner), "GH_ARTIFACT": str(tmp_path / "artifacts" / "pr-comment"),
           "GH_PR_HEAD": head, **gh_env}
    expressions = {"github.token": "a-token", "github.event.workflow_run.id": RUN_ID,
                   "github.event.workflow_run.head_sha": head}
    return run_steps(PR_COMMENT, default_branch, env, expressions, tmp_path / "artifacts")


def assert_all_passed(steps, last):
    for name, result in steps:
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    assert steps[-1][0] == last


def sections(comment):
    """{heading: the first paragraph or table below it} of a comment."""
    parts = re.split(r"^#+ (.*)$", comment, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1].strip().split("\n\n")[0] for i in range(1, len(parts), 2)}


def table_rows(text):
    """The body rows of the Markdown table in `text`, as lists of cells, code spans unwrapped."""
    lines = [line for line in text.splitlines() if line.startswith("|")][2:]
    return [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in lines]


def test_the_comment_workflow_runs_none_of_the_pull_requests_code():
    results, posting = workflow(PR_RESULTS), workflow(PR_COMMENT)
    assert results["on"] == {"pull_request": None} and results["permissions"] == {}
    assert job(PR_RESULTS)["permissions"] == {"contents": "read"}
    runs = [step["run"] for step in job(PR_RESULTS)["steps"] if "run" in step]
    first_dvc = next(number for number, command in enumerate(runs) if re.search(r"\bdvc\b", command))
    assert runs[first_dvc - 1] == "python -m stages.check_params"  # params checked before DVC reads them

    assert posting["on"] == {"workflow_run": {"workflows": [results["name"]], "types": ["completed"]}}
    assert posting["permissions"] == {}
    assert job(PR_COMMENT)["permissions"] == {"contents": "read", "actions": "read", "pull-requests": "write"}
    (checkout,) = [step for step in job(PR_COMMENT)["steps"] if "uses" in step]
    assert checkout["uses"].startswith("actions/checkout@")
    assert "ref" not in checkout["with"]  # the default branch's latest commit, for this event
    assert checkout["with"]["persist-credentials"] is False
    commands = [step["run"] for step in job(PR_COMMENT)["steps"] if "run" in step]
    assert [command.split()[:3] for command in commands] == [["gh", "run", "download"],
                                                             ["bash", ".github/scripts/post_comment.sh",
                                                              '"$RUNNER_TEMP/pr-comment"']]
    assert '--dir "$RUNNER_TEMP/pr-comment"' in commands[0]  # outside the workspace and its scripts


def test_a_pr_that_changes_train_cnn_epochs(origin, tmp_path):
    project, head, steps = pr_results_run(origin, CNN_BRANCH, tmp_path)
    assert_all_passed(steps, "Write the comment, and show it in the job summary")
    artifact = tmp_path / "artifacts" / "pr-comment"
    assert sorted(path.name for path in artifact.iterdir()) == ["comment.md", "pr-number"]
    assert (artifact / "pr-number").read_text() == f"{PR_NUMBER}\n"
    comment = (artifact / "comment.md").read_text()
    (tmp_path / "the-comment.md").write_text(comment)  # kept for a reader of the test's tmp folder
    assert (tmp_path / "runner-summary.md").read_text() == comment

    posting = pr_comment_run(origin, tmp_path, head, "success")
    assert_all_passed(posting, "Post it on the pull request")
    downloaded = tmp_path / "runner-comment-0" / "pr-comment"
    assert gh_calls(tmp_path / "gh-calls") == [
        ["run", "download", RUN_ID, "--repo", REPOSITORY, "--name", "pr-comment", "--dir", str(downloaded)],
        ["api", f"repos/{REPOSITORY}/pulls/{PR_NUMBER}", "--jq", ".head.sha"],
        ["pr", "comment", PR_NUMBER, "--repo", REPOSITORY, "--edit-last", "--create-if-none",
         "--body-file", str(downloaded / "comment.md")]]
    assert (downloaded / "comment.md").read_text() == comment  # what was posted is what was written

    parts = sections(comment)
    assert f"at `{head[:7]}`" in comment.splitlines()[0]
    verdict = parts[f"DVC results of this pull request at `{head[:7]}`"]
    assert verdict in show(project, head, "reports/report.md")  # a verdict needs no escaping
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

    # The same artifact, posted with a token GitHub refuses: the posting job fails.
    refused = pr_comment_run(origin, tmp_path, head, "success", GH_FAILS_PR=BAD_CREDENTIALS)
    name, result = refused[-1]
    assert (name, result.returncode) == ("Post it on the pull request", 1)
    assert result.stderr == f"error: gh could not comment on pull request #{PR_NUMBER}: {BAD_CREDENTIALS}\n"


def test_a_pr_into_a_hostile_base_branch_with_a_read_only_token(origin, tmp_path):
    project, head, steps = pr_results_run(origin, "docs-only", tmp_path, base=HOSTILE_BASE)
    assert_all_passed(steps, "Write the comment, and show it in the job summary")
    comment = (tmp_path / "artifacts" / "pr-comment" / "comment.md").read_text()

    page = MarkdownIt("commonmark").enable("table").render(comment)
    figures = len(list((project / "reports" / "figures").glob("*.png")))
    assert "<img" not in page and page.count("<a href") == 1 + figures  # the report and each figure
    base = f"origin/{HOSTILE_BASE}".replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert page.count(f"<code>{base}</code>") == 2  # in both headings, whole, as code
    parts = sections(comment)
    assert [text for heading, text in parts.items() if heading.startswith(("Metrics", "Params"))] == [
        "No change.", "No change."]
    verdict = parts[f"DVC results of this pull request at `{head[:7]}`"]
    assert verdict in show(project, "origin/main", "reports/report.md")

    posting = pr_comment_run(origin, tmp_path, head, "success", GH_FAILS_PR=READ_ONLY)
    assert_all_passed(posting, "Post it on the pull request")  # refused for this token: fails nothing
    result = posting[-1][1]
    assert result.stdout.startswith("::warning title=No PR comment::")
    assert "summary page of the PR results run" in result.stdout
    assert (tmp_path / "runner-summary.md").read_text() == comment  # where the results still are


def test_a_pr_whose_metrics_were_edited_by_hand(origin, tmp_path):
    project, head, steps = pr_results_run(origin, "hand-edited", tmp_path)
    edited = run(["git", "diff", "--name-only", "origin/main", head], cwd=project).stdout.split()
    assert edited  # the fixture found a metrics file with an accuracy to edit
    name, result = steps[-1]
    assert (name, result.returncode) == ("The committed dvc.lock matches the code and params", 1)
    assert "Run `dvc repro` and commit dvc.lock, metrics/ and reports/." in result.stderr
    for path in edited:
        assert f"outs {path} modified" in result.stderr
    assert not (tmp_path / "runner-summary.md").exists()  # no results shown for numbers that were not made
    assert not (tmp_path / "artifacts").exists()  # nor any comment to post
    assert pr_comment_run(origin, tmp_path, head, "failure") is None  # the posting job is skipped
