#!/usr/bin/env bash
# Post the comment that pr_comment.py wrote in a "PR results" run on its pull request, as one
# sticky comment edited in place on each push (`--edit-last` edits the last comment of the
# token's user, github-actions[bot]: keep this the only workflow that comments with it).
# .github/workflows/pr-comment.yml runs it on the artifact that run uploaded.
#
# That artifact was made by the pull request's own code, so it is untrusted: the PR number must
# be a plain integer, and that pull request's head must still be the commit the run checked out
# (a run comments on its own pull request only, and a superseded run not at all); the comment
# must be a non-empty UTF-8 file of at most 65,536 characters (GitHub's limit), and reaches `gh`
# only as that file. Nothing of it is echoed: a line could be a workflow command.
#
# A token that may not write to pull requests (GitHub answers "Resource not accessible by
# integration", HTTP 403) only warns: the results stay on the PR results run's summary page.
# Every other failure of `gh` (bad credentials, no network, no such pull request) fails the job.
#
# Usage: post_comment.sh FOLDER HEAD_SHA
#   FOLDER    the downloaded artifact: pr-number and comment.md
#   HEAD_SHA  the commit the PR results run checked out (github.event.workflow_run.head_sha)
# Needs: GITHUB_REPOSITORY, GH_TOKEN (set by the workflow) and `gh`.
set -euo pipefail
folder=$1
head_sha=$2
limit=65536

fail() {
  echo "error: $*" >&2
  exit 1
}

if [[ ! $head_sha =~ ^[0-9a-f]{40}$ ]]; then
  fail "HEAD_SHA '$head_sha' is not a full commit SHA (pass github.event.workflow_run.head_sha)"
fi

for name in pr-number comment.md; do
  if [[ ! -f $folder/$name || -L $folder/$name || ! -s $folder/$name ]]; then
    fail "the PR results artifact has no file $name (a regular, non-empty file): nothing posted"
  fi
done
pr_number=$(head -c 32 "$folder/pr-number")
if [[ ! $pr_number =~ ^[1-9][0-9]{0,9}$ ]]; then
  fail "the PR results artifact's pr-number is not a pull request number (a positive integer): nothing posted"
fi
comment=$folder/comment.md
if ! iconv -f UTF-8 -t UTF-8 "$comment" > /dev/null 2>&1; then
  fail "the PR results artifact's comment.md is not UTF-8 text: nothing posted"
fi
characters=$(LC_ALL=C.UTF-8 wc -m < "$comment")
if (( characters > limit )); then
  fail "the PR results artifact's comment.md has $characters characters, more than the $limit GitHub accepts: nothing posted"
fi

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! current_head=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr_number" --jq .head.sha 2> "$errors"); then
  message=$(< "$errors")
  fail "gh could not look up pull request #$pr_number: ${message//$'\n'/; }"
fi
if [[ $current_head != "$head_sha" ]]; then
  echo "::notice title=No PR comment::Pull request #$pr_number is at ${current_head:0:7} now, not at" \
    "${head_sha:0:7}, the commit this comment was made for: not posted (the run for the new commit posts its own)."
  exit 0
fi

if ! answer=$(gh pr comment "$pr_number" --repo "$GITHUB_REPOSITORY" --edit-last --create-if-none \
    --body-file "$comment" 2>&1); then
  if [[ $answer =~ (GraphQL|HTTP\ 403):\ Resource\ not\ accessible\ by\ integration ]]; then
    echo "::warning title=No PR comment::The token may not comment on pull request #$pr_number" \
      "(GitHub: Resource not accessible by integration): it is read-only, as GitHub makes it for a" \
      "pull request from a fork or Dependabot in a pull_request run, or this job lacks" \
      "\`pull-requests: write\`. The results are on the summary page of the PR results run."
    exit 0
  fi
  fail "gh could not comment on pull request #$pr_number: ${answer//$'\n'/; }"
fi
echo "Posted on pull request #$pr_number: $answer"
