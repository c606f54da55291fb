import io
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.predict.images import CENTRE, MAX_PIXELS, WORK_SIZE, load_gray, to_mnist


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
