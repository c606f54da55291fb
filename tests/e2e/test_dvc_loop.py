"""End to end: the daily DVC loop is fast and truthful. Every stage but compare is saved in
DVC's run-cache, outputs are byte-stable, and `dvc exp show` reads at a glance.

Real `dvc` and `git` in temporary repositories, real MNIST at tiny params (conftest.py).
"""

import re
import shlex

import pytest
import yaml

from tests.conftest import (
    PROJECT,
    copy_project,
    dvc,
    in_a_terminal,
    run,
    set_params,
    stages_cached,
    stages_run,
)
from tests.e2e.test_workflows import changed_stages

pytestmark = pytest.mark.e2e


def locked_outputs(repo):
    """{output path: md5} of every output in dvc.lock."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


@pytest.fixture(scope="module")
def repo(built_project, tmp_path_factory):
    """A project whose results of one `dvc repro` at tiny params are committed."""
    return copy_project(built_project[0], tmp_path_factory.mktemp("loop") / "repo")


@pytest.fixture(scope="module")
def experiments(repo):
    """Two experiments, the dense network at another learning rate, then back at the committed
    one: (what each printed, the committed rate, what `dvc status` found changed before the first
    and after it)."""
    committed = yaml.safe_load((repo / "params.yaml").read_text())["train_dense"]["learning_rate"]
    set_params(repo / "params.yaml", {"train_dense.learning_rate": 0.002})  # what -S will write
    before = changed_stages(repo)
    run(["git", "checkout", "-q", "--", "params.yaml"], cwd=repo)
    changed = dvc("exp", "run", "-S", "train_dense.learning_rate=0.002", cwd=repo).stdout
    after = changed_stages(repo)
    back = dvc("exp", "run", "-S", f"train_dense.learning_rate={committed}", cwd=repo).stdout
    return changed, back, committed, (before, after)


def test_a_training_param_reruns_only_the_stages_that_read_it(experiments):
    before, after = experiments[3]
    # compare prints every train_dense param in the report's footer, so it reads them too; permuted
    # trains with the same recipe when it is on (off, it re-runs in a second and trains nothing).
    # evaluate and robustness follow once the model they read has changed.
    assert before == {"train_dense@3", "permuted", "compare"}
    assert after == set()


def test_going_back_to_params_that_already_ran_trains_nothing(experiments):
    changed, back, *_ = experiments
    assert stages_run(changed) == ["train_dense", "evaluate", "robustness", "permuted", "compare"]
    assert stages_run(back) == ["compare"], back  # compare writes the report: never run-cached
    assert stages_cached(back) == ["train_dense", "evaluate", "robustness", "permuted"], back


def test_a_bad_value_stops_the_run_before_any_output_is_removed(repo):
    model = repo / "models" / "seed-3" / "cnn.keras"
    before = model.read_bytes()
    failed = dvc("exp", "run", "-S", "train_cnn.epochs=five", cwd=repo, check=False)
    assert failed.returncode != 0
    assert "train_cnn.epochs = 'five' is invalid" in failed.stderr + failed.stdout
    # check_params stops it first: DVC, which removes a stage's outputs before running it, never got
    # to train_cnn
    assert stages_run(failed.stdout, check=True) == ["check_params"] and model.read_bytes() == before
    set_params(repo / "params.yaml", {"train_cnn.epochs": 1})
    restored = dvc("repro", cwd=repo).stdout
    assert "train_cnn" not in stages_run(restored) and model.read_bytes() == before
    run(["git", "checkout", "-q", "--", "."], cwd=repo)
    assert dvc("status", cwd=repo).stdout.strip() == "Data and pipelines are up to date."


def test_forcing_a_retrain_changes_nothing_downstream(repo):
    before = locked_outputs(repo)
    forced = dvc("repro", "-f", "train_dense", cwd=repo).stdout  # and the stages before it
    assert stages_run(forced) == ["download", "preprocess", "train_dense"]
    rest = dvc("repro", cwd=repo).stdout
    assert stages_run(rest) == []  # the same model bytes: evaluate and compare have nothing to do
    assert locked_outputs(repo) == before
    run(["git", "checkout", "-q", "--", "."], cwd=repo)
    dvc("checkout", cwd=repo)


def test_exp_show_fits_120_columns(repo, experiments):
    # The two experiments above, each a row: the first with other dense metrics than the baseline's.
    readme = (PROJECT / "README.md").read_text()
    command = re.search(r"^(dvc exp show --only-changed .*?)\s*(#.*)?$", readme, re.MULTILINE).group(1)
    table = in_a_terminal([*shlex.split(command), "--no-pager"], repo, columns=120)
    lines = table.splitlines()
    header = next(line for line in lines if "Experiment" in line).split()
    assert header == ["Experiment", "cnn.accuracy", "cnn.loss", "dense.accuracy", "dense.loss",
                      "train_dense.learning_rate"], table
    assert max(map(len, lines)) <= 120, table
    rates = [line.split()[-1] for line in lines if re.search(r"\[[\w-]+\]", line)]
    committed = experiments[2]
    assert sorted(rates, key=float) == sorted([str(committed), "0.002"], key=float), table
