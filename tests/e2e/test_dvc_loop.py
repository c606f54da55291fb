"""End to end: the daily DVC loop is fast and truthful. Every stage but compare is saved in
DVC's run-cache, outputs are byte-stable, and `dvc exp show` reads at a glance.

Real `dvc` and `git` in temporary repositories, real MNIST at tiny params (conftest.py).
"""

import re

import pytest
import yaml

from tests.conftest import dvc, make_pipeline_repo, run, set_params

pytestmark = pytest.mark.e2e

TIMINGS = ("timings/",)  # measurements: the only outputs (with the report) that may differ


def stages_run(output):
    return re.findall(r"Running stage '(\w+)'", output)


def cached(output):
    return re.findall(r"Stage '(\w+)' is cached - skipping run, checking out outputs", output)


def commit(repo, message):
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", message], cwd=repo)


def locked_outputs(repo):
    """{output path: md5} of every output in dvc.lock."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A project whose results of one `dvc repro` at tiny params are committed."""
    repo = make_pipeline_repo(tmp_path_factory.mktemp("loop"))
    dvc("repro", cwd=repo)
    commit(repo, "results")
    return repo


def test_going_back_to_params_that_already_ran_trains_nothing(repo):
    for section in ("train_dense", "train_cnn"):
        changed = dvc("exp", "run", "-S", f"{section}.epochs=2", cwd=repo).stdout
        assert stages_run(changed) == [section, "evaluate", "compare"]
        back = dvc("exp", "run", "-S", f"{section}.epochs=1", cwd=repo).stdout
        assert stages_run(back) == ["compare"], back  # compare writes the report: never run-cached
        assert cached(back) == [section, "evaluate"], back


def test_a_failed_run_is_restored_from_the_run_cache(repo):
    failed = dvc("exp", "run", "-S", "train_cnn.epochs=five", cwd=repo, check=False)
    assert failed.returncode != 0
    assert "train_cnn.epochs = 'five' is invalid" in failed.stderr + failed.stdout
    assert not (repo / "models" / "cnn.keras").exists()  # DVC removes outputs before a run
    set_params(repo / "params.yaml", {"train_cnn.epochs": 1})
    restored = dvc("repro", cwd=repo).stdout
    assert "train_cnn" in cached(restored) and "train_cnn" not in stages_run(restored)
    assert (repo / "models" / "cnn.keras").exists()
    run(["git", "checkout", "-q", "--", "."], cwd=repo)
    assert dvc("status", cwd=repo).stdout.strip() == "Data and pipelines are up to date."


def test_two_clones_give_the_same_bytes_but_for_timings_and_the_report(repo, tmp_path):
    other = make_pipeline_repo(tmp_path)
    dvc("repro", cwd=other)
    ours, theirs = locked_outputs(repo), locked_outputs(other)
    assert ours.keys() == theirs.keys()
    differ = sorted(path for path in ours if ours[path] != theirs[path])
    assert all(path.startswith(TIMINGS) or path == "reports/report.md" for path in differ), differ
    assert "models/dense.keras" in ours and "reports/figures" in ours


def test_forcing_a_retrain_changes_nothing_downstream(repo):
    before = locked_outputs(repo)
    forced = dvc("repro", "-f", "train_dense", cwd=repo).stdout  # and the stages before it
    assert stages_run(forced) == ["download", "preprocess", "train_dense"]
    rest = dvc("repro", cwd=repo).stdout
    assert stages_run(rest) == ["compare"]  # evaluate is skipped: the model did not change
    after = locked_outputs(repo)
    differ = sorted(path for path in before if before[path] != after[path])
    assert all(path.startswith(TIMINGS) or path == "reports/report.md" for path in differ), differ
    run(["git", "checkout", "-q", "--", "."], cwd=repo)
    dvc("checkout", cwd=repo)


def test_exp_show_fits_120_columns(repo):
    for learning_rate in ("0.002", "0.003"):
        dvc("exp", "run", "-S", f"train_dense.learning_rate={learning_rate}", cwd=repo)
    command = readme_exp_show_command()
    table = dvc(*command.split()[1:], cwd=repo, env={"COLUMNS": "120"}).stdout
    print(table)
    header = "\n".join(table.splitlines()[:4])
    for column in ("train_dense.learning_rate", "dense.accuracy", "dense.loss", "cnn.accuracy", "cnn.loss"):
        assert column in header, table
    assert max(map(len, table.splitlines())) <= 120
    assert "0.002" in table and "0.003" in table


def readme_exp_show_command():
    from tests.conftest import PROJECT

    readme = (PROJECT / "README.md").read_text()
    return re.search(r"^(dvc exp show[^\n#]*?)\s*(#.*)?$", readme, re.MULTILINE).group(1).strip()
