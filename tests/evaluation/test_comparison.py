import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.comparison import (
    ModelResult,
    across_seeds,
    calibration,
    class_tests,
    head_to_head,
)
from dense_vs_cnn.evaluation.statistics import mcnemar_exact, wilson_interval

ACTUAL = np.arange(100) % 10


def predictions_missing(wrong):
    predicted = ACTUAL.copy()
    predicted[list(wrong)] = (ACTUAL[list(wrong)] + 1) % 10
    return predicted


def seeds_data(wrong):
    """Scores and the predictions frame of `wrong`: {model: {seed: indices it gets wrong}}."""
    frame = pd.DataFrame({"actual": ACTUAL})
    scores = {}
    for name, by_seed in wrong.items():
        for seed, indices in by_seed.items():
            frame[f"{name}_seed{seed}"] = predictions_missing(indices)
            scores.setdefault(seed, {})[name] = {"accuracy": 1 - len(indices) / 100}
    return scores, frame


@pytest.fixture
def three_seeds():
    """CNN misses 1, 2, 3 images on seeds 0, 1, 2; Dense misses 5, 3, 7 (never the same ones)."""
    return seeds_data({"dense": {0: range(10, 15), 1: range(10, 13), 2: range(10, 17)},
                       "cnn": {0: [0], 1: [0, 1], 2: [0, 1, 2]}})


def test_per_seed_gaps_are_second_minus_first_with_the_t_interval(three_seeds):
    scores, frame = three_seeds
    result = across_seeds(scores, frame, ["dense", "cnn"])
    assert (result.first, result.second, result.seeds) == ("dense", "cnn", [0, 1, 2])
    gaps = np.array([0.04, 0.01, 0.04])  # CNN − Dense
    assert [row.gap for row in result.per_seed] == pytest.approx(gaps)
    assert result.per_seed[0].p_value == mcnemar_exact(5, 1)
    assert result.mean == pytest.approx({"cnn": 0.98, "dense": 0.95})
    assert result.sd["dense"] == pytest.approx(np.std([0.95, 0.97, 0.93], ddof=1))
    half = stats.t.ppf(0.975, 2) * gaps.std(ddof=1) / np.sqrt(3)
    assert result.interval == pytest.approx((gaps.mean() - half, gaps.mean() + half))
    assert result.p_value == pytest.approx(stats.ttest_1samp(gaps, 0).pvalue)
    assert result.t_quantile == pytest.approx(4.303, abs=1e-3)
    assert (result.ahead, result.behind, result.ahead_on, result.behind_on) == ("cnn", "dense", 3, 0)
    assert result.sign_p == pytest.approx(0.25) and result.sign_floor == pytest.approx(0.25)
    assert not result.significant  # the interval, -1.3 to +7.3 points, includes 0


def test_a_steady_gap_over_seeds_is_significant_and_negative_when_the_first_is_ahead():
    scores, frame = seeds_data({"dense": {0: [0], 1: [0, 1], 2: [0]},
                                "cnn": {0: range(10, 20), 1: range(10, 22), 2: range(10, 20)}})
    result = across_seeds(scores, frame, ["dense", "cnn"])
    assert result.mean_gap == pytest.approx(-0.28 / 3) and result.interval[1] < 0
    assert result.significant and result.p_value < 0.05
    assert (result.ahead, result.behind, result.ahead_on) == ("dense", "cnn", 3)


def test_one_seed_has_no_interval_across_seeds(three_seeds):
    scores, frame = three_seeds
    result = across_seeds({0: scores[0]}, frame, ["dense", "cnn"])
    assert result.interval is None and result.p_value is None and result.t_quantile is None
    assert result.sd == {"dense": 0.0, "cnn": 0.0} and not result.significant
    assert result.ahead_on == 1 and result.sign_floor == 1.0


def model(wrong, predicted_as=None):
    predicted = predictions_missing(wrong)
    if predicted_as is not None:
        predicted[list(wrong)] = predicted_as
    frame = pd.DataFrame({"actual": ACTUAL, "predicted": predicted})
    return ModelResult(test={"accuracy": float(np.mean(predicted == ACTUAL))}, history=pd.DataFrame(),
                       predictions=frame, per_class=pd.DataFrame())


