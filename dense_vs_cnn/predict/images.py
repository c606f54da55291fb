"""Turn a user's image file into a 28x28 MNIST-style tensor, the way MNIST was made.

MNIST digits are light ink on a black background, cropped to the ink, fitted into a
20x20 box keeping the aspect ratio (anti-aliased), then placed in a 28x28 field so that
their centre of mass sits at the centre. `to_mnist` does exactly that to any grayscale
picture; `load_gray` reads the picture with bounded memory, in any mode and bit depth
Pillow opens, as the same lightness its 8-bit equivalent has.
"""

import contextlib
import math
import warnings

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from dense_vs_cnn.core.errors import PipelineError, printable
from dense_vs_cnn.core.files import open_regular

MAX_PIXELS = 50_000_000  # digits-predict's limit: a 50-megapixel photo; more is refused from the header
WORK_SIZE = 512  # images are shrunk to fit this square first: plenty to find the ink
FIELD, BOX = 28, 20  # MNIST's 28x28 field and the 20x20 box the digit is fitted into
CENTRE = 14.0  # where MNIST's centres of mass sit (row and column), measured on the test set
MIN_CONTRAST = 0.15  # ink must differ this much from the background, on a 0-1 scale
NOISE = 0.2  # after scaling the ink to 0-1: fainter pixels are paper texture or JPEG noise

# Modes wider than 8 bits, and the values that mean white. Pillow's convert("L") clips
# them at 255 instead of scaling (a 16-bit digit keeps only its darkest pixels), so they
# are scaled here. 16-bit modes hold 0-65535. "I" (32-bit integers) and "F" (floats) carry
# no range of their own: Pillow reads a 16-bit PGM as "I" in 0-65535, converts "L" to "I"
# or "F" in 0-255, and float files mostly hold 0-1; white is the smallest of these that
# holds every pixel.
WHITE = {"I;16": (65535,), "I;16B": (65535,), "I;16L": (65535,), "I;16N": (65535,),
         "I": (255, 65535, 2**31 - 1), "F": (1.0, 255.0, 65535.0)}
# Modes with an alpha band; any other mode may name a transparent value in info["transparency"].
ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
NOT_A_LIGHTNESS = "{mode} pixels below 0, NaN or infinite: no way to tell black from white"
# CIE L*a*b* (TIFF) has no conversion to "L" in Pillow: go through sRGB with Little CMS.
LAB_TO_SRGB = ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"),
                                      "LAB", "RGB")


def white_of(image):
    """The value that means white in a 16-bit, 32-bit integer or float image: the smallest usual
    white that holds every pixel (Pillow's extrema: no copy of the pixels)."""
    if image.mode.startswith("I;16"):  # unsigned 16 bits: always 0-65535
        return WHITE[image.mode][0]
    low, high = image.getextrema()  # NaN is skipped here; reduced() keeps it for to_gray to see
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0:
        raise ValueError(NOT_A_LIGHTNESS.format(mode=image.mode))
    white = next((white for white in WHITE[image.mode] if high <= white), None)
    if white is None:
        raise ValueError(f"{image.mode} pixels up to {high:g}: more than any usual white "
                         f"({WHITE[image.mode][-1]:g})")
    return white


def flattened(image, white):
    """`image` in a mode that keeps its lightness and that Pillow shrinks well: L, RGBa (anything
    transparent, premultiplied) or the wide mode itself. Made at full size, as a palette, a
    transparent value or L*a*b* must be: at most 4 bytes a pixel more."""
    transparent = image.info.get("transparency")
    if image.mode in WHITE:
        if image.mode.startswith("I;16") and image.mode != "I;16":
            image = image.convert("I")  # Pillow resizes only native 16-bit pixels correctly
        if transparent is not None:  # a PNG's tRNS: one value that is transparent, i.e. paper
            values = np.array(image)
            values[values == transparent] = white
            image = Image.fromarray(values)
        return image
    if image.mode == "LAB":
        image = ImageCms.applyTransform(image, LAB_TO_SRGB)
    if image.mode in ALPHA_MODES or transparent is not None:
        # Premultiplied, as resize() would make it anyway: the colour of a transparent pixel is lost.
        return image.convert("RGBA").convert("RGBa") if image.mode != "RGBA" else image.convert("RGBa")
    return image if image.mode == "L" else image.convert("L")


