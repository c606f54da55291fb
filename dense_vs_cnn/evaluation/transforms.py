"""Transformed copies of test images: a digit moved off centre, turned, noisy, or drawn with
another pen. Reads and writes no file.

Each transform takes images (N, height, width), floats in [0, 1] with ink high and paper 0
(what `preprocess` writes, scaled), and a level, and returns a new array of the same shape
and dtype, still in [0, 1]; level 0 gives the images back unchanged. What varies from image
to image (the direction of a shift, the sense of a rotation, the noise) is not drawn here
but passed in (`Draws`), drawn once from a seed: every function is pure, and the same
image gets the same direction at every level, so that a curve's points differ by the
level alone. Outside the image is blank paper (0), as around every MNIST digit.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# (rows, columns) of a one-pixel move: up, down, left, right. Along an axis only, so that a
# shift of k pixels moves every digit by exactly k pixels.
DIRECTIONS = ((-1, 0), (1, 0), (0, -1), (0, 1))


@dataclass(frozen=True)
class Draws:
    """What each image gets, drawn once: one entry per image."""

    directions: np.ndarray  # an index into DIRECTIONS
    senses: np.ndarray  # +1: anticlockwise, -1: clockwise (as the image is shown, row 0 on top)
    noise: np.ndarray  # standard normal values, one per pixel, the shape of the images


def draw(count, shape, rng):
    """Each of `count` images' direction, sense of rotation and noise, from `rng` (a NumPy Generator)."""
    return Draws(directions=rng.integers(len(DIRECTIONS), size=count),
                 senses=rng.choice(np.array([-1, 1]), size=count),
                 noise=rng.standard_normal((count, *shape), dtype=np.float32))


def shift(images, rows, columns):
    """Every image moved by whole pixels (`rows` down, `columns` right; negative: up, left); what
    leaves the frame is lost and blank paper comes in."""
    height, width = images.shape[1:]
    moved = np.zeros_like(images)
    moved[:, max(rows, 0):height + min(rows, 0), max(columns, 0):width + min(columns, 0)] = \
        images[:, max(-rows, 0):height + min(-rows, 0), max(-columns, 0):width + min(-columns, 0)]
    return moved


def translate(images, pixels, directions):
    """Each image moved by `pixels` whole pixels in its own direction (`directions`: indices into
    DIRECTIONS)."""
    moved = np.empty_like(images)
    for index, (rows, columns) in enumerate(DIRECTIONS):
        chosen = directions == index
        moved[chosen] = shift(images[chosen], rows * pixels, columns * pixels)
    return moved


def rotate(images, degrees, senses):
    """Each image turned by `degrees` about its centre, anticlockwise where `senses` is +1 and
    clockwise where it is -1, interpolated bilinearly (no overshoot outside [0, 1])."""
    turned = np.empty_like(images)
    for sense in (-1, 1):
        chosen = senses == sense
        if chosen.any():
            # a positive angle turns anticlockwise as the image is shown, row 0 on top
            turned[chosen] = ndimage.rotate(images[chosen], sense * degrees, axes=(1, 2), reshape=False,
                                            order=1, mode="constant", cval=0.0)
    return np.clip(turned, 0, 1)


def add_noise(images, sigma, noise):
    """`sigma` times the standard normal `noise` added to every pixel, then clipped to [0, 1]."""
    return np.clip(images + sigma * noise, 0, 1).astype(images.dtype)


def disk(radius):
    """The pixels within `radius` of a centre pixel: a cross for 1, a 13-pixel disk for 2."""
    rows, columns = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    return rows**2 + columns**2 <= radius**2


def change_thickness(images, radius):
    """Strokes made thicker (`radius` > 0: grey dilation) or thinner (< 0: grey erosion) by a disk
    of |radius| pixels: each pixel takes the brightest (or darkest) value within that disk."""
    operation = ndimage.grey_dilation if radius >= 0 else ndimage.grey_erosion
    return operation(images, footprint=disk(abs(radius))[np.newaxis], mode="constant", cval=0.0)


# The transforms params.yaml's robustness section names, in its order: f(images, level, draws).
TRANSFORMS = {
    "translation": lambda images, pixels, drawn: translate(images, pixels, drawn.directions),
    "rotation": lambda images, degrees, drawn: rotate(images, degrees, drawn.senses),
    "noise": lambda images, sigma, drawn: add_noise(images, sigma, drawn.noise),
    "thickness": lambda images, radius, drawn: change_thickness(images, radius),
}
