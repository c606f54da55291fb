"""Saving and loading .keras models: safe mode only, and a clear message when loading fails."""

from pathlib import Path

import keras

from dense_vs_cnn.core.errors import PipelineError, missing


def load_model(path):
    """Load a .keras model in safe mode (no arbitrary code), or say clearly why not."""
    if not Path(path).is_file():  # Keras reports a missing file as a ValueError
        raise missing(path, "train it")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise PipelineError(f"{path} is not a loadable Keras model ({error}); "
                            "delete it and run `dvc repro` to retrain") from None
