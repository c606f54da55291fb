"""Faults provoked for real, checked as the user sees them: the exit status, one clear
message (no traceback) and no half-written output where DVC would take it for a result.

Download faults (bad mirrors, time-outs, refused connections) are in test_download.py,
the refusal of pickled arrays and the cleanup of atomic writes in test_files.py.
"""

import gzip
import hashlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import yaml

from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.data.idx import write_idx
from stages.evaluate import main as evaluate
from tests.conftest import (
    MNIST_MIRROR,
    PROJECT,
    can_mount_tmpfs,
    copy_project,
    dvc,
    in_this_process,
    run,
    run_on_tmpfs,
    set_params,
    train_arguments,
)

# Stages run from a temporary folder must import this checkout's `stages`, not an installed one.
STAGE_ENV = {"PYTHONPATH": str(PROJECT)}


def run_stage(stage, arguments, cwd, *python_options):
    return run([sys.executable, *python_options, "-m", f"stages.{stage}", *arguments], cwd=cwd,
               check=False, env=STAGE_ENV)


def assert_one_error_line(result, expected):
    """Exit 1; stderr ends with one line `error: <expected>...`, the only error, no traceback.

    (TensorFlow's C++ start-up notices may come before it: they are not ours to judge here.)
    """
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1].startswith(f"error: {expected}"), result.stderr
    assert [line for line in lines if line.startswith("error")] == lines[-1:], result.stderr
    assert "Traceback" not in result.stderr


# --- Params: checked before loading data or importing TensorFlow ----------------------------

# Each stage's own arguments, as dvc.yaml gives them (relative paths: none exists in tmp_path).
# (Templated values as DVC fills them in for the project's params: seeds [3].)
ARGUMENTS = {name: shlex.split(stage["cmd"].replace("${item.seed}", "3").replace("${seeds[0]}", "3"))[3:]
             for name, stage in yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"].items()}


# The stages that import no pandas before their params are checked (0.2 s of the wait for the error).
NO_PANDAS_BEFORE_PARAMS = {"check_params", "download", "preprocess", "train_dense", "train_cnn"}


def imported(result):
    """The modules a process run with `-X importtime` imported, however deep: it lists each on stderr,
    `import time: <self> | <cumulative> | <name>`, indented by how deep the import was."""
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:")}


def remove_epochs(params):
    del params["train_cnn"]["epochs"]


def huge_seed(params):
    params["seeds"] = [0, 2**32]


@pytest.mark.parametrize(
    ("stage", "edit", "expected"),
    [
        ("train_cnn", {"train_cnn.epochs": "five"},
         "params.yaml: train_cnn.epochs = 'five' is invalid: expected a positive integer"),
        ("train_dense", {"train_dense.batch_size": 0},
         "params.yaml: train_dense.batch_size = 0 is invalid: expected a positive integer"),
        ("train_cnn", {"train_cnn.epoch": 3},
         "params.yaml: unknown key train_cnn.'epoch': did you mean 'epochs'?"),
        ("train_cnn", remove_epochs,
         "params.yaml: train_cnn.epochs is missing; add it to the train_cnn: section"),
        ("train_dense", {"train_dense.optimizer": "adamm"},
         "params.yaml: train_dense.optimizer = 'adamm' is invalid: expected one of: adadelta, "),
        ("preprocess", {"preprocess.validation_fraction": 1.5}, "params.yaml: preprocess.validation_fraction"
         " = 1.5 is invalid: expected a number between 0 and 1 (exclusive)"),
        ("download", {"download.timeout_seconds": 0}, "params.yaml: download.timeout_seconds = 0 is invalid: "
         "expected a number of seconds above 0, at most 3600"),
        # Values that passed the checks, then crashed or misbehaved (issue 12):
        ("evaluate", huge_seed, "params.yaml: seeds = [0, 4294967296] is invalid: expected a non-empty list "
         "of distinct integers from 0 to 4294967295"),
        ("train_cnn", {"train_cnn.steps_per_execution": 2147483648}, "params.yaml: "
         "train_cnn.steps_per_execution = 2147483648 is invalid: expected a positive integer, at most 1000 "
         "(more saves nothing and floods the progress bar)"),
        ("compare", {"compare.bootstrap_samples": 100_000_000}, "params.yaml: compare.bootstrap_samples = "
         "100000000 is invalid: expected a positive integer, at most 1000000 "
         "(more changes no printed digit)"),
        ("train_dense", {"train_dense.learning_rate": float("inf")},  # what 1.0e+400 reads as
         "params.yaml: train_dense.learning_rate = inf is invalid: expected a positive, finite number"),
        ("train_cnn", {"train_cnn.filters": [32, 64, 128, 256]}, "params.yaml: train_cnn.filters = "
         "[32, 64, 128, 256] with kernel_size 3 and pool_size 2 does not fit the 28x28 images: block 4 gets "
         "a 1x1 feature map, smaller than its 3x3 kernel; use fewer entries in filters, or a smaller "
         "kernel_size or pool_size"),
        ("evaluate", {"evaluate.batch_size": -1},
         "params.yaml: evaluate.batch_size = -1 is invalid: expected a positive integer"),
        ("compare", {"compare.language": "de"},
         "params.yaml: compare.language = 'de' is invalid: expected one of: en, fr"),
        ("permuted", {"analysis.permutation_seed": -1}, "params.yaml: analysis.permutation_seed = -1 is "
         "invalid: expected an integer from 0 to 4294967295"),
        ("check_params", {"train_dense.epochs": "five"},
         "params.yaml: train_dense.epochs = 'five' is invalid: expected a positive integer"),
        ("robustness", {"robustness.translation": [0, 2]}, "params.yaml: robustness.translation = [0, 2] is "
         "invalid: expected a list of 1 to 10 distinct whole pixels from 1 to 27"),
    ],
)
def test_bad_params_stop_the_stage_before_any_heavy_work(tmp_path, stage, edit, expected):
    params_path = tmp_path / "params.yaml"
    params_path.write_text((PROJECT / "params.yaml").read_text())
    if callable(edit):
        params = yaml.safe_load(params_path.read_text())
        edit(params)
        params_path.write_text(yaml.safe_dump(params))
    else:
        set_params(params_path, edit)
    result = run_stage(stage, ARGUMENTS[stage], tmp_path, "-X", "importtime")
    assert_one_error_line(result, expected)
    assert "tensorflow" not in imported(result)
    if stage in NO_PANDAS_BEFORE_PARAMS:
        assert "pandas" not in imported(result)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["params.yaml"]  # nothing written


# --- Data: broken IDX files -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("magic", "{labels}: wrong magic number 12340801, expected 00000801"),
        ("dimensions", "{labels}: has 3 dimensions, expected 1"),
        ("count", "{images} holds 50 images but {labels} holds 49 labels"),
    ],
)
def test_broken_idx_files_stop_preprocess(idx_files, tiny_params, tmp_path, damage, expected):
    labels = idx_files / "train-labels-idx1-ubyte.gz"
    if damage == "magic":
        with gzip.open(labels, "wb") as stream:
            stream.write(b"\x12\x34\x08\x01" + bytes(4))
    else:
        write_idx(labels, np.zeros((49,) if damage == "count" else (49, 28, 28), dtype=np.uint8))
    result = run_stage("preprocess", ["--raw", str(idx_files), "--out", "prepared"], tmp_path)
    images = idx_files / "train-images-idx3-ubyte.gz"
    assert_one_error_line(result, expected.format(labels=labels, images=images))
    assert "dvc repro -f download" in result.stderr
    assert not (tmp_path / "prepared").exists()


