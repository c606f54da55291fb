"""End to end: the DVC workflows of README's "Workflows" section, with the real `dvc` and
`git` in temporary repositories, on real MNIST files at tiny params (1000 images, 1 epoch).

1. selective rebuilds, 2. branches, 3. experiments, 4. data versioning round trip; then the
checks that .github/workflows/pr-results.yml runs on a pull request
(.github/scripts/check_results.py). test_pipeline.py already covers a full repro and
a second repro running nothing; test_fixed_point.py a train_cnn change re-running train_cnn
onwards, and determinism (README's `dvc repro --force && git status --short`).
"""

import hashlib
import json
import shutil
import sys
import time

import pytest
import yaml

from tests.conftest import (
    CHECK,
    CNN_BRANCH,
    MNIST_MIRROR,
    PROJECT,
    copy_project,
    dvc,
    run,
    set_params,
    stages_run,
)

pytestmark = pytest.mark.e2e

CHECK_RESULTS = PROJECT / ".github" / "scripts" / "check_results.py"


def commit(repo, message):
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", message], cwd=repo)


def clone(source, target):
    run(["git", "clone", "-q", str(source), str(target)], cwd=source)
    run(["git", "config", "user.email", "test@example.com"], cwd=target)
    run(["git", "config", "user.name", "Test"], cwd=target)
    return target


def changed_stages(repo):
    """The stages `dvc status` finds changed (train_dense@3: seed 3's), but check_params, which
    follows the whole params.yaml and re-runs, in a second, on any change."""
    return set(json.loads(dvc("status", "--json", cwd=repo).stdout)) - {CHECK}


def check_results(*arguments, cwd):
    return run([sys.executable, str(CHECK_RESULTS), *arguments], cwd=cwd, check=False)


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def locked_md5(repo, stage, path):
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return next(out["md5"] for out in lock["stages"][stage]["outs"] if out["path"] == path)


@pytest.fixture(scope="module")
def results(cnn_branch_project, tmp_path_factory):
    """A project on main, which holds the committed results of one real `dvc repro`, with the
    branch CNN_BRANCH: the CNN trained for 2 epochs, its outputs in the DVC cache."""
    return copy_project(cnn_branch_project, tmp_path_factory.mktemp("workflows") / "repo")


@pytest.fixture
def repo(results):
    """The shared project on main as committed; whatever a test changes is undone after it."""
    yield results
    run(["git", "checkout", "-q", "-f", "main"], cwd=results)
    dvc("checkout", "-q", "-f", cwd=results)


def test_1_a_change_reruns_only_the_stages_that_read_it(repo):
    assert changed_stages(repo) == set()

    set_params(repo / "params.yaml", {"compare.language": "fr"})
    assert changed_stages(repo) == {"compare"}
    assert stages_run(dvc("repro", cwd=repo).stdout) == ["compare"]
    assert changed_stages(repo) == set()
    # A training param: test_dvc_loop.py (the same `dvc status`, then train_dense onwards re-run).


def test_2_branches_compare_with_metrics_params_and_plots_diff(repo, tmp_path):
    metrics = json.loads(dvc("metrics", "diff", "main", CNN_BRANCH, "--json", cwd=repo).stdout)
    cnn_accuracy = metrics["metrics/test.json"]["cnn.accuracy"]
    assert cnn_accuracy["new"] != cnn_accuracy["old"]
    assert "dense.accuracy" not in metrics["metrics/test.json"]  # the dense network was not retrained
    table = dvc("metrics", "diff", "main", CNN_BRANCH, "--md", cwd=repo).stdout
    assert "| metrics/test.json" in table and "cnn.accuracy" in table

    params = json.loads(dvc("params", "diff", "main", CNN_BRANCH, "--json", cwd=repo).stdout)
    assert params == {"params.yaml": {"train_cnn.epochs": {"old": 1, "new": 2, "diff": 1}}}

    dvc("plots", "diff", "main", CNN_BRANCH, "--out", str(tmp_path / "plots"), cwd=repo)
    assert (tmp_path / "plots" / "index.html").stat().st_size > 0


