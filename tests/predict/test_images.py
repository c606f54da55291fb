import contextlib
import io
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFont

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.predict.images import CENTRE, MAX_PIXELS, WORK_SIZE, load_gray, to_mnist
from tests.conftest import PROJECT


def bar(height, width, top, left, bar_height, bar_width, ink=0.0, paper=1.0):
    picture = np.full((height, width), paper, dtype=np.float32)
    picture[top:top + bar_height, left:left + bar_width] = ink
    return picture


def test_crops_fits_into_20_by_20_and_centres_the_mass():
    # A dark 100x50 bar, off-centre on white paper: ink 1 on black, 20 rows high, 10 wide.
    field = to_mnist(bar(400, 300, 10, 200, 100, 50))
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() == 0 and field.max() == pytest.approx(1, abs=0.01)
    rows, columns = np.nonzero(field > 0.5)
    assert rows.max() - rows.min() + 1 == 20 and columns.max() - columns.min() + 1 == 10
    total = field.sum()
    assert field.sum(axis=1) @ np.arange(28) / total == pytest.approx(CENTRE, abs=0.5)
    assert field.sum(axis=0) @ np.arange(28) / total == pytest.approx(CENTRE, abs=0.5)


def test_light_on_dark_and_dark_on_light_give_the_same_digit():
    dark_on_light = to_mnist(bar(200, 200, 50, 80, 90, 30, ink=0.1, paper=0.9))
    light_on_dark = to_mnist(bar(200, 200, 50, 80, 90, 30, ink=0.9, paper=0.1))
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-6)


def test_mnist_digits_are_left_as_they_are(real_mnist_sample):
    images, _ = real_mnist_sample
    redone = np.stack([to_mnist(image / 255.0) for image in images])
    assert np.abs(redone - images / 255.0).mean() < 0.02  # MNIST was made this way


def test_blank_image_is_refused():
    with pytest.raises(ValueError, match="no ink"):
        to_mnist(np.full((50, 50), 0.8, dtype=np.float32))


def test_large_jpeg_is_decoded_small_and_transparency_is_paper(tmp_path):
    Image.new("L", (4000, 3000), 255).save(tmp_path / "big.jpg")
    assert max(load_gray(tmp_path / "big.jpg").shape) <= WORK_SIZE
    drawing = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent black background
    ImageDraw.Draw(drawing).line([(50, 10), (50, 90)], fill=(0, 0, 0, 255), width=8)
    drawing.save(tmp_path / "drawing.png")
    gray = load_gray(tmp_path / "drawing.png")
    assert gray[0, 0] == 1.0 and gray[50, 50] == 0.0


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"hello, not a picture", "not an image Pillow can read"),
])
def test_bad_files_are_named(tmp_path, content, message):
    (tmp_path / "bad.png").write_bytes(content)
    with pytest.raises(PipelineError, match=f"bad.png: {message}"):
        load_gray(tmp_path / "bad.png")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    # A 1-bit PNG of 8000x8000 (64 megapixels) is a few kilobytes on disk.
    Image.new("1", (8000, 8000), 1).save(tmp_path / "bomb.png")
    assert (tmp_path / "bomb.png").stat().st_size < 100_000 and MAX_PIXELS < 8000 * 8000
    with warnings.catch_warnings(), pytest.raises(PipelineError, match="image too large.*8000x8000"):
        warnings.simplefilter("error")
        load_gray(tmp_path / "bomb.png")


def sixteen_bit_bomb(folder):
    """A 16-bit PNG of 7,071 x 7,071 pixels (50 megapixels, just under MAX_PIXELS) in about 110 KB:
    white paper with one dark bar."""
    pixels = np.full((7071, 7071), 65535, dtype=np.uint16)
    pixels[2500:4500, 3400:3700] = 0
    Image.fromarray(pixels).save(folder / "big16.png")
    return folder / "big16.png"


def test_a_lower_limit_refuses_a_large_image_from_its_header(tmp_path):
    path = sixteen_bit_bomb(tmp_path)
    assert path.stat().st_size < 200_000
    start = time.monotonic()
    with pytest.raises(PipelineError) as refusal:
        load_gray(path, max_pixels=16_000_000)
    assert time.monotonic() - start < 0.5  # the header only: decoding it takes seconds
    assert str(refusal.value) == (
        f"{path}: image too large (7071x7071 pixels); the limit is 16,000,000 pixels: "
        "shrink it first (a digit needs no more than a few hundred pixels a side)")