# --- Loading: safe mode, no pickle, damaged models --------------------------------------------

def test_corrupt_model_stops_evaluate(prepared, tmp_path, capsys):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not really a zip")
    result = in_this_process(evaluate, ["--model", "dense", "broken.keras", str(prepared / "test_flat.npy"),
                                        "--labels", str(prepared / "test_labels.npy"),
                                        "--metrics", "out/test.json", "--timing", "out/inference.json",
                                        "--scores", "out/scores.json", "--predictions", "out/predictions.csv",
                                        "--probabilities", "out/probabilities",
                                        "--out-dir", "out"],
                             tmp_path, capsys)
    assert_one_error_line(result, "broken.keras is not a loadable Keras model (")
    assert "delete it and run `dvc repro` to retrain" in result.stderr
    assert not (tmp_path / "out").exists()


def test_model_with_code_is_refused_by_safe_mode(tmp_path):
    import keras

    from dense_vs_cnn.core.errors import PipelineError
    from dense_vs_cnn.model.saving import load_model

    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Lambda(lambda inputs: inputs * 2)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(PipelineError, match="not a loadable Keras model.*safe_mode"):
        load_model(tmp_path / "lambda.keras")


# --- Interruption: Ctrl-C or SIGTERM during training leaves nothing -----------------------------

class Running:
    """A command started in its own session, its output (stdout and stderr) collected as it comes."""

    def __init__(self, command, cwd, env=None):
        env = dict(os.environ, PYTHONUNBUFFERED="1", MNIST_MIRROR=str(MNIST_MIRROR),
                   PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}", **(env or {}))
        # A terminal's program starts with Ctrl-C's default handling, whatever this test process
        # inherited (a library used by an earlier test may have set SIGINT to be ignored).
        self.process = subprocess.Popen(command, cwd=cwd, env=env, text=True, start_new_session=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self):
        return "".join(self.lines)

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"ended before {text!r}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{self.output}"
            time.sleep(0.2)

    def interrupt(self, signum, timeout=60):
        """Send `signum` to the whole session, as a terminal's Ctrl-C does; return the exit status."""
        os.killpg(self.process.pid, signum)
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with open(f"/proc/{self.process.pid}/status") as process:  # pending, blocked, ignored, caught
                signals = [line.strip() for line in process if line.startswith(("Sig", "ShdPnd"))]
            raise AssertionError(f"still running {timeout} s after {signum.name} ({', '.join(signals)}):\n"
                                 f"{self.output[-3000:]}") from None
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.reader.join(timeout)
        return status


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_training_leaves_no_output(prepared, tiny_params, tmp_path, signum):
    set_params(tiny_params, {"train_dense.epochs": 10_000})
    out = tmp_path / "out"
    training = Running([sys.executable, "-m", "stages.train_dense", *train_arguments(prepared, "flat", out)],
                       cwd=tmp_path, env=STAGE_ENV)
    training.wait_for("Epoch 2/", timeout=120)
    status = training.interrupt(signum)
    name = signal.Signals(signum).name
    assert status == 128 + signum, training.output
    assert f"interrupted ({name}): no partial output was left; run `dvc repro` to finish" in training.output
    assert "Traceback" not in training.output
    assert not out.exists() or list(out.iterdir()) == []  # neither outputs nor temporary files


