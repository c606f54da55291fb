"""Read and write the IDX format MNIST ships in (http://yann.lecun.com/exdb/mnist/).

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order.
MNIST uses type 0x08 (unsigned byte) only, and so do we.
"""

import gzip
import math
from pathlib import Path

import numpy as np

from dense_vs_cnn.core.errors import PipelineError

UNSIGNED_BYTE = 0x08


def _open(path):
    return gzip.open(path, "rb") if Path(path).suffix == ".gz" else open(path, "rb")


def read_idx(path, ndim):
    """Return the uint8 array stored in the IDX file at `path` (gzipped or not).

    `ndim` is the number of dimensions the caller expects: 3 for images, 1 for labels.
    """
    try:
        with _open(path) as stream:
            content = stream.read()
    except (OSError, EOFError) as error:
        raise PipelineError(f"{path}: cannot read ({error}); run `dvc repro -f download`") from None
    if len(content) < 4 or content[0:2] != b"\x00\x00" or content[2] != UNSIGNED_BYTE:
        raise PipelineError(
            f"{path}: wrong magic number {content[:4].hex()}, expected 000008{ndim:02x}: "
            "not an unsigned-byte IDX file; run `dvc repro -f download`"
        )
    if content[3] != ndim:
        raise PipelineError(
            f"{path}: has {content[3]} dimensions, expected {ndim}: is it the right file "
            "(images have 3, labels 1)? Run `dvc repro -f download`"
        )
    header_size = 4 + 4 * ndim
    shape = tuple(int(size) for size in np.frombuffer(content[4:header_size], dtype=">u4"))
    # math.prod: exact for any header, where np.prod would overflow int64 on a corrupt one.
    if len(content) != header_size + math.prod(shape):
        raise PipelineError(
            f"{path}: header says shape {shape} ({math.prod(shape)} bytes) but the file "
            f"holds {len(content) - header_size} bytes of data; run `dvc repro -f download`"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


def write_idx(path, array):
    """Write a uint8 array as an IDX file (gzipped when `path` ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "wb") as stream:
        stream.write(header + array.tobytes())
