import json
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import atomic_path, load_array, read_json, save_array, write_json, write_text
from tests.conftest import PROJECT, dvc, run


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path, failure):
    with pytest.raises(failure), atomic_path(tmp_path / "out" / "model.keras") as temporary:
        assert temporary.parent == tmp_path / "out" and temporary.suffix == ".keras"
        temporary.write_text("half a model")
        raise failure()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    write_json(tmp_path / "metrics.json", {"accuracy": 0.9})
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "metrics.json") as temporary:
        temporary.write_text("{")
        raise RuntimeError()
    assert read_json(tmp_path / "metrics.json") == {"accuracy": 0.9}
    assert [path.name for path in tmp_path.iterdir()] == ["metrics.json"]


def test_json_round_trip_is_sorted_and_ends_with_a_newline(tmp_path):
    write_json(tmp_path / "metrics.json", {"loss": 0.1, "accuracy": 0.9})
    text = (tmp_path / "metrics.json").read_text()
    assert text.endswith("}\n") and text.index("accuracy") < text.index("loss")
    assert json.loads(text) == read_json(tmp_path / "metrics.json")


def test_missing_or_broken_json_says_how_to_rebuild(tmp_path):
    with pytest.raises(PipelineError, match=r"absent.json is missing: run `dvc repro`"):
        read_json(tmp_path / "absent.json")
    (tmp_path / "broken.json").write_text('{"accuracy": ')
    with pytest.raises(PipelineError, match=r"broken.json is not valid JSON .* `dvc repro -f`"):
        read_json(tmp_path / "broken.json")


def test_arrays_round_trip_and_are_never_unpickled(tmp_path):
    save_array(tmp_path / "labels.npy", np.arange(5, dtype=np.uint8))
    np.testing.assert_array_equal(load_array(tmp_path / "labels.npy"), np.arange(5))
    np.save(tmp_path / "objects.npy", np.array([{"code": "runs on load"}], dtype=object), allow_pickle=True)
    with pytest.raises(PipelineError, match=r"objects.npy is not a valid .npy array .*allow_pickle=False"):
        load_array(tmp_path / "objects.npy")
    (tmp_path / "text.npy").write_text("not an array")
    with pytest.raises(PipelineError, match=r"text.npy is not a valid .npy array"):
        load_array(tmp_path / "text.npy")
    with pytest.raises(PipelineError, match=r"absent.npy is missing: run `dvc repro`"):
        load_array(tmp_path / "absent.npy")


def killed_writer_leaves(path):
    """What a writer killed with `kill -9` inside atomic_path leaves: its temporary file."""
    code = ("import os, signal, sys; from dense_vs_cnn.core.files import atomic_path\n"
            "with atomic_path(sys.argv[1]) as temporary:\n"
            "    temporary.write_text('half a model')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], env={**os.environ, "PYTHONPATH": str(PROJECT)})
    return [child for child in path.parent.iterdir() if child != path]


def test_a_killed_write_leaves_a_temporary_that_git_and_dvc_ignore(tmp_path):
    shutil.copy(PROJECT / ".gitignore", tmp_path)
    shutil.copy(PROJECT / ".dvcignore", tmp_path)
    run(["git", "init", "-q"], cwd=tmp_path)
    dvc("init", "-q", cwd=tmp_path)
    left = killed_writer_leaves(tmp_path / "models" / "dense.keras")
    assert len(left) == 1 and left[0].name.startswith(".dense.tmp-") and left[0].suffix == ".keras"
    relative = str(left[0].relative_to(tmp_path))
    assert run(["git", "check-ignore", relative], cwd=tmp_path, check=False).returncode == 0
    assert dvc("check-ignore", relative, cwd=tmp_path, check=False).returncode == 0
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path).stdout
    assert "models" not in status


def test_the_next_write_removes_what_a_killed_one_left(tmp_path):
    killed_writer_leaves(tmp_path / "dense.keras")
    write_text(tmp_path / "dense.keras", "a model")
    assert [path.name for path in tmp_path.iterdir()] == ["dense.keras"]


def test_outputs_get_the_users_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "report.md", "text")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644
