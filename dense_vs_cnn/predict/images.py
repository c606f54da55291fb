"""Turn a user's image file into a 28x28 MNIST-style tensor, the way MNIST was made.

MNIST digits are light ink on a black background, cropped to the ink, fitted into a
20x20 box keeping the aspect ratio (anti-aliased), then placed in a 28x28 field so that
their centre of mass sits at the centre. `to_mnist` does exactly that to any grayscale
picture; `load_gray` reads the picture with bounded memory.
"""

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from dense_vs_cnn.core.errors import PipelineError

MAX_PIXELS = 50_000_000  # a 50-megapixel photo decodes to at most ~200 MB; more is refused
WORK_SIZE = 512  # images are shrunk to fit this square first: plenty to find the ink
FIELD, BOX = 28, 20  # MNIST's 28x28 field and the 20x20 box the digit is fitted into
CENTRE = 14.0  # where MNIST's centres of mass sit (row and column), measured on the test set
MIN_CONTRAST = 0.15  # ink must differ this much from the background, on a 0-1 scale
NOISE = 0.2  # after scaling the ink to 0-1: fainter pixels are paper texture or JPEG noise


def load_gray(source, name=None):
    """Read an image as a 2-D float32 array in [0, 1] (1 = white), at most WORK_SIZE wide.

    `source` is a path, or an open binary file (an upload held in io.BytesIO) that error
    messages call `name`.
    """
    name = name or source
    if _size(source) == 0:
        raise PipelineError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it: make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:  # reads the header only
                if image.width * image.height > MAX_PIXELS:
                    raise Image.DecompressionBombError(f"{image.width}x{image.height} pixels")
                image.draft("L", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at 1/2 to 1/8 scale
                image = ImageOps.exif_transpose(image)  # phone photos: honour the orientation
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    # Transparent pixels are blank paper, not black ink.
                    paper = Image.new("RGBA", image.size, "white")
                    image = Image.alpha_composite(paper, image.convert("RGBA"))
                image = image.convert("L")
                image.thumbnail((WORK_SIZE, WORK_SIZE))
                return np.asarray(image, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise PipelineError(f"{name}: no such file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PipelineError(
            f"{name}: image too large ({error}); the limit is {MAX_PIXELS:,} pixels: "
            "shrink it first (a digit needs no more than a few hundred pixels a side)"
        ) from None
    except UnidentifiedImageError:
        raise PipelineError(f"{name}: not an image Pillow can read (use PNG or JPEG)") from None
    except OSError as error:  # truncated or damaged data
        raise PipelineError(f"{name}: damaged image ({error})") from None


def _size(source):
    """Bytes in a path's file or in an open binary file; None when the path is no file."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).stat().st_size if Path(source).is_file() else None
    return source.getbuffer().nbytes if isinstance(source, io.BytesIO) else None


def to_mnist(gray):
    """Return the 28x28 float32 MNIST-style image (ink 1, background 0) of a grayscale picture."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    # Dark ink on light paper is inverted; either way ink becomes "more than background".
    ink = gray - background if background < 0.5 else background - gray
    ink = np.clip(ink, 0, None)
    if ink.max() < MIN_CONTRAST:
        raise ValueError("no ink found: the image is blank or has too little contrast")
    ink = ink / ink.max()
    ink[ink < NOISE] = 0
    rows, columns = np.nonzero(ink)
    crop = ink[rows.min():rows.max() + 1, columns.min():columns.max() + 1]

    scale = BOX / max(crop.shape)
    width, height = (max(1, round(side * scale)) for side in (crop.shape[1], crop.shape[0]))
    digit = Image.fromarray(crop.astype(np.float32)).resize((width, height), Image.Resampling.LANCZOS)
    digit = np.clip(np.asarray(digit), 0, 1)  # Lanczos overshoots a little at sharp edges

    total = digit.sum()
    centre_row = digit.sum(axis=1) @ np.arange(height) / total
    centre_column = digit.sum(axis=0) @ np.arange(width) / total
    # Integer shift, as MNIST did; kept inside the field so that no ink is cut off.
    top = int(np.clip(round(CENTRE - centre_row), 0, FIELD - height))
    left = int(np.clip(round(CENTRE - centre_column), 0, FIELD - width))
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field
