import numpy as np
import pytest

from dense_vs_cnn.data.permutation import PIXELS, as_channel, draw_permutation, permute


def test_the_permutation_is_seeded_and_a_real_permutation_of_every_pixel():
    permutation = draw_permutation(0)
    assert PIXELS == 784 and permutation.shape == (784,)
    np.testing.assert_array_equal(np.sort(permutation), np.arange(784))
    np.testing.assert_array_equal(permutation, draw_permutation(0))
    np.testing.assert_array_equal(permutation, np.random.default_rng(0).permutation(784))
    assert (permutation != np.arange(784)).mean() > 0.99  # it moves almost every pixel
    assert (permutation != draw_permutation(1)).any()


def test_permute_reorders_each_images_pixels_the_same_way():
    images = np.arange(3 * 784).reshape(3, 784)
    permutation = draw_permutation(5)
    permuted = permute(images, permutation)
    for image, result in zip(images, permuted, strict=True):
        np.testing.assert_array_equal(result, image[permutation])
    np.testing.assert_array_equal(np.sort(permuted, axis=1), images)  # the same pixel values, moved
    restored = np.empty_like(permuted)
    restored[:, permutation] = permuted  # the inverse permutation gives the images back
    np.testing.assert_array_equal(restored, images)
    assert as_channel(permuted).shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(as_channel(permuted)[1, 0, :, 0], permuted[1, :28])


def test_permute_refuses_images_that_are_not_flat():
    with pytest.raises(ValueError, match="expected flat images of 784 pixels"):
        permute(np.zeros((2, 28, 28)), draw_permutation(0))
