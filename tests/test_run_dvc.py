""".github/scripts/run_dvc.py, with the real `dvc` in temporary folders."""

import importlib.util

import pytest

from tests.conftest import PROJECT, dvc

spec = importlib.util.spec_from_file_location("run_dvc", PROJECT / ".github" / "scripts" / "run_dvc.py")
run_dvc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_dvc)


def test_dvc_json_returns_what_dvc_answers(tmp_path, monkeypatch):
    dvc("init", "--no-scm", "-q", cwd=tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_dvc.dvc_json("status") == {}


def test_a_failed_dvc_command_stops_with_one_line_naming_it(tmp_path, monkeypatch):
    dvc("init", "--no-scm", "-q", cwd=tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        run_dvc.dvc_json("metrics", "diff", "main")  # needs git, which this project has not
    message = str(stopped.value)
    assert message.startswith("error: `dvc metrics diff main --json` failed: ERROR: Only supported for Git")
    assert "\n" not in message