def test_memory_is_the_decoded_image_not_float_copies_of_it(tmp_path):
    """The 50-megapixel 16-bit PNG used to cost 1 GB: float64 copies of every pixel. It is now
    shrunk in Pillow first, so that what it costs is about the 100 MB Pillow decodes it to."""
    path = sixteen_bit_bomb(tmp_path)
    # VmHWM, this process's peak RSS (ru_maxrss would start at the size of the pytest that forked it).
    script = ("import re, sys\n"
              "from dense_vs_cnn.predict.images import load_gray, to_mnist\n"
              "def peak(): return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
              "before = peak()\n"
              "field = to_mnist(load_gray(sys.argv[1]))\n"
              "print(peak() - before, field.max())\n")
    result = subprocess.run([sys.executable, "-c", script, str(path)], cwd=PROJECT, capture_output=True,
                            text=True, check=True, timeout=120)
    grown_kib, ink = result.stdout.split()
    decoded_kib = 7071 * 7071 * 2 / 1024  # Pillow holds 2 bytes a pixel
    print(f"\nmaximum RSS grew by {int(grown_kib) / 1024:.0f} MiB; the decoded image is "
          f"{decoded_kib / 1024:.0f} MiB")
    assert float(ink) > 0.9 and int(grown_kib) < 2 * decoded_kib


def test_a_nan_in_a_large_float_image_survives_the_shrinking(tmp_path):
    values = np.ones((3000, 3000), dtype=np.float32)
    values[1234, 2345] = np.nan  # Pillow's extrema skip NaN: the shrunk image must still hold it
    Image.fromarray(values).save(tmp_path / "nan.tif")
    with pytest.raises(PipelineError, match="nan.tif: F pixels below 0, NaN or infinite"):
        load_gray(tmp_path / "nan.tif")


def test_truncated_image_is_damaged(tmp_path):
    Image.new("L", (300, 300), 128).save(tmp_path / "whole.jpg", quality=95)
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(PipelineError, match="cut.jpg: damaged image"):
        load_gray(tmp_path / "cut.jpg")


def test_an_upload_is_read_from_its_bytes_and_named_in_messages(tmp_path):
    Image.new("L", (300, 200), 255).save(tmp_path / "paper.png")
    data = (tmp_path / "paper.png").read_bytes()
    np.testing.assert_array_equal(load_gray(io.BytesIO(data), "paper.png"), load_gray(tmp_path / "paper.png"))
    with pytest.raises(PipelineError, match="^drawing.png: the file is empty$"):
        load_gray(io.BytesIO(b""), "drawing.png")
    with pytest.raises(PipelineError, match="^notes.png: not an image Pillow can read"):
        load_gray(io.BytesIO(b"hello"), "notes.png")


# --- Every mode and bit depth Pillow opens reads as its 8-bit equivalent -------------------------

def drawn_digit():
    """An anti-aliased 8-bit digit: dark ink on white paper, with most gray levels between."""
    image = Image.new("L", (100, 130), 255)
    ImageDraw.Draw(image).text((18, 5), "7", fill=0, font=ImageFont.load_default(size=110))
    return np.asarray(image)


def sixteen_bit(gray):
    return gray.astype(np.uint16) * 257  # 255 -> 65535: the same lightness


def save(image, path):
    image.save(path)
    return path


