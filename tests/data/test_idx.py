import gzip

import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.idx import read_idx, write_idx


@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
def test_round_trip_keeps_shape_and_values(tmp_path, name):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    write_idx(tmp_path / name, images)
    read = read_idx(tmp_path / name, ndim=3)
    assert read.shape == (3, 28, 28) and read.dtype == np.uint8
    np.testing.assert_array_equal(read, images)


def test_header_is_the_mnist_magic_number(tmp_path):
    write_idx(tmp_path / "labels.gz", np.zeros(5, dtype=np.uint8))
    with gzip.open(tmp_path / "labels.gz") as stream:
        header = stream.read(8)
    assert header == bytes([0, 0, 8, 1, 0, 0, 0, 5])  # 2049, then the count


def test_wrong_magic_number_is_refused(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(PipelineError, match="wrong magic number"):
        read_idx(tmp_path / "bad", ndim=1)


def test_wrong_number_of_dimensions_is_refused(tmp_path):
    write_idx(tmp_path / "labels", np.zeros(5, dtype=np.uint8))
    with pytest.raises(PipelineError, match="has 1 dimensions, expected 3"):
        read_idx(tmp_path / "labels", ndim=3)


def test_truncated_data_is_refused(tmp_path):
    write_idx(tmp_path / "images", np.zeros((2, 28, 28), dtype=np.uint8))
    content = (tmp_path / "images").read_bytes()
    (tmp_path / "images").write_bytes(content[:-10])
    with pytest.raises(PipelineError, match="header says shape"):
        read_idx(tmp_path / "images", ndim=3)


def test_broken_gzip_is_refused(tmp_path):
    (tmp_path / "images.gz").write_bytes(b"not gzip at all")
    with pytest.raises(PipelineError, match="cannot read"):
        read_idx(tmp_path / "images.gz", ndim=3)
