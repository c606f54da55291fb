import numpy as np
import pytest

from dense_vs_cnn.evaluation import transforms
from dense_vs_cnn.evaluation.transforms import DIRECTIONS, TRANSFORMS, Draws


def dot(row, column, size=28):
    """One image, blank but for one pixel of ink."""
    image = np.zeros((1, size, size), dtype=np.float32)
    image[0, row, column] = 1
    return image


def digits(count=6, seed=0):
    """Images in [0, 1] with a blank margin, as MNIST digits have."""
    images = np.zeros((count, 28, 28), dtype=np.float32)
    images[:, 6:22, 8:20] = np.random.default_rng(seed).random((count, 16, 12), dtype=np.float32)
    return images


def draws_for(images, seed=0):
    return transforms.draw(len(images), images.shape[1:], np.random.default_rng(seed))


def ink_at(images):
    return [tuple(map(int, where)) for where in np.argwhere(images[0] > 0.5)]


@pytest.mark.parametrize(("direction", "expected"),
                         [(0, (9, 14)), (1, (11, 14)), (2, (10, 13)), (3, (10, 15))])
def test_a_one_pixel_shift_moves_a_known_pixel_up_down_left_or_right(direction, expected):
    moved = transforms.translate(dot(10, 14), 1, np.array([direction]))
    assert ink_at(moved) == [expected] and moved.sum() == 1


def test_a_shift_loses_what_leaves_the_frame_and_brings_in_blank_paper():
    moved = transforms.shift(dot(0, 5), -1, 0)  # up, from the top row
    assert not moved.any()
    images = np.ones((1, 28, 28), dtype=np.float32)
    moved = transforms.shift(images, 0, 3)  # right by 3
    assert not moved[0, :, :3].any() and moved[0, :, 3:].all()


def test_each_image_moves_in_its_own_direction():
    images = np.concatenate([dot(10, 14)] * 4)
    moved = transforms.translate(images, 2, np.arange(4))
    assert [tuple(map(int, np.argwhere(image)[0])) for image in moved] == [
        (10 + 2 * rows, 14 + 2 * columns) for rows, columns in DIRECTIONS]


def test_rotation_by_0_is_the_identity():
    images = digits()
    drawn = draws_for(images)
    assert np.array_equal(transforms.rotate(images, 0, drawn.senses), images)


def test_a_quarter_turn_anticlockwise_takes_a_pixel_right_of_the_centre_to_above_it():
    # 27x27: the centre is the pixel (13, 13)
    assert ink_at(transforms.rotate(dot(13, 20, size=27), 90, np.array([1]))) == [(6, 13)]
    assert ink_at(transforms.rotate(dot(13, 20, size=27), 90, np.array([-1]))) == [(20, 13)]  # clockwise


def test_rotation_keeps_pixels_in_0_1_and_the_digit_on_the_page():
    images = digits()
    turned = transforms.rotate(images, 30, draws_for(images).senses)
    assert turned.min() >= 0 and turned.max() <= 1 and turned.dtype == images.dtype
    assert abs(turned.sum() - images.sum()) / images.sum() < 0.05  # bilinear: ink moves, little is lost


def test_noise_stays_in_0_1_and_0_is_the_identity():
    images = digits()
    drawn = draws_for(images)
    for sigma in (0.1, 0.5, 1):
        noisy = transforms.add_noise(images, sigma, drawn.noise)
        assert noisy.min() == 0 and noisy.max() == 1 and noisy.dtype == images.dtype
    assert np.array_equal(transforms.add_noise(images, 0, drawn.noise), images)


def test_noise_adds_sigma_times_the_drawn_noise():
    images = np.full((1, 28, 28), 0.5, dtype=np.float32)
    noise = np.zeros((1, 28, 28), dtype=np.float32)
    noise[0, 3, 4] = 1.5
    noisy = transforms.add_noise(images, 0.2, noise)
    assert noisy[0, 3, 4] == pytest.approx(0.8) and (noisy[0] == 0.5).sum() == 28 * 28 - 1


def test_dilation_by_1_turns_a_pixel_into_a_cross_and_erosion_removes_it():
    thick = transforms.change_thickness(dot(10, 14), 1)
    assert sorted(ink_at(thick)) == [(9, 14), (10, 13), (10, 14), (10, 15), (11, 14)]
    assert not transforms.change_thickness(dot(10, 14), -1).any()
    assert np.array_equal(transforms.change_thickness(thick, -1), dot(10, 14))  # opening a cross: the dot


def test_thickness_0_is_the_identity_and_dilation_grows_the_ink():
    images = digits()
    assert np.array_equal(transforms.change_thickness(images, 0), images)
    assert transforms.change_thickness(images, 2).sum() > transforms.change_thickness(images, 1).sum() > \
        images.sum() > transforms.change_thickness(images, -1).sum()


def test_disk_radius_2_has_13_pixels():
    assert transforms.disk(1).sum() == 5 and transforms.disk(2).sum() == 13


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_every_transform_is_deterministic_keeps_its_input_and_level_0_gives_it_back(name):
    images = digits()
    before = images.copy()
    first, second = draws_for(images, seed=7), draws_for(images, seed=7)
    level = 1 if name in ("translation", "thickness") else 0.3 if name == "noise" else 15
    result = TRANSFORMS[name](images, level, first)
    assert np.array_equal(result, TRANSFORMS[name](images, level, second))  # same seed, same bytes
    assert result.shape == images.shape and result.dtype == images.dtype
    assert not np.array_equal(result, images)
    assert np.array_equal(images, before)  # a new array: the input is left as it was
    assert np.array_equal(TRANSFORMS[name](images, 0, first), images)


def test_draws_give_every_image_a_direction_a_sense_and_noise():
    drawn = draws_for(digits(count=400))
    assert isinstance(drawn, Draws)
    assert set(drawn.directions) == {0, 1, 2, 3} and set(drawn.senses) == {-1, 1}
    assert drawn.noise.shape == (400, 28, 28) and abs(drawn.noise.std() - 1) < 0.01
