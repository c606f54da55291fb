"""What the report's footer names: the code's digest and the versions of the main packages."""

import hashlib
from importlib import metadata
from pathlib import Path

PACKAGES = {"TensorFlow": "tensorflow", "Keras": "keras", "DVC": "dvc", "NumPy": "numpy",
            "matplotlib": "matplotlib"}


def code_digest(paths):
    """md5 of every .py file in `paths` (files, or folders searched recursively), names
    included, in a fixed order: the same code gives the same digest on any machine."""
    files = set()
    for path in map(Path, paths):
        files.update(path.rglob("*.py") if path.is_dir() else [path])
    digest = hashlib.md5()
    for path in sorted(files, key=lambda path: path.as_posix()):
        digest.update(f"{path.as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"
