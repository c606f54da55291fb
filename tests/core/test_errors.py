"""run_stage turns the file system's refusals into one line and a Ctrl-C into its own line;
printable() escapes file names.

The disks are real: /dev/full, and small or read-only tmpfs mounts in a private mount
namespace (tests.conftest.run_on_tmpfs).
"""

import errno
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import pytest

from dense_vs_cnn.core.errors import printable
from tests.conftest import PROJECT, can_mount_tmpfs, run, run_on_tmpfs

needs_tmpfs = pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a tmpfs here (unshare -rm)")
ENV = {"PYTHONPATH": str(PROJECT)}


def stage_code(body):
    """A Python one-liner running `body` as a stage's main() under run_stage."""
    return ("import numpy as np; from pathlib import Path; from dense_vs_cnn.core.errors import run_stage; "
            f"from dense_vs_cnn.core.files import save_array, write_json; run_stage(lambda argv: {body})")


def assert_one_line(result, start, end=""):
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {start}") and line.endswith(end), line


@needs_tmpfs
@pytest.mark.parametrize(("megabytes", "numpy_says"), [
    (20, "Not enough free space to write 20000000 bytes after offset 128"),  # preallocated: large arrays
    (0.2, "200000 requested and "),  # written and cut short: small arrays
])
def test_numpy_short_write_without_errno_is_a_full_disk(tmp_path, megabytes, numpy_says):
    array = f"np.zeros({int(megabytes * 1e6)}, np.uint8)"
    result = run_on_tmpfs([sys.executable, "-c", stage_code(f"save_array('{tmp_path}/a.npy', {array})")],
                          tmp_path, cwd=tmp_path, size="64k", env=ENV)
    assert_one_line(result, f"no space left on device (NumPy: {numpy_says}",
                    "): free some disk space, then run `dvc repro` again")
    assert result.left == []  # neither a.npy nor its temporary file


@needs_tmpfs
def test_read_only_file_system_is_one_line(tmp_path):
    result = run_on_tmpfs([sys.executable, "-c", stage_code(f"write_json('{tmp_path}/m.json', {{'a': 1}})")],
                          tmp_path, cwd=tmp_path, read_only=True, env=ENV)
    assert_one_line(result, f"read-only file system ([Errno 30] Read-only file system: '{tmp_path}/",
                    "): run the pipeline in a folder you can write to")


def test_full_device_is_one_line(tmp_path):
    # /dev/full answers every write with ENOSPC, as a full disk does.
    result = run([sys.executable, "-c", stage_code("Path('/dev/full').write_bytes(bytes(1 << 16))")],
                 cwd=tmp_path, check=False, env=ENV)
    assert_one_line(result, "no space left on device ([Errno 28] No space left on device): free some disk "
                            "space, then run `dvc repro` again")


@pytest.fixture
def as_nobody():
    """A command prefix that runs as user nobody, and a folder it may read but not write."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    folder = Path(tempfile.mkdtemp(prefix="locked-"))  # pytest's tmp_path is private to root
    folder.chmod(0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # nobody must reach this Python and the project: not so under a private folder (mktemp -d, /root)
    probe = run([*nobody, sys.executable, "-c", "import dense_vs_cnn.core.errors"], cwd=folder, check=False,
                env=ENV)
    if probe.returncode != 0:
        shutil.rmtree(folder)
        reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"user nobody cannot run {sys.executable} with this project (a parent folder is "
                    f"private): {reason}")
    yield nobody, folder
    shutil.rmtree(folder)


def test_permission_denied_is_one_line(as_nobody):
    nobody, folder = as_nobody
    result = run([*nobody, sys.executable, "-c", stage_code(f"write_json('{folder}/m.json', {{'a': 1}})")],
                 cwd=folder, check=False, env=ENV)
    assert_one_line(result, f"permission denied ([Errno 13] Permission denied: '{folder}/",
                    "): make the file and its folder writable (or readable, for an input), then run "
                    "`dvc repro` again")
    assert list(folder.iterdir()) == []


def test_quota_exceeded_is_one_line(tmp_path):
    # No quota-enabled file system here to fill: the OSError a write over quota raises.
    result = run([sys.executable, "-c", stage_code(
        f"(_ for _ in ()).throw(OSError({errno.EDQUOT}, 'Disk quota exceeded', 'metrics/x.json'))")],
        cwd=tmp_path, check=False, env=ENV)
    assert_one_line(result, "disk quota exceeded ([Errno 122] Disk quota exceeded: 'metrics/x.json'): free "
                            "some space or ask for a larger quota, then run `dvc repro` again")


def test_other_os_errors_still_show_their_traceback(tmp_path):
    result = run([sys.executable, "-c", stage_code("open('/nonexistent/x')")], cwd=tmp_path, check=False,
                 env=ENV)
    assert result.returncode == 1 and "Traceback" in result.stderr and "FileNotFoundError" in result.stderr


@pytest.mark.parametrize(("handling", "status", "printed"), [
    (signal.SIG_DFL, 130, "interrupted (SIGINT): no partial output was left; run `dvc repro` to finish\n"),
    (signal.SIG_IGN, 0, "went on\n"),  # started ignoring it (a script's `cmd &`)
])
def test_a_ctrl_c_that_a_library_swallows_still_keeps_the_output_out(tmp_path, handling, status, printed):
    """run_stage notes a Ctrl-C (unless the process started ignoring it), and atomic writes raise it
    again: a library that swallows it (as Keras does, StopWhenAsked) cannot make a stage go on to
    write its outputs."""
    swallowing = ("import signal\n"
                  "def swallowed():\n  try: signal.raise_signal(signal.SIGINT)\n  except: pass\n")
    write = f"write_json('{tmp_path}/m.json', {{'a': 1}})"
    code = swallowing + stage_code(f"(swallowed(), {write}, print('went on'))")
    result = run([sys.executable, "-c", code], cwd=tmp_path, check=False, env=ENV,
                 preexec_fn=lambda: signal.signal(signal.SIGINT, handling))
    assert (result.returncode, result.stdout + result.stderr) == (status, printed)
    assert sorted(path.name for path in tmp_path.iterdir()) == ([] if status else ["m.json"])


@pytest.mark.parametrize(("name", "shown"), [
    ("digit.png", "digit.png"),
    ("été 7.png", "été 7.png"),  # printable non-ASCII stays as it is
    ("a\nb.png", "a\\nb.png"),
    ("\x1b[2Jfake.png", "\\x1b[2Jfake.png"),
    ("tab\there\r.png", "tab\\there\\r.png"),
])
def test_printable_escapes_control_characters_only(name, shown):
    assert printable(name) == shown
    assert printable(name).isprintable()
