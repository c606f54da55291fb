import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dense_vs_cnn.evaluation.comparison import across_seeds
from dense_vs_cnn.evaluation.statistics import mcnemar_exact

ACTUAL = np.arange(100) % 10


def predictions_missing(wrong):
    predicted = ACTUAL.copy()
    predicted[list(wrong)] = (ACTUAL[list(wrong)] + 1) % 10
    return predicted


@pytest.fixture
def three_seeds():
    """CNN misses 1, 2, 3 images on seeds 0, 1, 2; Dense misses 5, 3, 7 (never the same ones)."""
    wrong = {"cnn": {0: [0], 1: [0, 1], 2: [0, 1, 2]}, "dense": {0: range(10, 15), 1: range(10, 13),
                                                              2: range(10, 17)}}
    frame = pd.DataFrame({"actual": ACTUAL})
    scores = {}
    for seed in (0, 1, 2):
        scores[seed] = {}
        for name in ("dense", "cnn"):
            frame[f"{name}_seed{seed}"] = predictions_missing(wrong[name][seed])
            scores[seed][name] = {"accuracy": 1 - len(wrong[name][seed]) / 100}
    return scores, frame


def test_per_seed_gaps_means_and_the_t_interval(three_seeds):
    scores, frame = three_seeds
    result = across_seeds(scores, frame, ["dense", "cnn"])
    assert (result["winner"], result["loser"], result["seeds"]) == ("cnn", "dense", [0, 1, 2])
    gaps = np.array([0.04, 0.01, 0.04])
    assert [row["gap"] for row in result["per_seed"]] == pytest.approx(gaps)
    assert result["per_seed"][0]["p_value"] == mcnemar_exact(5, 1)
    assert result["mean"] == pytest.approx({"cnn": 0.98, "dense": 0.95})
    assert result["sd"]["dense"] == pytest.approx(np.std([0.95, 0.97, 0.93], ddof=1))
    half = stats.t.ppf(0.975, 2) * gaps.std(ddof=1) / np.sqrt(3)
    assert result["interval"] == pytest.approx((gaps.mean() - half, gaps.mean() + half))
    assert result["wins"] == 3


def test_one_seed_has_no_interval_across_seeds(three_seeds):
    scores, frame = three_seeds
    result = across_seeds({0: scores[0]}, frame, ["dense", "cnn"])
    assert result["interval"] is None and result["sd"] == {"dense": 0.0, "cnn": 0.0}
    assert result["wins"] == 1
