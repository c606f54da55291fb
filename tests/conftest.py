"""Fixtures shared by the tests: tiny synthetic IDX data and a real DVC project copy."""

import contextlib
import fcntl
import gc
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import types
from pathlib import Path

import gto  # noqa: F401  (see below)
import numpy as np
import pytest

from dense_vs_cnn.data.idx import write_idx

# gto, imported by DVC's artifacts (digits-predict's --model cnn), runs logging.config.dictConfig,
# which closes every logging handler: absl's too, once TensorFlow is imported, and absl then
# closes its stream unless it is sys.stderr. Under pytest's capture it is pytest's capture file,
# so gto is imported first, before any test module imports TensorFlow.
PROJECT = Path(__file__).resolve().parents[1]
# The offline copy of the real MNIST files that CI provides beside the project.
MNIST_MIRROR = Path(os.environ.get("MNIST_MIRROR") or PROJECT.parent / "shared" / "data" / "mnist").resolve()
# DVC's usage reports off for every dvc the tests run, also a fresh `dvc init` before the project's
# .dvc/config (analytics = false) is copied in: each report is a `dvc daemon analytics` process.
os.environ["DVC_NO_ANALYTICS"] = "1"
# pytest's cache of the test modules, their asserts rewritten, kept also where the environment turns
# Python's bytecode caches off (PYTHONDONTWRITEBYTECODE=1, as the machines this project is built on
# set it): otherwise each worker rewrites every test module on every run. The caches are the
# __pycache__ folders beside the code, which git, DVC and the report's code digest leave out.
sys.dont_write_bytecode = False

# Small enough that a whole `dvc repro` takes seconds: 1000 images per file, 1 epoch.
TINY_PARAMS = {"preprocess.max_examples": 1000, "train_dense.epochs": 1, "train_cnn.epochs": 1}


def have_mirror():
    return (MNIST_MIRROR / "train-images-idx3-ubyte.gz").exists()


# The modules that take longest (minutes: several `dvc repro` and experiments each) run first, so
# that with `pytest -n 2 --dist loadfile` (pyproject.toml) neither worker is left with one of them
# at the end; the rest fill in. The second builds its own project, so that the other worker has work
# while the first builds `built_project`. A scheduling hint only: a module missing here runs in its turn.
SLOWEST_FIRST = ["e2e/test_workflows.py", "e2e/test_plots.py", "e2e/test_seeds.py", "e2e/test_pr_results.py",
                 "e2e/test_dvc_loop.py", "e2e/test_fixed_point.py", "e2e/test_workspace_safety.py"]
# Likewise among the unit-test modules, which follow: the slowest of a unit run, slowest first, but
# test_cli: it reads the models that test_demo's first test trains (tests/predict/conftest.py), so it
# comes after the modules the other worker starts with, which would otherwise wait for that training.
SLOWEST_UNIT_FIRST = ["predict/test_demo.py", "stages/test_compare.py", "core/test_quiet.py",
                      "model/test_distribute.py", "stages/test_train.py", "predict/test_cli.py"]


def pytest_collection_modifyitems(items):
    """End-to-end tests run the pipeline on real MNIST files: skip them where there are none.
    The slowest modules go first (SLOWEST_FIRST), then the other modules with end-to-end tests,
    then the slowest unit-test modules (SLOWEST_UNIT_FIRST), then the rest; each module's tests
    keep their order."""
    def module(item):
        return item.nodeid.split("::")[0].removeprefix("tests/")

    def rank(item):
        name = module(item)
        if name in SLOWEST_FIRST:
            return 0, SLOWEST_FIRST.index(name)
        if name in end_to_end:
            return 1, 0
        return 2, SLOWEST_UNIT_FIRST.index(name) if name in SLOWEST_UNIT_FIRST else len(SLOWEST_UNIT_FIRST)

    end_to_end = {module(item) for item in items if "e2e" in item.keywords}
    items.sort(key=rank)
    if not have_mirror():
        skip = pytest.mark.skip(reason=f"no MNIST mirror at {MNIST_MIRROR}; set MNIST_MIRROR")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


