"""File helpers shared by the stages: atomic writes, and reading what an earlier stage wrote.

Every output is written under a temporary name in its own folder and renamed into
place only when complete, so a crash or Ctrl-C never leaves a half-written file where
DVC would take it for a result.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from dense_vs_cnn.core.errors import PipelineError, missing

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


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds."""
    path = Path(path)
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
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def write_text(path, text):
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


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
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise missing(path) from None
