""".github/scripts/post_comment.sh, run by bash on a real artifact folder, with a stand-in for
GitHub's `gh` on PATH (GitHub is out of reach here) that answers as gh does: each failure is
the exact message gh prints for it. tests/e2e/test_pr_results.py runs it in the workflow."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

SCRIPT = PROJECT / ".github" / "scripts" / "post_comment.sh"
REPOSITORY, HEAD = "team/mnist", "0123456789abcdef0123456789abcdef01234567"
FAKE_GH = '''#!{python}
"""A stand-in for GitHub's `gh`: appends its arguments to $GH_CALLS (one JSON list a line).
`gh api` prints $GH_PR_HEAD, `gh run download ... --dir D` copies $GH_ARTIFACT's files into D,
`gh pr comment` prints the comment's address. $GH_FAILS_API, $GH_FAILS_RUN or $GH_FAILS_PR
makes that command print its value on stderr and exit 1 instead, as gh does on an error."""
import json, os, shutil, sys

arguments = sys.argv[1:]
with open(os.environ["GH_CALLS"], "a") as calls:
    calls.write(json.dumps(arguments) + "\\n")
if os.environ.get("GH_FAILS_" + arguments[0].upper()):
    sys.exit(os.environ["GH_FAILS_" + arguments[0].upper()])
if arguments[0] == "api":
    print(os.environ["GH_PR_HEAD"])
elif arguments[:2] == ["run", "download"]:
    shutil.copytree(os.environ["GH_ARTIFACT"], arguments[arguments.index("--dir") + 1], dirs_exist_ok=True)
elif arguments[:2] == ["pr", "comment"]:
    print("https://github.com/" + arguments[arguments.index("--repo") + 1] + "/pull/" + arguments[2]
          + "#issuecomment-1")
'''
READ_ONLY = [  # GitHub's answer to a read-only token, through gh's GraphQL and REST calls
    "GraphQL: Resource not accessible by integration (addComment)",
    "GraphQL: Resource not accessible by integration (updateIssueComment)",
    "HTTP 403: Resource not accessible by integration (https://api.github.com/repos/team/mnist/issues/7/comments)",
]
OTHER_FAILURES = [
    "HTTP 401: Bad credentials (https://api.github.com/graphql)",
    "error connecting to api.github.com\ncheck your internet connection or https://githubstatus.com",
    "HTTP 403: API rate limit exceeded for installation ID 1. (https://api.github.com/graphql)",
    "GraphQL: Could not resolve to a PullRequest with the number of 7. (repository.pullRequest)",
    "HTTP 502: Server Error (https://api.github.com/graphql)",
    "GraphQL: Resource limits for this query exceeded. (repository)",
]


def install_fake_gh(folder):
    """A folder holding the stand-in `gh`, to put first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gh").write_text(FAKE_GH.format(python=sys.executable))
    (folder / "gh").chmod(0o755)
    return folder