def pytest_collection_finish(session):
    """Freeze (gc.freeze) what collection made: the test modules and what they import (TensorFlow,
    pandas, DVC: about 460,000 objects that live as long as the worker). Out of the garbage
    collector's view, they are not walked again by each full collection during the tests, as
    import_tensorflow() does for the stages (core/quiet.py); what the tests make is collected as usual."""
    gc.freeze()


def pytest_unconfigure(config):
    """Freeze what is left too, so that the interpreter's exit does not walk it either."""
    gc.freeze()


def synthetic_images(count, seed=0):
    """`count` random 28x28 uint8 images and labels cycling through 0-9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8), np.arange(count, dtype=np.uint8) % 10


def write_synthetic_idx(folder):
    """The four MNIST file names in `folder`, holding tiny synthetic data (50 train, 20 test images)."""
    folder.mkdir()
    train_images, train_labels = synthetic_images(50, seed=1)
    test_images, test_labels = synthetic_images(20, seed=2)
    write_idx(folder / "train-images-idx3-ubyte.gz", train_images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", train_labels)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", test_images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test_labels)
    return folder


@pytest.fixture
def idx_files(tmp_path):
    """A folder with the four MNIST file names holding tiny synthetic data."""
    return write_synthetic_idx(tmp_path / "idx")


def set_params(params_path, overrides):
    """Apply {"section.key": value} (or {"top_level_key": value}) overrides to a params.yaml file,
    written as `dvc exp run -S` writes it (DVC's own YAML writer: comments kept, block lists)."""
    from dvc.utils.serialize import modify_yaml

    with modify_yaml(params_path) as params:
        for dotted, value in overrides.items():
            *section, key = dotted.split(".")
            (params[section[0]] if section else params)[key] = value


def run(command, cwd, check=True, **kwargs):
    """Run a command with this interpreter's environment first on PATH, as dvc stages need."""
    env = dict(os.environ, MNIST_MIRROR=str(MNIST_MIRROR),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.update(kwargs.pop("env", {}))
    result = subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def in_a_terminal(command, cwd, columns=80, env=None):
    """Run `command` with a pseudo-terminal as its output, as in a user's shell; return what it showed
    (terminal escapes removed)."""
    leader, follower = pty.openpty()
    # A terminal window of that width (a new pseudo-terminal has 0 columns: tqdm then draws nothing).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                               env={**os.environ, "COLUMNS": str(columns), "PATH": path, **(env or {})})
    os.close(follower)
    chunks = []
    with contextlib.suppress(OSError):  # reading a pseudo-terminal whose writer has exited
        while chunk := os.read(leader, 1 << 16):
            chunks.append(chunk)
    os.close(leader)
    assert process.wait() == 0, b"".join(chunks).decode()
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", b"".join(chunks).decode())


def in_this_process(main, arguments, folder, capsys):
    """A stage's or console script's `main` run in `folder` as its entry point runs it
    (`run_stage(main)`), but in this process, where TensorFlow is loaded once for all: its exit
    status, stdout and stderr."""
    from dense_vs_cnn.core import errors

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}  # run_stage's
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            patch.setattr(errors, "_stop_requests", [])
            errors.run_stage(main, arguments)
        status = 0
    except SystemExit as exit:
        status = exit.code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    printed = capsys.readouterr()
    return types.SimpleNamespace(returncode=status, stdout=printed.out, stderr=printed.err)


# check_params re-runs (a second) on any params change and changes nothing after it: the lists
# below leave it out, unless asked, to say which stages did the work.
CHECK = "check_params"


def stages_run(output, check=False):
    """The stages a `dvc repro` or `dvc exp run` ran, in order; train_dense@3 counts as train_dense."""
    names = [name.split("@")[0] for name in re.findall(r"Running stage '([\w@-]+)'", output)]
    return [name for name in names if check or name != CHECK]


def stages_cached(output, check=False):
    """The stages DVC restored from its run-cache instead of running them."""
    names = [name.split("@")[0] for name in
             re.findall(r"Stage '([\w@-]+)' is cached - skipping run, checking out outputs", output)]
    return [name for name in names if check or name != CHECK]


def dvc(*arguments, cwd, check=True, **kwargs):
    return run([sys.executable, "-m", "dvc", *arguments], cwd=cwd, check=check, **kwargs)


def make_pipeline_repo(parent, overrides=TINY_PARAMS):
    """Copy the project into a fresh git repository under `parent`, with `overrides` applied
    to params.yaml (tiny params by default), committed. The benchmark uses it too."""
    if not have_mirror():
        raise FileNotFoundError(f"no MNIST mirror at {MNIST_MIRROR}; set MNIST_MIRROR")
    repo = parent / "repo"
    repo.mkdir(parents=True)
    for name in ("stages", "dense_vs_cnn", "params.yaml", "dvc.yaml", ".gitignore", ".dvcignore"):
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    set_params(repo / "params.yaml", overrides)
    run(["git", "init", "-q", "-b", "main"], cwd=repo)
    run(["git", "config", "user.email", "test@example.com"], cwd=repo)
    run(["git", "config", "user.name", "Test"], cwd=repo)
    dvc("init", "-q", cwd=repo)
    shutil.copy(PROJECT / ".dvc" / "config", repo / ".dvc" / "config")  # analytics off, cache links
    shutil.copytree(PROJECT / ".dvc" / "plots", repo / ".dvc" / "plots")  # plot templates, offline page
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", "project"], cwd=repo)
    return repo


def built_once(tmp_path_factory, name, build):
    """`build(folder)`'s result, made once per test run: under pytest-xdist the first worker to
    ask builds it in the run's shared temporary folder while the others wait, then all read it.
    What it builds is never changed in place (modules work on copies). `build` returns text."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    root = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()
    folder, result = root / name, root / f"{name}.result"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if build fails
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
            folder.mkdir()
            result.write_text(build(folder))
    return folder, result.read_text()


def _build_project(folder):
    repo = make_pipeline_repo(folder)
    output = dvc("repro", cwd=repo).stdout
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", "results"], cwd=repo)
    return output


@pytest.fixture(scope="session")
def built_project(tmp_path_factory):
    """One real `dvc repro` at tiny params, committed on main, and what it printed: the
    starting point of the end-to-end modules, which each work on a copy (`copy_project`).
    Made once per test run, for every xdist worker (`built_once`)."""
    folder, output = built_once(tmp_path_factory, "built", _build_project)
    return folder / "repo", output


# The seeds of the end-to-end modules that compare seeds (test_seeds.py, test_calibration.py):
# the session's project trained seed 3, which stays the first seed.
SEEDS = [3, 0, 1]


@pytest.fixture(scope="session")
def seeds_project(built_project, tmp_path_factory):
    """The session's project at SEEDS: `dvc repro` trained only the new seeds' models; committed.
    Made once per test run, for every xdist worker (`built_once`); modules work on a copy."""
    def build(folder):
        repo = copy_project(built_project[0], folder / "repo")
        set_params(repo / "params.yaml", {"seeds": SEEDS})
        output = dvc("repro", cwd=repo).stdout
        run(["git", "add", "-A"], cwd=repo)
        run(["git", "commit", "-q", "-m", f"seeds {SEEDS}"], cwd=repo)
        return output

    folder, output = built_once(tmp_path_factory, "seeds", build)
    return folder / "repo", output


# The branch of the end-to-end modules that compare two commits (test_workflows.py, test_pr_results.py).
CNN_BRANCH = "cnn-2-epochs"


@pytest.fixture(scope="session")
def cnn_branch_project(built_project, tmp_path_factory):
    """The session's project with a branch CNN_BRANCH from main: the CNN trained for 2 epochs,
    committed. Back on main, as committed; the branch's outputs stay in its DVC cache (run-cache
    too). Made once per test run, for every xdist worker (`built_once`); modules work on a copy."""
    def build(folder):
        repo = copy_project(built_project[0], folder / "repo")
        run(["git", "checkout", "-q", "-b", CNN_BRANCH], cwd=repo)
        set_params(repo / "params.yaml", {"train_cnn.epochs": 2})
        output = dvc("repro", cwd=repo).stdout
        run(["git", "add", "-A"], cwd=repo)
        run(["git", "commit", "-q", "-m", "CNN: 2 epochs"], cwd=repo)
        run(["git", "checkout", "-q", "main"], cwd=repo)
        dvc("checkout", "-q", cwd=repo)
        return output

    return built_once(tmp_path_factory, "cnn-branch", build)[0] / "repo"


def copy_project(source, target):
    """An independent copy of a project: its files, git history and DVC cache (run-cache too)."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture
