"""Saving and loading .keras models: byte-stable saves, safe-mode loads, clear messages.

A .keras file is a zip archive; Keras stamps it with the date (`date_saved` in
metadata.json, and the time of the weights entry) and names objects shared between
layers by their memory address (`shared_object_id` in config.json). `save_model` drops
the dates and numbers shared objects in order of appearance, so the same weights always
give the same bytes: DVC then sees an unchanged model as unchanged, and nothing
downstream re-runs.
"""

import json
import zipfile
from pathlib import Path

import keras

from dense_vs_cnn.core.errors import PipelineError, missing

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def _renumber_shared_objects(config, numbers):
    """Replace each memory address in `shared_object_id` by 1, 2, ... in order of appearance."""
    if isinstance(config, dict):
        return {key: (numbers.setdefault(value, len(numbers) + 1) if key == "shared_object_id"
                      else _renumber_shared_objects(value, numbers))
                for key, value in config.items()}
    if isinstance(config, list):
        return [_renumber_shared_objects(value, numbers) for value in config]
    return config


def save_model(model, path):
    """Save `model` to the .keras file `path`; the same weights give the same bytes."""
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            if info.filename == "metadata.json":
                metadata = json.loads(data)
                metadata.pop("date_saved", None)
                data = json.dumps(metadata).encode()
            elif info.filename == "config.json":
                data = json.dumps(_renumber_shared_objects(json.loads(data), {})).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            archive.writestr(entry, data)


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