def wait_for_queue(repo, timeout_seconds=600):
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        status = dvc("queue", "status", cwd=repo).stdout
        if not any(state in status for state in ("Queued", "Running")):
            return status
        time.sleep(5)  # each `dvc queue status` costs a second of CPU
    raise AssertionError(f"queued experiments still running after {timeout_seconds} s:\n{status}")


def experiments(shown):
    """{name: {"params": ..., "metrics": ...}} from `dvc exp show --json`."""
    found = {}
    for baseline in json.loads(shown):
        for experiment in baseline.get("experiments") or []:
            data = experiment["revs"][0]["data"]
            found[experiment["name"]] = {"params": data["params"]["params.yaml"]["data"],
                                         "metrics": data["metrics"]}
    return found


def drop_from_cache(repo, stage, path):
    """Delete from `repo`'s DVC cache the folder `path` that `stage` wrote: as if never fetched."""
    objects = repo / ".dvc" / "cache" / "files" / "md5"
    listing = objects / (digest := locked_md5(repo, stage, path))[:2] / digest[2:]
    for entry in json.loads(listing.read_text()):
        (objects / entry["md5"][:2] / entry["md5"][2:]).unlink()
    listing.unlink()


def test_3_experiments_queued_and_in_the_workspace(results, repo, tmp_path):
    # A clone without data, whose cache (the project's, copied) lacks the MNIST files: the queued
    # experiment must download them in its own temporary workspace (.dvc/tmp/exps), which only
    # the absolute $MNIST_MIRROR reaches; the run-cache has the rest (CNN_BRANCH trained it).
    project = clone(results, tmp_path / "clone")
    shutil.copytree(results / ".dvc" / "cache", project / ".dvc" / "cache")
    drop_from_cache(project, "download", "data/raw")
    dvc("exp", "run", "--queue", "-n", "queued-cnn-2", "-S", "train_cnn.epochs=2", cwd=project)
    dvc("queue", "start", "--jobs", "1", cwd=project)
    status = wait_for_queue(project)
    assert status.count("Success") == 1, status
    log = dvc("queue", "logs", "queued-cnn-2", cwd=project)
    assert f"verified, from {MNIST_MIRROR.as_uri()}/" in log.stdout + log.stderr
    queued = experiments(dvc("exp", "show", "--json", cwd=project).stdout)
    assert queued["queued-cnn-2"]["params"]["train_cnn"]["epochs"] == 2

    # In the workspace of the project with its data, where only train_cnn onwards can re-run.
    # Tiny params train 1 epoch already; README's `-S train_cnn.epochs=1` is this at default params.
    dvc("exp", "run", "-n", "cnn-2-epochs", "-S", "train_cnn.epochs=2", cwd=repo)
    in_workspace = experiments(dvc("exp", "show", "--json", cwd=repo).stdout)
    assert in_workspace["cnn-2-epochs"]["params"]["train_cnn"]["epochs"] == 2
    for name, experiment in {**queued, **in_workspace}.items():
        for model in ("dense", "cnn"):
            assert 0.5 < experiment["metrics"]["metrics/test.json"]["data"][model]["accuracy"] <= 1, name
    assert "cnn-2-epochs" in dvc("exp", "show", "--md", cwd=repo).stdout


