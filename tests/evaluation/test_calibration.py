import numpy as np
import pytest

from dense_vs_cnn.evaluation.calibration import (
    BINS,
    bin_of,
    brier_score,
    ece_gap_interval,
    expected_calibration_error,
    log_loss,
    reliability_table,
)

# Four images, three classes. Confidence 0.95 twice (one right, one wrong), 0.65 (right), 0.55 (right).
PROBABILITIES = np.array([[0.95, 0.05, 0.0], [0.95, 0.05, 0.0], [0.65, 0.35, 0.0], [0.25, 0.2, 0.55]],
                         dtype=np.float32)
LABELS = np.array([0, 1, 0, 2])


@pytest.mark.parametrize("bins", [10, BINS])  # 0.95, 0.65 and 0.55 fall in three different bins in both
def test_ece_of_a_hand_example(bins):
    # bin of 0.95: accuracy 1/2, |0.5 - 0.95| x 2/4 = 0.225; 0.65: |1 - 0.65| / 4; 0.55: |1 - 0.55| / 4
    expected = 0.225 + 0.35 / 4 + 0.45 / 4
    assert expected_calibration_error(PROBABILITIES, LABELS, bins) == pytest.approx(expected, abs=1e-7)


def test_ece_is_zero_for_a_model_exactly_as_sure_as_it_is_right():
    certain = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]  # confidence 1, always right: the last bin
    assert expected_calibration_error(certain, [0, 1, 2, 1]) == 0
    # 80 % sure of every image and right on 4 of 5: calibrated, though it errs
    sure = np.tile(np.array([[0.8, 0.1, 0.1]], dtype=np.float32), (5, 1))
    assert expected_calibration_error(sure, [0, 0, 0, 0, 1]) == pytest.approx(0, abs=1e-7)


def test_bins_are_equal_width_with_a_confidence_of_one_in_the_last():
    assert bin_of(np.array([0.0, 0.0666, 0.0667, 0.5, 0.9999, 1.0])).tolist() == [0, 0, 1, 7, 14, 14]


def test_reliability_table_lists_the_non_empty_bins_and_its_ece_is_the_ece():
    table = reliability_table(PROBABILITIES, LABELS, bins=10)
    assert table["bin"].tolist() == [5, 6, 9]
    assert table["images"].tolist() == [1, 1, 2]
    assert table["low"].tolist() == pytest.approx([0.5, 0.6, 0.9])
    assert table["high"].tolist() == pytest.approx([0.6, 0.7, 1.0])
    assert table["confidence"].tolist() == pytest.approx([0.55, 0.65, 0.95])
    assert table["accuracy"].tolist() == [1.0, 1.0, 0.5]
    weighted = (table["images"] / 4 * (table["accuracy"] - table["confidence"]).abs()).sum()
    assert weighted == pytest.approx(expected_calibration_error(PROBABILITIES, LABELS, bins=10))


def test_brier_score_of_a_hand_example():
    # (0.05² + 0.05²) + (0.95² + 0.95²) + (0.35² + 0.35²) + (0.25² + 0.2² + 0.45²), over 4 images
    assert brier_score(PROBABILITIES, LABELS) == pytest.approx((0.005 + 1.805 + 0.245 + 0.305) / 4, abs=1e-7)
    assert brier_score(np.eye(3)[[0, 1]], [0, 1]) == 0
    assert brier_score(np.eye(3)[[0, 1]], [1, 0]) == 2  # certain and wrong


def test_log_loss_clips_as_keras_does():
    expected = -np.mean(np.log([0.95, 0.05, 0.65, 0.55]))
    assert log_loss(PROBABILITIES, LABELS) == pytest.approx(expected, rel=1e-6)
    # a probability of 0 for the label costs -log(1e-7), not infinity
    assert log_loss(np.array([[1.0, 0.0]]), [1]) == pytest.approx(-np.log(1e-7))


def test_ece_gap_interval_is_degenerate_when_every_resample_gives_the_same_gap():
    labels = np.zeros(40, dtype=int)
    certain = np.tile([1.0, 0.0], (40, 1))  # right and sure on every image: ECE 0
    unsure = np.tile([0.5, 0.5], (40, 1))  # 50 % sure, and right (argmax 0): ECE 0.5 on any resample
    assert ece_gap_interval(certain, unsure, labels, samples=250, seed=0) == pytest.approx((0.5, 0.5))
    assert ece_gap_interval(unsure, certain, labels, samples=250, seed=0) == pytest.approx((-0.5, -0.5))
    assert ece_gap_interval(unsure, unsure, labels, samples=250, seed=0) == (0.0, 0.0)


def test_ece_gap_interval_brackets_the_gap_and_is_seeded():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 500)
    logits = rng.normal(size=(500, 3)) + 3 * np.eye(3)[labels]
    calm = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    sharp = np.exp(4 * logits) / np.exp(4 * logits).sum(axis=1, keepdims=True)  # overconfident
    gap = expected_calibration_error(sharp, labels) - expected_calibration_error(calm, labels)
    low, high = ece_gap_interval(calm, sharp, labels, samples=300, seed=1)  # 300: three chunks of 100
    assert low < gap < high
    assert ece_gap_interval(calm, sharp, labels, samples=300, seed=1) == (low, high)
    assert ece_gap_interval(calm, sharp, labels, samples=300, seed=2) != (low, high)
