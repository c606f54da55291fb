import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.idx import write_idx
from dense_vs_cnn.data.prepare import load_split, to_tensors, validation_split


def test_validation_is_the_last_tenth_like_keras():
    images, labels = np.arange(100).reshape(100, 1, 1), np.arange(100)
    (train_x, train_y), (val_x, val_y) = validation_split(images, labels, 0.1)
    assert len(train_y) == 90 and len(val_y) == 10
    np.testing.assert_array_equal(train_y, np.arange(90))  # order kept, no shuffle
    np.testing.assert_array_equal(val_y, np.arange(90, 100))


def test_validation_split_rounds_like_keras():
    # Keras: split_at = int(n * (1 - fraction)); for n=55 and 0.1 that is 49.
    (train, _), (val, _) = validation_split(np.zeros((55, 1)), np.zeros(55), 0.1)
    assert (len(train), len(val)) == (49, 6)


def test_a_split_that_would_be_empty_is_refused():
    with pytest.raises(PipelineError, match="validation_fraction"):
        validation_split(np.zeros((1, 1)), np.zeros(1), 0.5)


def test_tensors_have_both_layouts_of_the_raw_pixels():
    images = np.array([[[0, 255], [128, 64]]] * 3, dtype=np.uint8)
    tensors = to_tensors(images)
    assert tensors["flat"].shape == (3, 4) and tensors["channel"].shape == (3, 2, 2, 1)
    for tensor in tensors.values():  # uint8 on disk: 8 times smaller than float32, scaled when loaded
        assert tensor.dtype == np.uint8 and tensor.tobytes() == images.tobytes()


def test_image_and_label_counts_must_agree(tmp_path):
    write_idx(tmp_path / "images", np.zeros((4, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "labels", np.zeros(3, dtype=np.uint8))
    with pytest.raises(PipelineError, match="4 images but .* 3 labels"):
        load_split(tmp_path / "images", tmp_path / "labels")