def pipeline_repo(tmp_path):
    return make_pipeline_repo(tmp_path)


@pytest.fixture
def tiny_params(tmp_path, monkeypatch):
    """Work in tmp_path with the project's params.yaml and TINY_PARAMS applied."""
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    set_params(tmp_path / "params.yaml", TINY_PARAMS)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "params.yaml"


@pytest.fixture
def prepared(idx_files, tiny_params, tmp_path):
    """Tensors written by the real preprocess stage from the synthetic IDX set."""
    from stages.preprocess import main as preprocess

    preprocess(["--raw", str(idx_files), "--out", str(tmp_path / "prepared")])
    return tmp_path / "prepared"


def train_arguments(prepared, layout, out, seed=3):
    return [
        "--seed", str(seed),
        "--train", str(prepared / f"train_{layout}.npy"), str(prepared / "train_labels.npy"),
        "--val", str(prepared / f"val_{layout}.npy"), str(prepared / "val_labels.npy"),
        "--model", str(out / "model.keras"), "--history", str(out / "history.csv"),
        "--timing", str(out / "train.json"),
    ]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """(prepared tensors, {"dense": path, "cnn": path}): both models trained one epoch by the real
    stages on the synthetic set, once per session, for the tests that only read them."""
    from stages.preprocess import main as preprocess
    from stages.train_cnn import main as train_cnn
    from stages.train_dense import main as train_dense

    folder = tmp_path_factory.mktemp("tiny-models")
    write_synthetic_idx(folder / "idx")
    shutil.copy(PROJECT / "params.yaml", folder / "params.yaml")
    set_params(folder / "params.yaml", TINY_PARAMS)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        preprocess(["--raw", str(folder / "idx"), "--out", str(folder / "prepared")])
        train_dense(train_arguments(folder / "prepared", "flat", folder / "dense"))
        train_cnn(train_arguments(folder / "prepared", "channel", folder / "cnn"))
    return folder / "prepared", {name: folder / name / "model.keras" for name in ("dense", "cnn")}