def gh_calls(path):
    """The argument lists `gh` was called with, in order."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def artifact(tmp_path):
    """What pr-results.yml uploads: the PR number and the comment."""
    folder = tmp_path / "artifact"
    folder.mkdir()
    (folder / "pr-number").write_text("7\n")
    (folder / "comment.md").write_text("## DVC results of this pull request\n\nNo change.\n")
    return folder


@pytest.fixture
def post(tmp_path, artifact):
    """post(**gh_env, head=...) runs the script; returns its result and the calls `gh` received."""
    stand_ins = install_fake_gh(tmp_path / "bin")
    calls = tmp_path / "gh-calls"

    def run(head=HEAD, **gh_env):
        calls.unlink(missing_ok=True)
        env = {"PATH": f"{stand_ins}{os.pathsep}{os.environ['PATH']}", "GITHUB_REPOSITORY": REPOSITORY,
               "GH_TOKEN": "a-token", "GH_CALLS": str(calls), "GH_PR_HEAD": HEAD, **gh_env}
        result = subprocess.run(["bash", str(SCRIPT), str(artifact), head], env=env, cwd=tmp_path,
                                capture_output=True, text=True)
        return result, gh_calls(calls)

    return run


def test_the_comment_is_posted_on_its_pull_request_from_the_file(post, artifact):
    result, calls = post()
    assert result.returncode == 0, result.stderr
    assert calls == [["api", f"repos/{REPOSITORY}/pulls/7", "--jq", ".head.sha"],
                     ["pr", "comment", "7", "--repo", REPOSITORY, "--edit-last", "--create-if-none",
                      "--body-file", str(artifact / "comment.md")]]
    assert result.stdout == f"Posted on pull request #7: https://github.com/{REPOSITORY}/pull/7#issuecomment-1\n"


@pytest.mark.parametrize("message", READ_ONLY)
def test_a_read_only_token_only_warns(post, message):
    result, calls = post(GH_FAILS_PR=message)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::warning title=No PR comment::The token may not comment on pull "
                                    "request #7 (GitHub: Resource not accessible by integration)")
    assert "summary page of the PR results run" in result.stdout and result.stderr == ""


@pytest.mark.parametrize("message", OTHER_FAILURES)
def test_every_other_failure_of_gh_fails_the_job_with_its_message(post, message):
    result, calls = post(GH_FAILS_PR=message)
    assert result.returncode == 1
    one_line = message.replace("\n", "; ")
    assert result.stderr == f"error: gh could not comment on pull request #7: {one_line}\n"
    assert "::warning" not in result.stdout


def test_a_failed_look_up_of_the_pull_request_fails_the_job_and_posts_nothing(post):
    result, calls = post(GH_FAILS_API=f"HTTP 401: Bad credentials (https://api.github.com/repos/{REPOSITORY}/pulls/7)")
    assert result.returncode == 1
    assert result.stderr.startswith("error: gh could not look up pull request #7: HTTP 401: Bad credentials")
    assert [call[0] for call in calls] == ["api"]


def test_a_pull_request_that_moved_on_gets_no_stale_comment(post):
    result, calls = post(GH_PR_HEAD="f" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "::notice title=No PR comment::Pull request #7 is at fffffff now, not at 0123456,")
    assert [call[0] for call in calls] == ["api"]


@pytest.mark.parametrize("number", [
    "7; touch pwned", "$(touch pwned)", "`touch pwned`", "0", "-7", "07", "+7", "7.0", "7\n8", " 7",
    "12345678901", "٣", "", "::warning::forged",
])
def test_a_pr_number_that_is_not_a_plain_integer_is_refused_before_gh_runs(post, artifact, number):
    (artifact / "pr-number").write_text(number)
    result, calls = post()
    assert result.returncode == 1 and calls == []
    assert result.stderr.startswith("error: the PR results artifact")
    assert "pwned" not in result.stdout + result.stderr and "forged" not in result.stdout + result.stderr
    assert not (artifact.parent / "pwned").exists()


@pytest.mark.parametrize("problem", ["missing", "symlink", "empty", "not UTF-8", "too long"])
def test_a_comment_that_github_would_not_take_is_refused_before_gh_runs(post, artifact, problem):
    comment = artifact / "comment.md"
    if problem == "missing":
        comment.unlink()
    elif problem == "symlink":
        comment.unlink()
        comment.symlink_to("/etc/passwd")
    elif problem == "empty":
        comment.write_text("")
    elif problem == "not UTF-8":
        comment.write_bytes(b"## Results\n\xff\xfe\n")
    else:
        comment.write_text("é" * 65_537)
    result, calls = post()
    assert result.returncode == 1 and calls == []
    assert result.stderr.startswith("error: the PR results artifact") and "nothing posted" in result.stderr


def test_the_limit_counts_characters_not_bytes(post, artifact):
    (artifact / "comment.md").write_text("é" * 65_536)  # 131,072 bytes
    result, calls = post()
    assert result.returncode == 0, result.stderr
    assert calls[-1][:2] == ["pr", "comment"]


def test_a_head_that_is_not_a_commit_sha_is_refused(post):
    result, calls = post(head="main")
    assert result.returncode == 1 and calls == []
    assert result.stderr.startswith("error: HEAD_SHA 'main' is not a full commit SHA")


def test_the_fake_gh_copies_an_artifact_as_gh_run_download_does(tmp_path, artifact):
    """The e2e tests download with it: it must put the artifact's files in the --dir folder."""
    stand_ins = install_fake_gh(tmp_path / "bin")
    env = dict(os.environ, GH_CALLS=str(tmp_path / "calls"), GH_ARTIFACT=str(artifact))
    subprocess.run([str(stand_ins / "gh"), "run", "download", "42", "--name", "pr-comment", "--dir",
                    str(tmp_path / "down")], env=env, check=True)
    assert sorted(path.name for path in Path(tmp_path / "down").iterdir()) == ["comment.md", "pr-number"]
