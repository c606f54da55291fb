"""Calibration: when a model says "90 % sure", is it right 90 % of the time?

The functions take a model's class probabilities for the test images (one row per image,
as `evaluate` saves them in data/probabilities/) and the images' labels. A model's
confidence on an image is its highest probability, its prediction the class of that
probability (the argmax, as data/predictions.csv holds).

- `reliability_table`: per confidence bin, the images in it, their mean confidence and the
  share of them classified correctly (the reliability diagram, and the DVC plot).
- `expected_calibration_error`: the gap between confidence and accuracy, bin by bin,
  weighted by each bin's share of the images (Guo et al. 2017, "On calibration of modern
  neural networks"), with BINS equal-width bins.
- `brier_score`: the squared distance between the probabilities and the one-hot label.
- `log_loss`: the negative log-likelihood of the labels, computed as Keras computes the test loss.
- `ece_gap_interval`: a paired bootstrap interval of the ECE gap between two models.
"""

import numpy as np
import pandas as pd

BINS = 15  # equal-width confidence bins [0, 1/15), [1/15, 2/15), ..., [14/15, 1], as Guo et al.
EPSILON = 1e-7  # keras.config.epsilon(): Keras clips probabilities to [EPSILON, 1 - EPSILON] in its loss
RESAMPLES = 2000  # of the ECE gap: 0.5 s on 10,000 images; its bounds move by ~0.02 point with the seed
CHUNK = 100  # bootstrap resamples drawn at once: 100 x 10,000 images take a few MB


def confidence_and_correct(probabilities, labels):
    """Per image: the highest probability (float64) and whether its class is the label."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return probabilities.max(axis=1), probabilities.argmax(axis=1) == np.asarray(labels)


def bin_of(confidence, bins=BINS):
    """The bin of each confidence: floor(confidence x bins), a confidence of exactly 1 in the last bin."""
    return np.minimum((np.asarray(confidence) * bins).astype(np.int64), bins - 1)


def reliability_table(probabilities, labels, bins=BINS):
    """One row per non-empty bin: its number, bounds, images, mean confidence and accuracy."""
    confidence, correct = confidence_and_correct(probabilities, labels)
    index = bin_of(confidence, bins)
    images = np.bincount(index, minlength=bins)
    used = np.flatnonzero(images)
    sums = {name: np.bincount(index, weights=values, minlength=bins)[used]
            for name, values in (("confidence", confidence), ("accuracy", correct.astype(np.float64)))}
    return pd.DataFrame({"bin": used, "low": used / bins, "high": (used + 1) / bins, "images": images[used],
                         **{name: total / images[used] for name, total in sums.items()}})


def expected_calibration_error(probabilities, labels, bins=BINS):
    """Sum over the bins of (images in the bin / all images) x |accuracy - mean confidence| there,
    as a fraction: 0 for a model exactly as sure as it is right, in every bin."""
    confidence, correct = confidence_and_correct(probabilities, labels)
    excess = np.bincount(bin_of(confidence, bins), weights=confidence - correct, minlength=bins)
    return float(np.abs(excess).sum() / len(confidence))


def brier_score(probabilities, labels):
    """Sum over the classes of (probability - 1 for the label, else 0)^2, mean over the images:
    0 for certain and right, 2 for certain and wrong."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    one_hot = np.eye(probabilities.shape[1])[np.asarray(labels)]
    return float(np.mean(np.sum((probabilities - one_hot) ** 2, axis=1)))


def log_loss(probabilities, labels):
    """Mean over the images of -log(probability of the label), clipped as Keras clips it: the test
    loss (sparse categorical cross-entropy) that `evaluate` reports."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    chosen = probabilities[np.arange(len(probabilities)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(chosen, EPSILON, 1 - EPSILON))))


def _resampled_ece(index, excess, draws, bins):
    """The ECE of each resample (a row of image indices `draws`), from each image's bin and
    confidence minus correctness: sum over bins of |their total|, over the images."""
    rows = len(draws)
    cells = (np.arange(rows)[:, None] * bins + index[draws]).ravel()
    totals = np.bincount(cells, weights=excess[draws].ravel(), minlength=rows * bins)
    return np.abs(totals.reshape(rows, bins)).sum(axis=1) / draws.shape[1]


def ece_gap_interval(first, second, labels, samples, seed, bins=BINS, confidence=0.95):
    """Percentile bootstrap interval of ECE(second) - ECE(first), as fractions.

    The test images are resampled with replacement, each keeping both models' probabilities
    (paired, as the accuracy bootstrap); `samples` resamples drawn from `seed`.
    """
    parts = []
    for probabilities in (first, second):
        scores, correct = confidence_and_correct(probabilities, labels)
        parts.append((bin_of(scores, bins), scores - correct))
    rng, images, gaps = np.random.default_rng(seed), len(labels), []
    for start in range(0, samples, CHUNK):
        draws = rng.integers(0, images, size=(min(CHUNK, samples - start), images))
        first_ece, second_ece = (_resampled_ece(index, excess, draws, bins) for index, excess in parts)
        gaps.append(second_ece - first_ece)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(np.concatenate(gaps), [tail, 100 - tail])
    return float(low), float(high)