def raw_png(path, gray, color_type, channels):
    """A 16-bit PNG written chunk by chunk (Pillow writes no 16-bit RGB or gray+alpha)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    height, width = gray.shape
    pixels = np.repeat(sixteen_bit(gray)[..., np.newaxis], channels, axis=2)
    if color_type in (4, 6):  # with alpha: opaque
        pixels[..., -1] = 65535
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))
    return path


def palette(gray, path, transparent_background=False):
    """A palette PNG whose palette is shuffled: index k shows gray level ORDER[k]."""
    order = np.random.default_rng(0).permutation(256)
    indices = np.argsort(order)[gray].astype(np.uint8)  # the index whose color is the pixel's gray
    image = Image.fromarray(indices).convert("P")
    colors = np.repeat(order, 3).astype(np.uint8)
    if transparent_background:  # the paper's index is transparent and, underneath, red
        paper = int(np.argsort(order)[255])
        colors[3 * paper:3 * paper + 3] = (255, 0, 0)
        image.info["transparency"] = paper
    image.putpalette(colors.tolist())
    image.save(path, transparency=image.info.get("transparency"))
    return path


def transparent(gray, path, mode, under):
    """Ink opaque, paper fully transparent with the color `under` beneath (any color: it is paper)."""
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    rgba[gray == 255] = (*under, 0)
    return save(Image.fromarray(rgba).convert(mode), path)


def lab(gray, path):
    srgb, lab_profile = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
    transform = ImageCms.buildTransform(srgb, lab_profile, "RGB", "LAB")
    return save(ImageCms.applyTransform(Image.fromarray(gray).convert("RGB"), transform), path)


VARIANTS = {  # name: (how to write it, the mode Pillow opens it in, tolerance)
    "16-bit PNG": (lambda g, d: save(Image.fromarray(sixteen_bit(g)), d / "a.png"), "I;16", 0),
    "16-bit big-endian TIFF": (lambda g, d: save(Image.fromarray(sixteen_bit(g).astype(">u2")), d / "a.tif"),
                               "I;16B", 0),
    "16-bit PGM": (lambda g, d: save(Image.fromarray(sixteen_bit(g)), d / "a.pgm"), "I", 0),
    "32-bit integer TIFF": (lambda g, d: save(Image.fromarray((g.astype(np.int64) * (2**31 - 1) // 255)
                                                             .astype(np.int32)), d / "a.tif"), "I", 1e-6),
    "float TIFF, 0 to 1": (lambda g, d: save(Image.fromarray((g / 255).astype(np.float32)), d / "a.tif"), "F",
                           1e-6),
    "float TIFF, 0 to 255": (lambda g, d: save(Image.fromarray(g).convert("F"), d / "a.tif"), "F", 0),
    "16-bit RGB PNG": (lambda g, d: raw_png(d / "a.png", g, color_type=2, channels=3), "RGB", 0),
    "16-bit gray+alpha PNG": (lambda g, d: raw_png(d / "a.png", g, color_type=4, channels=2), "RGBA", 0),
    "RGB PNG": (lambda g, d: save(Image.fromarray(g).convert("RGB"), d / "a.png"), "RGB", 0),
    "palette PNG": (lambda g, d: palette(g, d / "a.png"), "P", 0),
    "palette PNG, transparent paper": (lambda g, d: palette(g, d / "a.png", transparent_background=True), "P",
                                       0),
    "LA PNG, transparent black paper": (lambda g, d: transparent(g, d / "a.png", "LA", (0, 0, 0)), "LA", 0),
    "RGBA PNG, transparent red paper": (lambda g, d: transparent(g, d / "a.png", "RGBA", (255, 0, 0)), "RGBA",
                                        0),
    "PA TIFF, transparent paper": (lambda g, d: save(palette_alpha(g), d / "a.tif"), "PA", 0),
    "CMYK TIFF": (lambda g, d: save(Image.fromarray(g).convert("CMYK"), d / "a.tif"), "CMYK", 0),
    "CIE L*a*b* TIFF": (lambda g, d: lab(g, d / "a.tif"), "LAB", 2 / 255),  # via sRGB: rounding
}


def palette_alpha(gray):
    """PA: a shuffled palette plus an alpha band that makes the paper transparent."""
    image = Image.open(palette(gray, Path(tempfile.mkdtemp()) / "p.png")).convert("PA")
    image.putalpha(Image.fromarray(np.where(gray == 255, 0, 255).astype(np.uint8)))
    return image


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_mode_and_bit_depth_reads_as_its_8_bit_equivalent(tmp_path, variant):
    gray = drawn_digit()
    write, mode, tolerance = VARIANTS[variant]
    path = write(gray, tmp_path)
    with Image.open(path) as image:
        assert image.mode == mode  # the mode under test is the one Pillow really opens
    eight_bit = load_gray(save(Image.fromarray(gray), tmp_path / "8-bit.png"))
    np.testing.assert_allclose(load_gray(path), eight_bit, rtol=0, atol=tolerance)
    np.testing.assert_allclose(to_mnist(load_gray(path)), to_mnist(eight_bit), rtol=0, atol=2 * tolerance)


@pytest.mark.parametrize("variant", ["16-bit PNG", "16-bit big-endian TIFF", "float TIFF, 0 to 1",
                                     "palette PNG, transparent paper", "RGBA PNG, transparent red paper"])
def test_large_images_are_shrunk_in_their_own_mode_and_read_the_same(tmp_path, variant):
    # 26 times the drawn digit: 2600x3380, shrunk in Pillow (box filter) before it becomes floats.
    gray = np.asarray(Image.fromarray(drawn_digit()).resize((2600, 3380), Image.Resampling.NEAREST))
    write, mode, _ = VARIANTS[variant]
    path = write(gray, tmp_path)
    eight_bit = load_gray(save(Image.fromarray(gray), tmp_path / "8-bit.png"))
    np.testing.assert_allclose(to_mnist(load_gray(path)), to_mnist(eight_bit), rtol=0, atol=0.01)


def test_a_1_bit_image_reads_as_black_and_white(tmp_path):
    binary = np.where(drawn_digit() < 128, 0, 255).astype(np.uint8)
    one_bit = save(Image.fromarray(binary).convert("1", dither=Image.Dither.NONE), tmp_path / "a.png")
    assert Image.open(one_bit).mode == "1"
    eight_bit = save(Image.fromarray(binary), tmp_path / "b.png")
    np.testing.assert_array_equal(load_gray(one_bit), load_gray(eight_bit))


def test_real_mnist_digits_in_16_bits_are_the_8_bit_tensors(real_mnist_sample, tmp_path):
    """Pillow's own conversion clipped 16-bit pixels: 105 of these 200 were "no ink found", a 7 became a 2."""
    images, _ = real_mnist_sample
    inverted = 255 - images  # dark ink on white paper, as a scan is
    for index, image in enumerate(inverted):
        eight = to_mnist(load_gray(save(Image.fromarray(image), tmp_path / f"{index}-8.png")))
        sixteen = to_mnist(load_gray(save(Image.fromarray(sixteen_bit(image)), tmp_path / f"{index}-16.png")))
        np.testing.assert_array_equal(sixteen, eight)


