"""check_params: the stage that every command interpolating a param waits for, and what each entry
point says of a params.yaml that used to crash or hang it (one line, at once)."""

import os
import shlex
import sys
import time

import pytest
import yaml

from stages.check_params import CHECKED
from stages.check_params import main as check_params
from tests.conftest import (
    PROJECT,
    copy_project,
    dvc,
    run,
    set_params,
    stages_cached,
    stages_run,
)

SEEDS_LINE = (PROJECT / "params.yaml").read_text().splitlines().index("seeds:") + 1
ENV = {"PYTHONPATH": str(PROJECT)}  # this checkout's code, run from a temporary folder
STAGES = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
# Every entry point that reads params.yaml, as its user runs it (stage arguments from dvc.yaml).
ENTRY_POINTS = {
    **{name: shlex.split(stage["cmd"].replace("${item.seed}", "3").replace("${seeds[0]}", "3"))[1:]
       for name, stage in STAGES.items()},
    "digits-predict": ["-m", "dense_vs_cnn.predict.cli", "digit.png"],
    "digits-demo": ["-m", "dense_vs_cnn.predict.demo", "--port", "0"],
}


def laughs(path):
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n")


def latin_1(path):
    path.write_bytes((PROJECT / "params.yaml").read_text().replace("# Every", "# Caf\xe9: every", 1)
                     .encode("latin-1"))


def nested(path):
    path.write_text((PROJECT / "params.yaml").read_text().replace("seeds:\n- 3\n", "seeds: " + "[" * 500))


def fifo(path):
    os.mkfifo(path)


def huge(path):
    path.write_text((PROJECT / "params.yaml").read_text())
    os.truncate(path, 100_000_000)


# What each used to do: a traceback (UnicodeDecodeError, RecursionError), 102 MB of expansion on
# stderr, 124 s of parsing, or a hang (a FIFO is never done being read).
PROBLEMS = {
    latin_1: "params.yaml: byte 0xe9 on line 1 is not UTF-8 (DVC refuses the file too): save it as UTF-8",
    nested: f"params.yaml, line {SEEDS_LINE}: nested more than 10 levels deep (params.yaml needs 3)",
    laughs: "params.yaml, line 1: YAML anchor &lol0 is not allowed in params.yaml",
    huge: "params.yaml is larger than 100,000 bytes (params take a few KB): restore it",
    fifo: "params.yaml is not a regular file: replace it with the project's params file",
}


def assert_one_error_line(result, expected):
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {expected}"), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr) < 2000, result.stderr[:2000]


@pytest.mark.parametrize(("entry_point", "make"),
                         [(name, list(PROBLEMS)[index % len(PROBLEMS)])
                          for index, name in enumerate(ENTRY_POINTS)] + [("digits-predict", laughs),
                                                                          ("digits-demo", huge)],
                         ids=lambda value: getattr(value, "__name__", value))
def test_every_entry_point_refuses_a_hostile_params_file_in_one_line(tmp_path, entry_point, make):
    make(tmp_path / "params.yaml")
    start = time.perf_counter()
    result = run([sys.executable, *ENTRY_POINTS[entry_point]], cwd=tmp_path, check=False, env=ENV,
                 timeout=120)
    assert_one_error_line(result, PROBLEMS[make])
    assert time.perf_counter() - start < 30  # start-up included; the file is refused in milliseconds


def test_alone_it_checks_and_writes_nothing(tmp_path, tiny_params, capsys):
    check_params([])
    assert capsys.readouterr().out == CHECKED and sorted(os.listdir(tmp_path)) == ["params.yaml"]
    set_params(tiny_params, {"seeds": ["3; touch PWNED #"]})
    result = run([sys.executable, "-m", "stages.check_params"], cwd=tmp_path, check=False, env=ENV)
    assert_one_error_line(result, "params.yaml: seeds = ['3; touch PWNED #'] is invalid: expected a "
                                  "non-empty list of distinct integers from 0 to 4294967295, e.g. [0, 1, 2]")
    assert result.stdout == ""


def test_its_output_is_the_same_bytes_whatever_the_params(tmp_path, tiny_params):
    # So that a params change re-runs it (a second) but none of the stages after it.
    check_params(["--out", "first.txt"])
    set_params(tiny_params, {"seeds": [0, 1, 2], "train_cnn.epochs": 7, "download.timeout_seconds": 5})
    check_params(["--out", "second.txt"])
    assert (tmp_path / "first.txt").read_bytes() == (tmp_path / "second.txt").read_bytes() == CHECKED.encode()


def assert_stopped_by_check_params(result, pwned):
    """Nothing ran after check_params, and its one line is what the user reads."""
    output = result.stdout + result.stderr
    assert result.returncode != 0 and not pwned.exists(), output
    assert stages_run(result.stdout, check=True) == ["check_params"], result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: params.yaml: seeds = ['3; touch ")  # the value, cut to 80 characters
    assert errors[0].endswith("is invalid: expected a non-empty list of distinct integers from 0 to "
                              "4294967295, e.g. [0, 1, 2]"), errors[0]
    assert "ERROR: failed to reproduce 'check_params'" in result.stderr


@pytest.mark.e2e
def test_a_seed_that_is_shell_code_never_reaches_a_shell(built_project, tmp_path):
    """DVC pastes ${item.seed} unquoted into the train commands: check_params runs first and stops it."""
    repo = copy_project(built_project[0], tmp_path / "repo")  # its data is there: only the params change
    pwned = tmp_path / "PWNED"
    seeds = [f"3; touch {pwned} #"]
    set_params(repo / "params.yaml", {"seeds": seeds})
    # The whole pipeline, and each stage whose command pastes a seed, as a target: it depends on
    # check_params, so check_params runs before it (not just first in dvc.yaml's order).
    for targets in ([], ["train_dense"], ["train_cnn"], ["robustness"], ["compare"]):
        assert_stopped_by_check_params(dvc("repro", *targets, cwd=repo, check=False), pwned)
    run(["git", "checkout", "params.yaml"], cwd=repo)
    # An experiment edits params.yaml, then reproduces: the same path, the same stop.
    experiment = dvc("exp", "run", "-S", f"seeds={seeds!r}".replace("'", '"'), cwd=repo, check=False)
    assert_stopped_by_check_params(experiment, pwned)


@pytest.mark.e2e
def test_a_params_change_reruns_only_the_check_and_going_back_is_cached(built_project, tmp_path):
    repo = copy_project(built_project[0], tmp_path / "repo")  # the session's results, committed
    set_params(repo / "params.yaml", {"download.timeout_seconds": 5})  # a key only check_params tracks
    changed = dvc("repro", "train_dense", cwd=repo).stdout
    assert stages_run(changed, check=True) == ["check_params"], changed
    run(["git", "checkout", "params.yaml"], cwd=repo)
    back = dvc("repro", "train_dense", cwd=repo).stdout
    assert stages_cached(back, check=True) == ["check_params"] and stages_run(back, check=True) == [], back