@pytest.fixture(scope="session")
def real_mnist_sample():
    """The first 200 real MNIST test images (uint8) and labels."""
    from dense_vs_cnn.data.idx import read_idx

    if not (MNIST_MIRROR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"no MNIST mirror at {MNIST_MIRROR}; set MNIST_MIRROR")
    images = read_idx(MNIST_MIRROR / "t10k-images-idx3-ubyte.gz", ndim=3)[:200]
    labels = read_idx(MNIST_MIRROR / "t10k-labels-idx1-ubyte.gz", ndim=1)[:200]
    return images, labels


def can_mount_tmpfs():
    """Whether this machine lets us mount a tmpfs in a private mount namespace (unshare -rm)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def run_on_tmpfs(command, mountpoint, cwd, size="64k", read_only=False, env=None):
    """Run `command` with a real tmpfs of `size` mounted on `mountpoint`: a small disk that fills
    up (ENOSPC) or a read-only one (EROFS). The mount lives in a private mount namespace and
    vanishes with the command, so the result carries what was left on it: `left`, one path
    per line, relative to the mountpoint."""
    options = f"size={size}" + (",ro" if read_only else "")
    script = ('mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; shift 2; "$@"; status=$?; '
              'echo "--- left on the tmpfs:" >&2; (cd "$MOUNTPOINT" && find . -mindepth 1) >&2; exit $status')
    result = run(["unshare", "-rm", "sh", "-c", script, "sh", options, str(mountpoint), *command], cwd=cwd,
                 check=False, env={"MOUNTPOINT": str(mountpoint), **(env or {})})
    assert result.returncode != 99, result.stderr
    result.stderr, _, left = result.stderr.partition("--- left on the tmpfs:\n")
    result.left = [path.removeprefix("./") for path in left.split()]
    return result
