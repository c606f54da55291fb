"""File helpers shared by the stages: atomic writes, and reading what an earlier stage wrote.

Every output is written under a temporary name in its own folder and renamed into
place only when complete, so a crash or Ctrl-C never leaves a half-written file where
DVC would take it for a result.
"""

import contextlib
import json
import math
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np

from dense_vs_cnn.core.errors import PipelineError, missing, stop_if_asked

# Temporary files are hidden and carry this marker, which .gitignore and .dvcignore list:
# a run killed with `kill -9` leaves nothing git would commit or DVC would hash, and the
# next write of the same file removes what it left.
TEMPORARY_MARKER = ".tmp-"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stale_temporaries(path):
    return path.parent.glob(f".{path.stem}{TEMPORARY_MARKER}*{path.suffix}")


def _linked_folder(path):
    """The first folder of `path`, below the working directory, that is a symbolic link, or None."""
    try:
        relative = Path(path).absolute().relative_to(Path.cwd())
    except ValueError:  # outside the project: not a folder the pipeline manages
        return None
    return next((folder for folder in reversed(relative.parents[:-1]) if folder.is_symlink()), None)


def refuse_linked_folder(path):
    """Outputs are never written through a symbolic link: a link `models/seed-8` -> `seed-3` would
    make seed 8's models overwrite seed 3's."""
    folder = _linked_folder(path)
    if folder is not None:
        raise PipelineError(f"{folder} is a symbolic link (to {os.readlink(folder)}): outputs are never "
                            f"written through a link, which would overwrite what it leads to; remove it "
                            f"(`rm {folder}`) and run `dvc repro`")


def refuse_linked_model_folder(path):
    """A model is never read from a folder that is a symbolic link: DVC restores a cached train stage's
    models from its run-cache (without running the stage, which refuses links) through a link
    `models/seed-0` -> `seed-3`, over seed 3's models."""
    folder = Path(path).parent
    if folder.is_symlink():
        raise PipelineError(f"{folder} is a symbolic link (to {os.readlink(folder)}): models are never read "
                            f"through a link, where DVC may have restored one seed's models over another's; "
                            f"remove it (`rm {folder}`) and run `dvc repro`")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds."""
    path = Path(path)
    refuse_linked_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in _stale_temporaries(path):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            stale.unlink()
    # Same folder (so the rename is atomic) and same suffix (Keras insists on `.keras`).
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}{TEMPORARY_MARKER}",
                                         suffix=path.suffix)
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the user's umask
    try:
        yield Path(temporary)
        stop_if_asked()  # no output kept after a Ctrl-C that a library swallowed
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def write_text(path, text):
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def _non_finite(data, where=""):
    """The keys ('loss', 'dense.loss') of the NaN and infinite numbers in nested dicts and lists."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [where or "the value"]
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    return [key for name, value in items for key in _non_finite(value, f"{where}.{name}".lstrip("."))]


def write_json(path, data):
    """Write `data` as sorted, indented JSON; refuse NaN and infinity, which are not JSON."""
    bad = _non_finite(data)
    if bad:
        raise PipelineError(f"{path} was not written: {', '.join(bad)} would be NaN or infinity, "
                            "which JSON cannot hold: the computation that made it went wrong")
    write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_csv(path, frame, float_format=None):
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False, float_format=float_format)


def read_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing(path) from None
    except json.JSONDecodeError as error:
        raise PipelineError(f"{path} is not valid JSON ({error}): run `dvc repro -f` to rebuild it") from None


def save_array(path, array):
    with atomic_path(path) as temporary:
        np.save(temporary, array, allow_pickle=False)


def load_array(path):
    """Load a .npy array written by `preprocess`; never unpickles."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise missing(path) from None
    except ValueError as error:
        raise PipelineError(
            f"{path} is not a valid .npy array ({error}): run `dvc repro -f preprocess`"
        ) from None


def read_csv(path):
    import pandas as pd  # here: a stage that reads no table, or refuses its params, skips its 0.2 s import

    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise missing(path) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path} is not a readable CSV table ({error}): undo the edit "
                            f"(`git checkout -- {path}`) or run `dvc repro` to rebuild it") from None


# What a path is when it is not a regular file, for messages (stat's S_IS* tests).
FILE_KINDS = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO (named pipe)",
              stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}


def _kind(mode):
    return next((kind for test, kind in FILE_KINDS.items() if test(mode)), "not a regular file")


def open_regular(path):
    """Open `path` for binary reading if it is a regular file, else raise ValueError saying what it is.

    A device never ends (/dev/zero) and a FIFO blocks until someone writes to it: both are
    refused before a byte is read. O_NONBLOCK lets a FIFO open at once, so that the check
    is made on the opened file itself, with no window for a swap in between.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{_kind(mode)}, not a regular file: refused without reading it")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def remove_other_seed_folders(pattern, seeds):
    """Remove the folders that `pattern` (a file path whose folder holds `{seed}`, e.g.
    models/seed-{seed}/dense.keras) names for seeds not in `seeds`; return them.

    A seed dropped from params.yaml leaves its trained models behind, and a stage that
    depends on the whole models/ folder would hash them too: removed, the folder holds
    exactly the models the stage scores, as on a fresh clone. They stay in DVC's cache:
    adding the seed back restores them from the run-cache, without training.
    """
    folder = Path(pattern).parent
    if "{seed}" not in folder.name:
        return []
    keep = {folder.name.format(seed=seed) for seed in seeds}
    stale = sorted(other for other in folder.parent.glob(folder.name.replace("{seed}", "*"))
                   if other.name not in keep)
    for other in stale:
        if other.is_symlink() or not other.is_dir():
            other.unlink()
        else:
            shutil.rmtree(other)
    return stale
