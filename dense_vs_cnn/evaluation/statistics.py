"""Statistics shared by evaluate and compare: numpy for the counts, scipy for the tests.

- `confusion_matrix` and `per_class_metrics`: what each model gets right, class by class.
- `most_confused`: a model's most frequent errors, ties at the cut kept.
- `mcnemar_exact`: is the accuracy gap between two models tested on the same images real?
- `paired_bootstrap_interval`: how precisely the test set measures that gap.
- `t_interval`: the mean of a few numbers (one gap per seed), its interval and p-value.
- `sign_test`: how unlikely "ahead on N of M" is if neither model is better.
- `wilson_interval`: how precisely a share of images is measured (a class's recall, an accuracy
  under a transform).
- `holm`: p-values adjusted for testing several hypotheses at once (one per class).
"""

import numpy as np
import pandas as pd

ALPHA = 0.05  # a result is called significant below this p-value


def _stats():
    """scipy.stats, imported on first use: evaluate needs only the counts, and importing scipy.stats
    takes 0.5-1.2 s of the stage's start-up on this 2-core machine."""
    from scipy import stats

    return stats


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


def most_confused(matrix, count):
    """The (actual, predicted) pairs of one confusion matrix most often confused: the `count`
    largest counts and every pair tied with the last of them, largest first (ties in class
    order, only to make the order the same on every run)."""
    errors = np.array(matrix)
    np.fill_diagonal(errors, 0)
    pairs = sorted((int(-errors[i, j]), int(i), int(j)) for i, j in zip(*np.nonzero(errors), strict=True))
    if len(pairs) <= count:
        return [(i, j) for _, i, j in pairs]
    cut = pairs[count - 1][0]
    return [(i, j) for negative, i, j in pairs if negative <= cut]


def mcnemar_exact(only_first, only_second):
    """Two-sided exact McNemar p-value from the discordant pairs.

    `only_first` images are right for the first model only, `only_second` for the second
    only. Under "both models are equally accurate" each discordant image is a fair coin
    flip: a two-sided binomial test with p = 0.5.
    """
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    return float(_stats().binomtest(only_first, discordant, 0.5).pvalue)


def paired_bootstrap_interval(correct_first, correct_second, samples, seed, confidence=0.95):
    """Percentile bootstrap interval of accuracy(second) - accuracy(first), as fractions.

    Each test image's difference is -1, 0 or +1, so resampling the images with replacement
    (keeping each image's pair of outcomes together) is exactly drawing the three counts
    from a multinomial: `samples` resamples cost three numbers each, whatever the test set.
    """
    difference = np.asarray(correct_second, dtype=np.int8) - np.asarray(correct_first, dtype=np.int8)
    images = len(difference)
    counts = np.array([np.sum(difference == value) for value in (-1, 0, 1)])
    resampled = np.random.default_rng(seed).multinomial(images, counts / images, size=samples)
    means = (resampled[:, 2] - resampled[:, 0]) / images
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference_interval(first_before, first_after, second_before, second_after, samples, seed,
                               confidence=0.95):
    """Percentile bootstrap interval of (second's change) − (first's change), each change the
    accuracy after minus before, all four on the same test images: each image's four outcomes
    stay together, so its contribution is a whole number from -2 to 2, and resampling the
    images is drawing those five counts from a multinomial (as paired_bootstrap_interval)."""
    values = [np.asarray(outcome, dtype=np.int8) for outcome in (first_before, first_after, second_before,
                                                                  second_after)]
    difference = (values[3] - values[2]) - (values[1] - values[0])
    images = len(difference)
    counts = np.array([np.sum(difference == value) for value in range(-2, 3)])
    resampled = np.random.default_rng(seed).multinomial(images, counts / images, size=samples)
    means = resampled @ np.arange(-2, 3) / images
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def t_interval(values, confidence=0.95):
    """Mean of `values` (e.g. one accuracy gap per seed), Student's t interval and the two-sided
    p-value of a one-sample t-test against 0, with the t quantile the interval used.

    Returns (interval, p_value, quantile); all three None for a single value. Values all
    equal have no spread: the interval is that value, and p is 1 if it is 0, else 0.
    """
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return None, None, None
    quantile = float(_stats().t.ppf((1 + confidence) / 2, df=len(values) - 1))
    if np.ptp(values) == 0:
        mean = float(values[0])
        return (mean, mean), float(mean == 0), quantile
    result = _stats().ttest_1samp(values, 0.0)
    interval = result.confidence_interval(confidence)
    return (float(interval.low), float(interval.high)), float(result.pvalue), quantile


def sign_test(ahead, behind):
    """Two-sided sign test: p of being ahead `ahead` times and behind `behind` times (ties left
    out) if each were a fair coin flip."""
    if ahead + behind == 0:
        return 1.0
    return float(_stats().binomtest(ahead, ahead + behind, 0.5).pvalue)


def seeds_for_a_sign(alpha=ALPHA):
    """The fewest seeds on which a model ahead on every one reaches p < alpha in the sign test."""
    return next(count for count in range(1, 64) if sign_test(count, 0) < alpha)


def normal_quantile(confidence=0.95):
    """The normal quantile a t quantile tends to with many values (1.96 at 95 %)."""
    return float(_stats().norm.ppf((1 + confidence) / 2))



def wilson_interval(successes, trials, confidence=0.95):
    """Wilson score interval of the proportion successes / trials (scipy's binomtest), as
    fractions; None for no trials. Unlike the normal approximation it stays within [0, 1] and
    keeps its coverage near 0 % and 100 %, where recalls of 98 % sit."""
    if trials == 0:
        return None
    interval = _stats().binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def holm(p_values):
    """Holm's step-down adjustment (Holm 1979): the i-th smallest of m p-values is multiplied by
    m - i + 1, each adjusted value is at least the one before it, and at most 1. Rejecting the
    hypotheses whose adjusted p is below alpha keeps the chance of any false rejection below alpha."""
    p_values = np.asarray(p_values, dtype=float)
    order = np.argsort(p_values, kind="stable")
    count = len(p_values)
    stepped = np.maximum.accumulate((count - np.arange(count)) * p_values[order])
    adjusted = np.empty(count)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