# --- Disks: a real full or read-only tmpfs under preprocess (run_stage's messages: tests/core/test_errors.py)

@pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a tmpfs here (unshare -rm)")
@pytest.mark.skipif(not (MNIST_MIRROR / "train-images-idx3-ubyte.gz").exists(), reason="no MNIST mirror")
@pytest.mark.parametrize(("read_only", "expected"), [
    # NumPy preallocates the 169 MB training tensor and says so without an errno.
    (False, "no space left on device (NumPy: Not enough free space to write "),
    (True, "read-only file system ([Errno 30] Read-only file system: "),
])
def test_preprocess_on_a_full_or_read_only_disk_says_so_and_leaves_nothing(tiny_params, tmp_path, read_only,
                                                                           expected):
    set_params(tiny_params, {"preprocess.max_examples": None})
    disk = tmp_path / "disk"
    disk.mkdir()
    command = [sys.executable, "-m", "stages.preprocess", "--raw", str(MNIST_MIRROR),
               "--out", str(disk / "prepared")]
    result = run_on_tmpfs(command, disk, cwd=tmp_path, size="8m", read_only=read_only, env=STAGE_ENV)
    assert_one_error_line(result, expected)
    assert result.left in ([], ["prepared"])  # at most the empty folder: no tensor, no temporary file


# --- The real pipeline: DVC's lock, interrupted `dvc repro`, edited raw data -------------------

@pytest.mark.e2e
def test_interrupted_repro_is_locked_leaves_nothing_and_reruns_cleanly(built_project, tmp_path):
    repo = copy_project(built_project[0], tmp_path / "repo")  # the session's results: only training runs
    set_params(repo / "params.yaml", {"train_dense.epochs": 10_000})
    first = Running([sys.executable, "-m", "dvc", "repro"], cwd=repo)
    first.wait_for("Epoch 2/", timeout=300)
    lock_before = (repo / "dvc.lock").read_bytes()

    second = dvc("repro", cwd=repo, check=False)
    assert second.returncode != 0
    # DVC releases its repo lock while a stage's command runs; the per-path lock refuses instead.
    assert "is busy, it is being blocked by" in second.stderr and ".dvc/tmp/rwlock" in second.stderr
    assert (repo / "dvc.lock").read_bytes() == lock_before

    assert first.interrupt(signal.SIGINT) != 0
    assert "interrupted (SIGINT): no partial output was left" in first.output
    assert "Traceback" not in first.output
    assert not (repo / "models" / "seed-3" / "dense.keras").exists()
    leftovers = [path for folder in ("models", "metrics") if (repo / folder).exists()
                 for path in (repo / folder).rglob(".*") if path.name != ".gitignore"]
    assert leftovers == []

    set_params(repo / "params.yaml", {"train_dense.epochs": 1})  # as committed: forced, it trains again
    assert "Running stage 'train_dense@3'" in dvc("repro", "--force", "--single-item", "train_dense",
                                                  cwd=repo).stdout
    assert (repo / "models" / "seed-3" / "dense.keras").stat().st_size > 0
    assert "up to date" in dvc("status", "train_dense", cwd=repo).stdout


@pytest.mark.e2e
def test_raw_file_edited_after_download_is_fetched_again(pipeline_repo):
    repo = pipeline_repo
    dvc("repro", "download", cwd=repo)
    name, md5 = get_dataset("mnist").files["train_labels"]
    raw = repo / "data" / "raw" / name
    raw.chmod(0o644)  # DVC may link it read-only from its cache: what a user editing it would do
    with raw.open("ab") as stream:
        stream.write(b"edited")

    status = dvc("status", "download", cwd=repo).stdout
    assert "modified:" in status and "data/raw" in status
    # DVC restores the verified file from its run cache...
    assert "Stage 'download' is cached" in dvc("repro", "download", cwd=repo).stdout
    assert md5_of_content(raw) == md5
    assert "up to date" in dvc("status", "download", cwd=repo).stdout

    # ...and the command our messages suggest fetches it again and checks its digest.
    raw.chmod(0o644)
    raw.write_bytes(b"\x1f\x8b edited")
    output = dvc("repro", "-f", "download", cwd=repo).stdout
    assert "Running stage 'download'" in output and f"{name}: verified" in output
    assert md5_of_content(raw) == md5
    assert "up to date" in dvc("status", "download", cwd=repo).stdout


def md5_of_content(path):
    with gzip.open(path) as stream:
        return hashlib.md5(stream.read()).hexdigest()
