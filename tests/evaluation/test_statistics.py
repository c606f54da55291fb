import numpy as np
import pytest
from scipy import stats

from dense_vs_cnn.evaluation.statistics import (
    confusion_matrix,
    holm,
    mcnemar_exact,
    most_confused,
    normal_quantile,
    paired_bootstrap_interval,
    per_class_metrics,
    seeds_for_a_sign,
    sign_test,
    t_interval,
    wilson_interval,
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


def outcomes(images, only_second, only_first):
    """Per image, whether each model is right: the second alone on the first `only_second`
    images, the first alone on the next `only_first`, both wrong on the rest."""
    first, second = np.zeros(images, bool), np.zeros(images, bool)
    second[:only_second] = True
    first[only_second:only_second + only_first] = True
    return first, second


def test_bootstrap_interval_is_degenerate_when_every_image_differs_the_same_way():
    first, second = np.zeros(50, bool), np.ones(50, bool)
    assert paired_bootstrap_interval(first, second, samples=200, seed=0) == (1.0, 1.0)
    assert paired_bootstrap_interval(second, second, samples=200, seed=0) == (0.0, 0.0)
    assert paired_bootstrap_interval(second, first, samples=200, seed=0) == (-1.0, -1.0)  # second − first


def test_bootstrap_interval_matches_the_normal_approximation_and_is_seeded():
    # 1000 images: second model right on 60 the first misses, first right on 20 the second misses.
    first, second = outcomes(1000, 60, 20)
    low, high = paired_bootstrap_interval(first, second, samples=4000, seed=1)
    # Mean difference 0.04; per-image variance E[d^2] - 0.04^2 = 0.08 - 0.0016; 1.96 * sd / sqrt(n).
    half_width = 1.96 * np.sqrt((0.08 - 0.0016) / 1000)
    assert low == pytest.approx(0.04 - half_width, abs=0.003)
    assert high == pytest.approx(0.04 + half_width, abs=0.003)
    assert paired_bootstrap_interval(first, second, samples=4000, seed=1) == (low, high)
    assert paired_bootstrap_interval(first, second, samples=4000, seed=2) != (low, high)


def test_multinomial_draws_resample_the_images():
    """Drawing the three counts is resampling the images: both give the same distribution of
    the mean difference (checked against resampling image indices, as the bootstrap is defined)."""
    first, second = outcomes(500, 40, 15)
    difference = second.astype(int) - first.astype(int)
    indices = np.random.default_rng(0).integers(0, 500, size=(20_000, 500))
    by_index = np.percentile(difference[indices].mean(axis=1), [2.5, 50, 97.5])
    assert paired_bootstrap_interval(first, second, 20_000, seed=0) == pytest.approx(
        (by_index[0], by_index[2]), abs=0.003)  # 0.003: the Monte-Carlo noise of 20,000 resamples


@pytest.mark.parametrize(("images", "only_second", "only_first", "printed"), [
    (10_000, 205, 38, ("+1.37", "+1.98")),  # the committed report's models
    (1000, 153, 32, ("+9.60", "+14.70")),  # the smoke params' (1000 test images)
])
def test_printed_bounds_are_the_same_whatever_the_bootstrap_seed(images, only_second, only_first, printed):
    """A million resamples cost a fraction of a second and pin the two printed decimals. At
    100,000 the first case's upper bound still moves between +1.97 and +1.98 with the seed: the
    exact bootstrap distribution puts 97.43 % of its mass at or below +1.97, 1.3 Monte-Carlo
    standard errors (0.05 %) from the 97.5 % cut."""
    first, second = outcomes(images, only_second, only_first)
    for seed in range(4):
        low, high = paired_bootstrap_interval(first, second, 1_000_000, seed)
        assert (f"{100 * low:+.2f}", f"{100 * high:+.2f}") == printed, seed


def test_t_interval_is_students_and_its_p_value_the_one_sample_t_test():
    gaps = np.array([0.04, 0.01, 0.04])
    interval, p_value, quantile = t_interval(gaps)
    assert quantile == pytest.approx(4.3027, abs=1e-4)
    half = quantile * gaps.std(ddof=1) / np.sqrt(3)
    assert interval == pytest.approx((gaps.mean() - half, gaps.mean() + half))
    t = gaps.mean() / (gaps.std(ddof=1) / np.sqrt(3))
    assert p_value == pytest.approx(2 * stats.t.sf(t, df=2))
    assert t_interval([0.02, -0.01])[2] == pytest.approx(12.706, abs=1e-3)  # 2 seeds: wide by construction
    assert normal_quantile() == pytest.approx(1.96, abs=1e-3)


def test_t_interval_of_one_value_is_none_and_of_equal_values_is_that_value():
    assert t_interval([0.03]) == (None, None, None)
    assert t_interval([0.03, 0.03])[:2] == ((0.03, 0.03), 0.0)
    assert t_interval([0.0, 0.0])[:2] == ((0.0, 0.0), 1.0)


def test_sign_test_cannot_reach_five_percent_below_six_seeds():
    assert sign_test(5, 0) == pytest.approx(0.0625) and sign_test(6, 0) == pytest.approx(0.03125)
    assert sign_test(2, 1) == pytest.approx(1.0) and sign_test(0, 0) == 1.0
    assert seeds_for_a_sign() == 6


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


def test_most_confused_ranks_one_model_by_its_own_counts_and_keeps_ties_at_the_cut():
    # The real CNN's errors in part: 5 → 3 and 9 → 7 (8 each), 2 → 7 (7), 4 → 9 (6), then three 5s.
    matrix = np.diag([900] * 10)
    for (actual, predicted), count in {(5, 3): 8, (9, 7): 8, (2, 7): 7, (4, 9): 6, (0, 6): 5, (4, 7): 5,
                                       (9, 4): 5, (1, 3): 3}.items():
        matrix[actual, predicted] = count
    assert most_confused(matrix, 5) == [(5, 3), (9, 7), (2, 7), (4, 9), (0, 6), (4, 7), (9, 4)]
    assert most_confused(matrix, 1) == [(5, 3), (9, 7)]  # its top confusion is never dropped by a tie
    assert most_confused(matrix, 4) == [(5, 3), (9, 7), (2, 7), (4, 9)]
    assert most_confused(matrix, 20) == [(5, 3), (9, 7), (2, 7), (4, 9), (0, 6), (4, 7), (9, 4), (1, 3)]
    assert most_confused(np.eye(3, dtype=int), 3) == []


@pytest.mark.parametrize(("successes", "trials", "expected"), [
    # p̂ = 0.8, z = 1.96: (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n) = (0.4902, 0.9433)
    (8, 10, (0.4902, 0.9433)),
    (0, 10, (0.0, 0.2775)),  # z²/(n + z²): never below 0, unlike the normal approximation
    (10, 10, (0.7225, 1.0)),
    (8, 10, (0.4902, 0.9433)),  # Newcombe 1998, table I
    (1113, 1135, (0.9708, 0.9872)),  # Dense's recall on the 1s of the committed report
])
def test_wilson_interval_matches_hand_computed_values(successes, trials, expected):
    assert wilson_interval(successes, trials) == pytest.approx(expected, abs=5e-5)


def test_wilson_interval_of_no_trial_is_none():
    assert wilson_interval(0, 0) is None


def test_holm_matches_a_hand_example():
    # Sorted: 0.005, 0.01, 0.03, 0.04, times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; each at least the one
    # before: 0.02, 0.03, 0.06, 0.06. So 0.04 is not significant, although 0.04 x 1 < 0.05.
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]  # 0.5 x 2 = 1, and 0.6 x 1 is lifted to it, capped at 1
    assert holm([0.02]).tolist() == [0.02]  # one hypothesis: no correction
    assert holm([0.01, 0.01]).tolist() == [0.02, 0.02]  # ties