def test_4_push_clone_pull_then_checkout_an_older_commit(repo, tmp_path):
    # Two commits with a DVC remote, their data pushed: main's results, then the CNN's 2 epochs.
    run(["git", "checkout", "-q", "-b", "with-remote"], cwd=repo)
    dvc("remote", "add", "-d", "storage", str(tmp_path / "remote"), cwd=repo)
    commit(repo, "DVC remote: a local folder")
    dvc("push", cwd=repo)
    run(["git", "checkout", "-q", "-b", "with-remote-cnn"], cwd=repo)
    run(["git", "merge", "-q", "--no-edit", CNN_BRANCH], cwd=repo)
    dvc("checkout", "-q", cwd=repo)
    dvc("push", cwd=repo)
    run(["git", "checkout", "-q", "with-remote"], cwd=repo)

    project = clone(repo, tmp_path / "clone")  # on with-remote
    dvc("pull", cwd=project)
    assert changed_stages(project) == set()
    assert stages_run(dvc("repro", cwd=project).stdout) == []
    older_cnn = md5(project / "models" / "seed-3" / "cnn.keras")
    older_metrics = (project / "metrics" / "test.json").read_text()

    run(["git", "checkout", "-q", "with-remote-cnn"], cwd=project)  # a newer commit, pulled
    dvc("pull", cwd=project)
    assert md5(project / "models" / "seed-3" / "cnn.keras") != older_cnn

    run(["git", "checkout", "-q", "with-remote"], cwd=project)
    dvc("checkout", cwd=project)  # the older model, from the clone's cache
    assert md5(project / "models" / "seed-3" / "cnn.keras") == older_cnn == locked_md5(project, "train_cnn@3",
                                                                              "models/seed-3/cnn.keras")
    assert (project / "metrics" / "test.json").read_text() == older_metrics
    assert changed_stages(project) == set()


def test_pr_check_flags_results_that_do_not_belong_to_the_code(results, tmp_path):
    project = clone(results, tmp_path / "clone")
    passed = check_results("lock", cwd=project)  # no data or models here: they get re-made
    assert passed.returncode == 0, passed.stderr

    set_params(project / "params.yaml", {"train_cnn.epochs": 3})
    with open(project / "stages" / "train_dense.py", "a") as script:
        script.write("# a change to the code\n")
    metrics = json.loads((project / "metrics" / "test.json").read_text())
    metrics["cnn"]["accuracy"] = 0.99
    (project / "metrics" / "test.json").write_text(json.dumps(metrics))
    commit(project, "changes without `dvc repro`")
    failed = check_results("lock", cwd=project)
    assert failed.returncode == 1
    for problem in ["train_cnn@3: param train_cnn.epochs modified",
                    "train_dense@3: deps stages/train_dense.py modified",
                    "evaluate: outs metrics/test.json modified"]:
        assert problem in failed.stderr


def test_pr_check_flags_data_that_differs_from_the_locked_hashes(results, tmp_path):
    project = clone(results, tmp_path / "clone")
    lock = (project / "dvc.lock").read_text()
    raw_md5 = locked_md5(project, "download", "data/raw")
    (project / "dvc.lock").write_text(lock.replace(raw_md5, "0" * 32 + ".dir"))
    commit(project, "a dvc.lock made from other data")
    assert check_results("lock", cwd=project).returncode == 0  # no data here yet

    dvc("repro", "preprocess", cwd=project)  # the workflow's next step
    failed = check_results("lock", cwd=project)
    assert failed.returncode == 1
    assert "download: dvc.lock entry differs from the committed one" in failed.stderr


def test_pr_check_tolerates_rounding_but_not_a_different_accuracy(repo):
    assert check_results("metrics", "--base", "HEAD", cwd=repo).returncode == 0
    path = repo / "metrics" / "test.json"
    metrics = json.loads(path.read_text())
    cnn = metrics["cnn"]

    path.write_text(json.dumps({**metrics, "cnn": {**cnn, "accuracy": cnn["accuracy"] + 0.001, "loss": 9.0}}))
    assert check_results("metrics", "--base", "HEAD", "--tolerance", "0.005", cwd=repo).returncode == 0

    path.write_text(json.dumps({**metrics, "cnn": {**cnn, "accuracy": cnn["accuracy"] - 0.02}}))
    failed = check_results("metrics", "--base", "HEAD", "--tolerance", "0.005", cwd=repo)
    assert failed.returncode == 1
    assert "metrics/test.json: cnn.accuracy" in failed.stderr
