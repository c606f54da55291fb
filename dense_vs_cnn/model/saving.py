"""Saving and loading .keras models: safe mode only, and a clear message when loading fails."""

import zipfile
from pathlib import Path

import keras

from dense_vs_cnn.core.errors import PipelineError, missing


def load_model(path):
    """Load a .keras model in safe mode (no arbitrary code), or say clearly why not."""
    if not Path(path).is_file():  # Keras reports a missing file as a ValueError
        raise missing(path, "train it")
    # Keras calls an empty or truncated archive "File not found": say what it is.
    if Path(path).stat().st_size == 0:
        raise unloadable(path, "the file is empty")
    if not zipfile.is_zipfile(path):
        raise unloadable(path, "not a zip archive, as .keras files are: truncated or damaged")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise unloadable(path, error) from None


def unloadable(path, reason):
    return PipelineError(f"{path} is not a loadable Keras model ({reason}); "
                         "delete it and run `dvc repro` to retrain")