def reduced(image):
    """`image` box-filtered to about twice WORK_SIZE, in its own mode: the first step of
    thumbnail(), made before the pixels become floats (4 to 8 bytes each) so that those cost
    what a small image costs. Box filtering averages whole pixels, so a NaN stays visible."""
    factor = max(image.size) // (2 * WORK_SIZE)
    if factor < 2:
        return image
    return image.resize((-(-image.width // factor), -(-image.height // factor)), Image.Resampling.BOX)


def to_gray(image):
    """The picture as a 2-D float32 array in [0, 1] (1 = white), at most about 2 x WORK_SIZE a
    side; transparent pixels are white paper. Every mode and bit depth reads as the same
    lightness its 8-bit equivalent has."""
    white = white_of(image) if image.mode in WHITE else 255
    image = reduced(flattened(image, white))
    if image.mode == "RGBa":
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
        image = image.convert("L")
    if image.mode == "L":
        return np.asarray(image, dtype=np.float32) / 255.0
    values = np.asarray(image, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(NOT_A_LIGHTNESS.format(mode=image.mode))
    return (values / white).astype(np.float32)


def shrink(gray):
    """`gray` fitted into WORK_SIZE x WORK_SIZE (never enlarged): plenty to find the ink."""
    picture = Image.fromarray(gray)  # float32: mode "F"
    picture.thumbnail((WORK_SIZE, WORK_SIZE))
    return np.clip(np.asarray(picture), 0, 1)  # resampling overshoots a little at sharp edges


def too_large(name, detail, limit):
    return PipelineError(f"{name}: image too large ({detail}); the limit is {limit:,} pixels: shrink it "
                         "first (a digit needs no more than a few hundred pixels a side)")


def load_gray(source, name=None, max_pixels=MAX_PIXELS):
    """Read an image as a 2-D float32 array in [0, 1] (1 = white), at most WORK_SIZE wide.

    `source` is a path, or an open binary file (an upload) that error messages call `name`.
    An image of more than `max_pixels` is refused from its header, before it is decoded. A
    FIFO or a device is refused before it is read (it could block or never end); any failure
    of Pillow's decoders is this file's problem, reported with its name. Memory: the decoded
    image (a JPEG decodes at 1/2 to 1/8 scale), plus at most 4 bytes a pixel.
    """
    name = printable(name or source)
    try:
        opened = contextlib.nullcontext(source) if hasattr(source, "read") else open_regular(source)
        with opened as stream, warnings.catch_warnings():
            if stream.seek(0, 2) == 0:
                raise PipelineError(f"{name}: the file is empty")
            stream.seek(0)
            # Pillow only warns between its own limit and twice it: make that an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:  # reads the header only
                if image.width * image.height > max_pixels:
                    raise too_large(name, f"{image.width}x{image.height} pixels", max_pixels)
                image.draft("L", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at 1/2 to 1/8 scale
                ImageOps.exif_transpose(image, in_place=True)  # phone photos: honour the orientation
                return shrink(to_gray(image))
    except PipelineError:
        raise
    except FileNotFoundError:
        raise PipelineError(f"{name}: no such file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # Pillow's own limit
        raise too_large(name, error, max_pixels) from None
    except UnidentifiedImageError:
        raise PipelineError(f"{name}: not an image Pillow can read (use PNG or JPEG)") from None
    except ValueError as error:  # not a regular file; pixel values with no known range
        raise PipelineError(f"{name}: {error}") from None
    except OSError as error:  # truncated or damaged data
        raise PipelineError(f"{name}: damaged image ({error})") from None
    except Exception as error:  # a crafted file: Pillow's decoders raise NotImplementedError, SyntaxError...
        raise PipelineError(f"{name}: cannot decode this image ({type(error).__name__}: {error})") from None


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
