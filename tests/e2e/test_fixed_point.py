"""End to end: a committed state is a fixed point. A clone's `dvc repro --force` of it (every
stage runs, none is skipped as unchanged: README's "Determinism") leaves `git status` clean,
and a second `dvc repro` runs nothing; a branch round trip through `dvc exp run -S` and back
to main neither fails nor trains; a one-key change of params.yaml is a one-line diff. Real
`dvc` and `git`, real MNIST at tiny params.
"""

import pytest

from tests.conftest import dvc, run, stages_run
from tests.e2e.test_pipeline import STAGES

pytestmark = pytest.mark.e2e


def git(*arguments, cwd):
    return run(["git", *arguments], cwd=cwd).stdout


@pytest.fixture(scope="module")
def clone(built_project, tmp_path_factory):
    """A fresh `git clone` of the session's committed results (no DVC cache, no workspace outputs)
    and what its `dvc repro --force` printed."""
    target = tmp_path_factory.mktemp("fixed-point") / "clone"
    git("clone", "-q", str(built_project[0]), str(target), cwd=target.parent)
    git("config", "user.email", "test@example.com", cwd=target)
    git("config", "user.name", "Test", cwd=target)
    return target, dvc("repro", "--force", cwd=target).stdout


def test_a_clones_repro_reproduces_the_committed_bytes(clone):
    repo, output = clone
    assert stages_run(output) == STAGES  # every stage ran: nothing was in this clone's cache
    # dvc.lock (so data and models), metrics, histories, predictions, figures, report: the same bytes
    assert git("status", "--porcelain", cwd=repo) == ""
    assert stages_run(dvc("repro", cwd=repo).stdout) == []


def test_a_branch_round_trip_neither_fails_nor_trains(clone):
    repo, _ = clone
    git("checkout", "-q", "-b", "exp1", cwd=repo)
    tried = dvc("exp", "run", "-S", "train_cnn.epochs=2", cwd=repo).stdout
    assert stages_run(tried) == ["train_cnn", "evaluate", "robustness", "permuted", "compare"]
    # One key changed, one line changed: params.yaml is kept in the style DVC writes it.
    assert git("diff", "--numstat", "--", "params.yaml", cwd=repo).split() == ["1", "1", "params.yaml"]
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "exp1", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    checkout = dvc("checkout", cwd=repo)  # fails if dvc.lock names an output this clone never had
    assert "ERROR" not in checkout.stdout + checkout.stderr
    back = dvc("repro", cwd=repo).stdout
    assert stages_run(back) == [], back
    assert git("status", "--porcelain", cwd=repo) == ""
