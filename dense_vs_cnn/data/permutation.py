"""The spatial-structure control's pixel permutation: one fixed reordering of the pixel positions,
drawn from a seed, the same for every image (train, validation and test).

A fully connected network gives no meaning to pixel order: one fixed permutation of its inputs
leaves what it can learn unchanged. A convolution's windows see neighbouring pixels, which the
permutation scatters. NumPy only: the `permuted` stage imports it before it decides to train.
"""

import numpy as np

from dense_vs_cnn.core.datasets import IMAGE_SIZE

PIXELS = IMAGE_SIZE**2


def draw_permutation(seed, pixels=PIXELS):
    """A permutation of range(pixels), the same for the same seed (NumPy's default_rng)."""
    return np.random.default_rng(seed).permutation(pixels)


def permute(images, permutation):
    """`images` (flat: one row of pixels per image) with their pixels in `permutation`'s order:
    pixel i of each result is pixel permutation[i] of the image."""
    if images.ndim != 2 or images.shape[1] != len(permutation):
        raise ValueError(f"expected flat images of {len(permutation)} pixels, got shape {images.shape}")
    return images[:, permutation]


def as_channel(images):
    """Flat images (N, 784) in the CNN's layout (N, 28, 28, 1), as preprocess lays them out."""
    return images.reshape(len(images), IMAGE_SIZE, IMAGE_SIZE, 1)