def test_head_to_head_gap_is_second_minus_first_and_a_win_needs_both_tests():
    # Dense misses 20 images, the CNN 2 of them: 18 only the CNN gets right, none only Dense.
    results = {"dense": model(range(20, 40)), "cnn": model([20, 21])}
    pair = head_to_head(results, 10, samples=2000, seed=0, confused_pairs=5)
    assert pair.gap == pytest.approx(0.18) and pair.interval[0] > 0
    assert pair.only_right == {"dense": 0, "cnn": 18} and pair.p_value == mcnemar_exact(0, 18)
    assert (pair.ahead, pair.behind, pair.tie, pair.significant) == ("cnn", "dense", False, True)
    assert pair.errors.tolist() == [20, 21] and pair.disagreements.tolist() == list(range(22, 40))

    swapped = head_to_head({"cnn": results["cnn"], "dense": results["dense"]}, 10, 2000, 0, 5)
    assert swapped.gap == pytest.approx(-0.18) and swapped.interval[1] < 0 and swapped.ahead == "cnn"

    close = head_to_head({"dense": model([20, 21, 22]), "cnn": model([20])}, 10, 2000, 0, 5)
    assert close.ahead == "cnn" and close.p_value == 0.5 and not close.significant


def test_most_confused_pairs_are_each_models_own():
    results = {"dense": model(range(0, 100, 10), predicted_as=9),  # ten zeros taken for 9
               "cnn": model([1, 11, 2], predicted_as=7)}  # two 1s and a 2 taken for 7
    pair = head_to_head(results, 10, 1000, 0, confused_pairs=1)
    assert pair.most_confused == {"dense": [(0, 9)], "cnn": [(1, 7)]}
    assert head_to_head(results, 10, 1000, 0, confused_pairs=2).most_confused["cnn"] == [(1, 7), (2, 7)]


def test_predictions_on_other_images_are_refused():
    short = model([1])
    short = ModelResult(test=short.test, history=short.history, predictions=short.predictions.iloc[:-1],
                        per_class=short.per_class)
    with pytest.raises(PipelineError, match="not on the same test images"):
        head_to_head({"dense": model([0]), "cnn": short}, 10, 100, 0, 5)


def test_class_tests_give_recall_intervals_and_holm_corrected_mcnemar_per_class():
    # 10 images per class. Dense misses every 2 (the CNN gets them right), the CNN misses every 7
    # (Dense gets them right) and one 5.
    results = {"dense": model(range(2, 100, 10)), "cnn": model([*range(7, 100, 10), 5])}
    tests = class_tests(results, 10)
    assert tests.images == [10] * 10
    assert tests.correct["dense"][2] == 0 and tests.correct["cnn"][5] == 9 and tests.correct["cnn"][7] == 0
    assert tests.intervals["dense"][2] == wilson_interval(0, 10) and tests.intervals["cnn"][5] == \
        wilson_interval(9, 10)
    assert tests.only_right == {"dense": [0, 0, 0, 0, 0, 1, 0, 10, 0, 0], "cnn": [0, 0, 10] + [0] * 7}
    assert tests.p_values[2] == tests.p_values[7] == mcnemar_exact(0, 10) == 2 / 2**10
    assert tests.p_values[5] == 1 and tests.p_values[0] == 1  # no discordant image: 1
    # Holm: the two smallest, 2 / 2**10, times 10 and 9, both lifted to 10 x 2 / 2**10 = 0.0195
    assert tests.adjusted[2] == tests.adjusted[7] == pytest.approx(10 * 2 / 2**10)
    assert [tests.better(c) for c in range(10)] == [None, None, "cnn", None, None, None, None, "dense",
                                                    None, None]


def test_calibration_says_which_model_is_better_calibrated_and_whether_clearly():
    labels = np.zeros(40, dtype=int)
    certain, unsure = np.tile([1.0, 0.0], (40, 1)), np.tile([0.5, 0.5], (40, 1))
    result = calibration({"dense": unsure, "cnn": certain}, labels, samples=200, seed=0)
    assert result.models["dense"].ece == 0.5 and result.models["cnn"].ece == 0
    assert result.models["dense"].confidence == 0.5 and result.models["dense"].accuracy == 1
    assert result.gap == -0.5 and result.interval == pytest.approx((-0.5, -0.5))
    assert (result.better, result.worse, result.clearly_different) == ("cnn", "dense", True)
    assert result.models["cnn"].reliability["images"].tolist() == [40]
    same = calibration({"dense": unsure, "cnn": unsure}, labels, samples=200, seed=0)
    assert same.interval == (0.0, 0.0) and not same.clearly_different and same.better == "dense"
