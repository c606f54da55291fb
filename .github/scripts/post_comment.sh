#!/usr/bin/env bash
# Publish the comment that pr_comment.py wrote: append it to this run's job summary (shown on
# the run's page, for every pull request), then post it on the pull request as one sticky
# comment, edited in place on each push (`--edit-last` edits the last comment of the token's
# user, github-actions[bot]: keep this the only workflow that comments with it).
# A pull request from a fork gets a read-only token and cannot be commented on: that is a
# warning, not a failure; the summary still shows the results.
#
# Usage: post_comment.sh COMMENT_FILE PR_NUMBER
# Needs: GITHUB_STEP_SUMMARY, GITHUB_REPOSITORY, GH_TOKEN (all set by the workflow) and `gh`.
set -euo pipefail
comment_file=$1
pr_number=$2

cat "$comment_file" >> "$GITHUB_STEP_SUMMARY"
if ! gh pr comment "$pr_number" --repo "$GITHUB_REPOSITORY" --edit-last --create-if-none \
    --body-file "$comment_file"; then
  echo "::warning title=No PR comment::Could not comment on pull request #$pr_number" \
    "(a pull request from a fork has a read-only token); the results are in this run's summary."
fi
