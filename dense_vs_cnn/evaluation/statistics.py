"""Statistics shared by evaluate and compare, in plain numpy (no scipy, no scikit-learn).

- `confusion_matrix` and `per_class_metrics`: what each model gets right, class by class.
- `mcnemar_exact`: is the accuracy gap between two models tested on the same images real?
- `paired_bootstrap_interval`: how precisely the test set measures that gap.
"""

import math

import numpy as np
import pandas as pd


def confusion_matrix(actual, predicted, num_classes):
    """counts[i, j] = number of images of class i predicted as class j."""
    actual, predicted = np.asarray(actual, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return np.bincount(actual * num_classes + predicted, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (a class never predicted)."""
    return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def per_class_metrics(actual, predicted, num_classes):
    """One row per class: precision, recall (the accuracy on that class's images), F1, support."""
    counts = confusion_matrix(actual, predicted, num_classes)
    correct = np.diag(counts).astype(float)
    precision = _ratio(correct, counts.sum(axis=0))
    recall = _ratio(correct, counts.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return pd.DataFrame({"class": np.arange(num_classes), "precision": precision, "recall": recall,
                         "f1": f1, "support": counts.sum(axis=1)})


def most_confused(matrices, count):
    """The `count` (actual, predicted) pairs most often confused, summed over `matrices`.

    Returns a list of (actual, predicted) ordered by total count, then by class numbers,
    so ties come out in the same order on every run.
    """
    total = sum(np.asarray(matrix) for matrix in matrices)
    np.fill_diagonal(total, 0)
    pairs = [(int(-total[i, j]), i, j) for i, j in zip(*np.nonzero(total), strict=True)]
    return [(int(i), int(j)) for _, i, j in sorted(pairs)[:count]]


def mcnemar_exact(only_first, only_second):
    """Two-sided exact McNemar p-value from the discordant pairs.

    `only_first` images are right for the first model only, `only_second` for the second
    only. Under "both models are equally accurate" each discordant image is a fair coin
    flip, so the p-value is a two-sided binomial test with p = 0.5.
    """
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(only_first, only_second) + 1))
    return min(1.0, 2 * tail / 2**discordant)  # exact integers: no overflow for 10,000 images


def paired_bootstrap_interval(correct_first, correct_second, samples, seed, confidence=0.95):
    """Confidence interval of accuracy(second) - accuracy(first), as fractions.

    Resamples the test images with replacement `samples` times, keeping each image's pair of
    outcomes together (paired), and takes the percentiles of the resampled differences.
    """
    difference = np.asarray(correct_second, dtype=np.int8) - np.asarray(correct_first, dtype=np.int8)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(difference), size=(samples, len(difference)), dtype=np.int32)
    means = difference[indices].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
