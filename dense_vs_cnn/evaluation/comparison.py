"""Two models head to head on the same test images: who wins, by how much, and how sure.

`head_to_head` compares one seed's two models on the test images (McNemar, bootstrap):
it measures how precisely the test set pins the gap. `across_seeds` compares them over
every seed: it measures how much the gap moves with the randomness of training.
"""

import numpy as np
from scipy import stats

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.statistics import (
    confusion_matrix,
    mcnemar_exact,
    most_confused,
    paired_bootstrap_interval,
)


def head_to_head(results, num_classes, samples, seed, confused_pairs):
    """Winner, loser and the paired statistics of the two models' test predictions."""
    first, second = (results[name]["predictions"] for name in results)
    if len(first) != len(second) or not first["actual"].equals(second["actual"]):
        raise PipelineError("the two models' predictions are not on the same test images: run `dvc repro`")
    accuracy = {name: result["test"]["accuracy"] for name, result in results.items()}
    winner, loser = sorted(results, key=accuracy.get, reverse=True)  # stable: a tie keeps the order
    correct = {name: (result["predictions"]["actual"] == result["predictions"]["predicted"]).to_numpy()
               for name, result in results.items()}
    confusion = {name: confusion_matrix(result["predictions"]["actual"], result["predictions"]["predicted"],
                                        num_classes) for name, result in results.items()}
    only_winner = int((correct[winner] & ~correct[loser]).sum())
    only_loser = int((correct[loser] & ~correct[winner]).sum())
    return {
        "winner": winner, "loser": loser, "tie": accuracy[winner] == accuracy[loser], "accuracy": accuracy,
        "interval": paired_bootstrap_interval(correct[loser], correct[winner], samples, seed),
        "samples": samples, "seed": seed, "images": len(first),
        "p_value": mcnemar_exact(only_winner, only_loser),
        "only_winner": only_winner, "only_loser": only_loser,
        "confusion": confusion, "most_confused": most_confused(confusion.values(), confused_pairs),
        "errors": (~correct[winner]).nonzero()[0],
        "disagreements": (first["predicted"] != second["predicted"]).to_numpy().nonzero()[0],
    }


def across_seeds(scores, predictions, names, confidence=0.95):
    """The two models compared over every seed they were trained with: training randomness.

    `scores`: {seed: {model: {"accuracy": ...}}}, seeds in params order; `predictions`: a
    frame with the `actual` class and each model's predicted class per seed (`dense_seed3`).
    Returns the winner (higher mean accuracy), per seed both accuracies, the gap and
    McNemar's p, each model's mean and standard deviation, the mean gap with its
    t-interval across seeds (None for one seed) and on how many seeds the winner wins.
    """
    seeds = list(scores)
    accuracy = {name: np.array([scores[seed][name]["accuracy"] for seed in seeds]) for name in names}
    winner, loser = sorted(names, key=lambda name: accuracy[name].mean(), reverse=True)
    gaps = accuracy[winner] - accuracy[loser]
    per_seed = []
    for index, seed in enumerate(seeds):
        correct = {name: (predictions[f"{name}_seed{seed}"] == predictions["actual"]).to_numpy()
                   for name in names}
        p_value = mcnemar_exact(int((correct[winner] & ~correct[loser]).sum()),
                                int((correct[loser] & ~correct[winner]).sum()))
        per_seed.append({"seed": seed, "accuracy": {name: float(accuracy[name][index]) for name in names},
                         "gap": float(gaps[index]), "p_value": p_value})
    interval = None
    if len(seeds) > 1:
        quantile = stats.t.ppf((1 + confidence) / 2, df=len(seeds) - 1)
        half_width = quantile * gaps.std(ddof=1) / np.sqrt(len(seeds))
        interval = (float(gaps.mean() - half_width), float(gaps.mean() + half_width))
    return {
        "winner": winner, "loser": loser, "seeds": seeds, "per_seed": per_seed,
        "mean": {name: float(accuracy[name].mean()) for name in names},
        "sd": {name: float(accuracy[name].std(ddof=1)) if len(seeds) > 1 else 0.0 for name in names},
        "mean_gap": float(gaps.mean()), "interval": interval, "wins": int((gaps > 0).sum()),
    }