@pytest.mark.parametrize(("values", "problem"), [
    (np.full((40, 40), -1.0, dtype=np.float32), "F pixels below 0, NaN or infinite"),
    (np.full((40, 40), np.nan, dtype=np.float32), "F pixels below 0, NaN or infinite"),
    (np.full((40, 40), 1e6, dtype=np.float32), r"F pixels up to 1e\+06: more than any usual white \(65535\)"),
])
def test_float_pixels_with_no_known_range_are_refused(tmp_path, values, problem):
    path = save(Image.fromarray(values), tmp_path / "odd.tif")
    with pytest.raises(PipelineError, match=f"odd.tif: {problem}"):
        load_gray(path)


# --- Files Pillow opens but cannot decode, and files that are not files -------------------------------

def crafted_dds(path):
    """A DirectDraw Surface header with no known pixel format: Pillow raises NotImplementedError."""
    header = struct.pack("<4sI", b"DDS ", 124) + struct.pack("<3I", 0, 32, 32) + bytes(120 - 12)
    path.write_bytes(header)
    return path


def test_a_file_pillow_cannot_decode_is_this_files_problem(tmp_path):
    path = crafted_dds(tmp_path / "crafted.dds")
    with pytest.raises(NotImplementedError):  # what used to abort the whole folder
        Image.open(path)
    with pytest.raises(PipelineError, match=r"crafted.dds: cannot decode this image \(NotImplementedError: "
                                            r"Unknown pixel format flags 0\)"):
        load_gray(path)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")

    def writer():  # the old code waited forever for one: let a failing test end
        time.sleep(3)
        with contextlib.suppress(OSError):
            os.close(os.open(tmp_path / "pipe.png", os.O_WRONLY | os.O_NONBLOCK))

    threading.Thread(target=writer, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(PipelineError, match=r"pipe.png: a FIFO \(named pipe\), not a regular file: refused"):
        load_gray(tmp_path / "pipe.png")
    assert time.monotonic() - start < 1


def test_control_characters_in_a_name_are_escaped_in_messages(tmp_path):
    path = tmp_path / "evil\nerror: forged line.png"
    path.write_bytes(b"")
    with pytest.raises(PipelineError) as error:
        load_gray(path)
    message = str(error.value)
    assert "\n" not in message and "evil\\nerror: forged line.png: the file is empty" in message
