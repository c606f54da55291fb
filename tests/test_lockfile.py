"""The committed dvc.lock: exactly the stages of dvc.yaml, and no wall-clock measurement."""

import json
import sys

import yaml

from tests.conftest import PROJECT, run

LOCK = yaml.safe_load((PROJECT / "dvc.lock").read_text())["stages"]


def test_the_lock_holds_exactly_the_stages_of_dvc_yaml():
    listed = run([sys.executable, "-m", "dvc", "stage", "list", "--name-only"], cwd=PROJECT).stdout.split()
    assert sorted(LOCK) == sorted(listed)  # no stage left over from an older dvc.yaml


def test_no_locked_file_is_a_timing():
    paths = [entry["path"] for stage in LOCK.values() for kind in ("deps", "outs")
             for entry in stage.get(kind, [])]
    assert paths and not [path for path in paths if "timing" in path]
    # and the outputs git tracks hold no seconds either
    scores = json.loads((PROJECT / "metrics" / "test.json").read_text())
    assert not [key for model in scores.values() for key in model if "second" in key]
