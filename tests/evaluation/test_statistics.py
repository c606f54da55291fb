import numpy as np
import pytest

from dense_vs_cnn.evaluation.statistics import (
    confusion_matrix,
    mcnemar_exact,
    most_confused,
    paired_bootstrap_interval,
    per_class_metrics,
)


@pytest.mark.parametrize("only_first, only_second, expected", [
    (10, 2, 0.0386),  # 2 * (C(12,0) + C(12,1) + C(12,2)) / 2**12 = 2 * 79 / 4096
    (2, 10, 0.0386),  # symmetric
    (5, 5, 1.0),  # a perfectly balanced split is capped at 1
    (0, 0, 1.0),  # no discordant image: no evidence either way
    (0, 6, 0.03125),  # 2 / 2**6
    (1, 4, 0.375),  # 2 * (1 + 5) / 32
])
def test_mcnemar_exact_matches_hand_computed_values(only_first, only_second, expected):
    assert mcnemar_exact(only_first, only_second) == pytest.approx(expected, abs=5e-5)


def test_mcnemar_handles_a_full_test_set_without_overflow():
    p = mcnemar_exact(75, 250)
    assert 0 < p < 1e-20


def test_bootstrap_interval_is_degenerate_when_every_image_differs_the_same_way():
    first, second = np.zeros(50, bool), np.ones(50, bool)
    assert paired_bootstrap_interval(first, second, samples=200, seed=0) == (1.0, 1.0)
    assert paired_bootstrap_interval(second, second, samples=200, seed=0) == (0.0, 0.0)


def test_bootstrap_interval_matches_the_normal_approximation_and_is_seeded():
    # 1000 images: second model right on 60 the first misses, first right on 20 the second misses.
    first = np.zeros(1000, bool)
    second = np.zeros(1000, bool)
    second[:60] = True
    first[60:80] = True
    low, high = paired_bootstrap_interval(first, second, samples=4000, seed=1)
    # Mean difference 0.04; per-image variance E[d^2] - 0.04^2 = 0.08 - 0.0016; 1.96 * sd / sqrt(n).
    half_width = 1.96 * np.sqrt((0.08 - 0.0016) / 1000)
    assert low == pytest.approx(0.04 - half_width, abs=0.003)
    assert high == pytest.approx(0.04 + half_width, abs=0.003)
    assert paired_bootstrap_interval(first, second, samples=4000, seed=1) == (low, high)
    assert paired_bootstrap_interval(first, second, samples=4000, seed=2) != (low, high)


def test_confusion_matrix_counts_actual_rows_predicted_columns():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_per_class_metrics_by_hand():
    table = per_class_metrics([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 4)
    # class 0: precision 1/2, recall 1/2; class 1: precision 1/2, recall 1; class 2: 1 and 2/3.
    np.testing.assert_allclose(table["precision"], [0.5, 0.5, 1, 0])
    np.testing.assert_allclose(table["recall"], [0.5, 1, 2 / 3, 0])
    np.testing.assert_allclose(table["f1"], [0.5, 2 / 3, 0.8, 0])  # class 3 never seen: 0, not NaN
    assert table["support"].tolist() == [2, 1, 3, 0]


def test_most_confused_sums_models_and_breaks_ties_by_class():
    first = np.array([[5, 2, 0], [1, 5, 0], [0, 3, 5]])
    second = np.array([[5, 1, 0], [2, 5, 0], [0, 0, 5]])
    assert most_confused([first, second], 3) == [(0, 1), (1, 0), (2, 1)]
    assert most_confused([np.eye(3, dtype=int)], 3) == []
