"""Two models head to head on the same test images: which is ahead, by how much, and how sure.

`head_to_head` compares one seed's two models on the test images (McNemar, bootstrap):
it measures how precisely the test set pins the gap. `across_seeds` compares them over
every seed: it measures how much the gap moves with the randomness of training.
`class_tests` repeats the head-to-head class by class (Wilson intervals, McNemar with Holm's
correction); `calibration` compares how far each model's confidence is from its accuracy.
`permuted_control` sets each model against itself trained on permuted pixels (the
spatial-structure control), with the same paired tests.

One sign convention everywhere: a gap is the second model's accuracy minus the first's,
in the order of `--models` (`dense cnn`: CNN − Dense), negative when the first is ahead.
A model "wins" only when the test that is named supports it (`significant`).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation import calibration as measures
from dense_vs_cnn.evaluation.robustness import Robustness
from dense_vs_cnn.evaluation.statistics import (
    ALPHA,
    confusion_matrix,
    holm,
    mcnemar_exact,
    most_confused,
    paired_bootstrap_interval,
    paired_difference_interval,
    sign_test,
    t_interval,
    wilson_interval,
)


@dataclass(frozen=True)
class ModelResult:
    """What compare reads of one model of one seed, checked: its test scores (accuracy, loss,
    parameters, FLOPs, size), its per-epoch history, its predictions and per-class metrics."""

    test: dict
    history: pd.DataFrame
    predictions: pd.DataFrame
    per_class: pd.DataFrame


def _excludes_zero(interval):
    return interval is not None and (interval[0] > 0 or interval[1] < 0)


def _order(first, second, gap):
    """(ahead, behind): the model ahead by `gap` (second − first), the first one on a tie."""
    return (second, first) if gap > 0 else (first, second)


@dataclass(frozen=True)
class HeadToHead:
    """One seed's two models on the same test images; `first` and `second` in --models order."""

    first: str
    second: str
    accuracy: dict  # {model: test accuracy}
    interval: tuple  # 95 % paired-bootstrap interval of the gap (second − first), as fractions
    samples: int
    seed: int
    images: int
    p_value: float  # McNemar's exact test
    only_right: dict  # {model: test images only this model classifies correctly}
    confusion: dict  # {model: confusion matrix}
    most_confused: dict  # {model: its most frequent (actual, predicted) errors, ties at the cut kept}
    errors: np.ndarray  # indices of the test images the model ahead gets wrong
    disagreements: np.ndarray  # indices of the test images the two models classify differently

    @property
    def gap(self):
        return self.accuracy[self.second] - self.accuracy[self.first]

    @property
    def tie(self):
        return self.gap == 0

    @property
    def ahead(self):
        return _order(self.first, self.second, self.gap)[0]

    @property
    def behind(self):
        return _order(self.first, self.second, self.gap)[1]

    @property
    def significant(self):
        """McNemar's p below 0.05 and a bootstrap interval that excludes 0: both tests agree."""
        return self.p_value < ALPHA and _excludes_zero(self.interval)


def head_to_head(results, num_classes, samples, seed, confused_pairs):
    """The paired statistics of two models' test predictions. `results`: {model: ModelResult}."""
    first, second = results
    actual = results[first].predictions["actual"]
    if len(actual) != len(results[second].predictions) or not actual.equals(
            results[second].predictions["actual"]):
        raise PipelineError("the two models' predictions are not on the same test images: run `dvc repro`")
    predicted = {name: result.predictions["predicted"] for name, result in results.items()}
    correct = {name: (actual == predicted[name]).to_numpy() for name in results}
    confusion = {name: confusion_matrix(actual, predicted[name], num_classes) for name in results}
    only_right = {name: int((correct[name] & ~correct[other]).sum())
                  for name, other in ((first, second), (second, first))}
    accuracy = {name: result.test["accuracy"] for name, result in results.items()}
    ahead = _order(first, second, accuracy[second] - accuracy[first])[0]
    return HeadToHead(
        first=first, second=second, accuracy=accuracy,
        interval=paired_bootstrap_interval(correct[first], correct[second], samples, seed),
        samples=samples, seed=seed, images=len(actual),
        p_value=mcnemar_exact(only_right[first], only_right[second]), only_right=only_right,
        confusion=confusion,
        most_confused={name: most_confused(matrix, confused_pairs) for name, matrix in confusion.items()},
        errors=(~correct[ahead]).nonzero()[0],
        disagreements=(predicted[first] != predicted[second]).to_numpy().nonzero()[0],
    )


@dataclass(frozen=True)
class SeedGap:
    """One seed's row of the seeds table."""

    seed: int
    accuracy: dict  # {model: test accuracy}
    gap: float  # second − first
    p_value: float  # McNemar's exact test on that seed's predictions


@dataclass(frozen=True)
class AcrossSeeds:
    """The two models over every seed they were trained with: the randomness of training."""

    first: str
    second: str
    per_seed: list  # SeedGap, in params order
    mean: dict  # {model: mean test accuracy}
    sd: dict  # {model: standard deviation over the seeds}
    interval: tuple | None  # Student's t interval of the mean gap (None for one seed)
    p_value: float | None  # one-sample t-test of the per-seed gaps against 0
    t_quantile: float | None  # the t quantile the interval used (12.71 with 2 seeds)
    ahead_on: int  # seeds on which the model ahead on average is ahead
    behind_on: int  # seeds on which it is behind
    sign_p: float  # sign test of ahead_on against behind_on

    @property
    def seeds(self):
        return [row.seed for row in self.per_seed]

    @property
    def mean_gap(self):
        return float(np.mean([row.gap for row in self.per_seed]))

    @property
    def ahead(self):
        return _order(self.first, self.second, self.mean_gap)[0]

    @property
    def behind(self):
        return _order(self.first, self.second, self.mean_gap)[1]

    @property
    def tie(self):
        return self.mean_gap == 0

    @property
    def significant(self):
        """The t interval of the mean gap excludes 0 (the same as the t-test's p < 0.05)."""
        return _excludes_zero(self.interval)

    @property
    def sign_floor(self):
        """The sign test's p if one model were ahead on every seed: the least this count can show."""
        return sign_test(len(self.per_seed), 0)


def across_seeds(scores, predictions, names, confidence=0.95):
    """The two models compared over every seed they were trained with.

    `scores`: {seed: {model: {"accuracy": ...}}}, seeds in params order; `predictions`: a
    frame with the `actual` class and each model's predicted class per seed (`dense_seed3`);
    `names`: the two models, first and second.
    """
    first, second = names
    per_seed = []
    for seed, models in scores.items():
        correct = {name: (predictions[f"{name}_seed{seed}"] == predictions["actual"]).to_numpy()
                   for name in names}
        per_seed.append(SeedGap(
            seed=seed, accuracy={name: models[name]["accuracy"] for name in names},
            gap=models[second]["accuracy"] - models[first]["accuracy"],
            p_value=mcnemar_exact(int((correct[first] & ~correct[second]).sum()),
                                  int((correct[second] & ~correct[first]).sum()))))
    gaps = np.array([row.gap for row in per_seed])
    interval, p_value, quantile = t_interval(gaps, confidence)
    accuracy = {name: np.array([row.accuracy[name] for row in per_seed]) for name in names}
    sign = 1 if gaps.mean() > 0 else -1  # the model ahead on average: the second if the mean gap is > 0
    ahead_on, behind_on = int((sign * gaps > 0).sum()), int((sign * gaps < 0).sum())
    return AcrossSeeds(
        first=first, second=second, per_seed=per_seed,
        mean={name: float(values.mean()) for name, values in accuracy.items()},
        sd={name: float(values.std(ddof=1)) if len(values) > 1 else 0.0 for name, values in accuracy.items()},
        interval=interval, p_value=p_value, t_quantile=quantile,
        ahead_on=ahead_on, behind_on=behind_on, sign_p=sign_test(ahead_on, behind_on))


@dataclass(frozen=True)
class ClassTests:
    """One seed's two models class by class, on each class's test images: each model's recall
    with its 95 % Wilson interval, and McNemar's exact test with Holm's correction over the
    classes. Lists hold one entry per class."""

    first: str
    second: str
    images: list  # test images of each class
    correct: dict  # {model: images of each class it classifies correctly}
    intervals: dict  # {model: Wilson interval of each class's recall, as fractions; None for no image}
    only_right: dict  # {model: images of each class only this model classifies correctly}
    p_values: list  # McNemar's exact test per class
    adjusted: list  # the same, Holm-adjusted for the number of classes

    def better(self, index):
        """The model significantly better on class `index` (Holm-adjusted p < 0.05), else None."""
        if self.adjusted[index] >= ALPHA:
            return None
        return _order(self.first, self.second,
                      self.only_right[self.second][index] - self.only_right[self.first][index])[0]


def class_tests(results, num_classes, confidence=0.95):
    """Recall intervals and per-class McNemar tests of two models' predictions on the same test
    images (checked by head_to_head). `results`: {model: ModelResult}, first and second."""
    first, second = results
    actual = results[first].predictions["actual"].to_numpy()
    correct = {name: result.predictions["predicted"].to_numpy() == actual for name, result in results.items()}
    images = np.bincount(actual, minlength=num_classes)
    right = {name: np.bincount(actual[correct[name]], minlength=num_classes) for name in results}
    only_right = {name: np.bincount(actual[correct[name] & ~correct[other]], minlength=num_classes)
                  for name, other in ((first, second), (second, first))}
    p_values = [mcnemar_exact(int(only_right[first][c]), int(only_right[second][c]))
                for c in range(num_classes)]
    return ClassTests(
        first=first, second=second, images=images.tolist(),
        correct={name: counts.tolist() for name, counts in right.items()},
        intervals={name: [wilson_interval(counts[c], images[c], confidence) for c in range(num_classes)]
                   for name, counts in right.items()},
        only_right={name: counts.tolist() for name, counts in only_right.items()},
        p_values=p_values, adjusted=holm(p_values).tolist())


@dataclass(frozen=True)
class ModelCalibration:
    """How one model's confidence (its highest probability) matches its accuracy on the test images."""

    ece: float  # expected calibration error, a fraction (calibration.BINS equal-width bins)
    brier: float  # Brier score: sum over the classes, mean over the images
    log_loss: float  # negative log-likelihood: the test loss, recomputed from the probabilities
    confidence: float  # mean confidence
    accuracy: float
    reliability: pd.DataFrame  # per non-empty bin: images, mean confidence, accuracy


def model_calibration(probabilities, labels):
    confidence, correct = measures.confidence_and_correct(probabilities, labels)
    return ModelCalibration(
        ece=measures.expected_calibration_error(probabilities, labels),
        brier=measures.brier_score(probabilities, labels), log_loss=measures.log_loss(probabilities, labels),
        confidence=float(confidence.mean()), accuracy=float(correct.mean()),
        reliability=measures.reliability_table(probabilities, labels))


@dataclass(frozen=True)
class Calibration:
    """One seed's two models' calibration, and the bootstrap interval of their ECE gap."""

    first: str
    second: str
    models: dict  # {model: ModelCalibration}
    interval: tuple  # 95 % paired-bootstrap interval of ECE(second) − ECE(first), as fractions
    samples: int
    seed: int

    @property
    def gap(self):
        return self.models[self.second].ece - self.models[self.first].ece

    @property
    def better(self):
        """The model with the smaller ECE (the first one on a tie)."""
        return _order(self.first, self.second, -self.gap)[0]

    @property
    def worse(self):
        return _order(self.first, self.second, -self.gap)[1]

    @property
    def clearly_different(self):
        """"Clearly": the bootstrap interval of the ECE gap excludes 0, so the test images' sampling
        alone does not explain it."""
        return _excludes_zero(self.interval)


def calibration(probabilities, labels, samples, seed):
    """Both models' calibration. `probabilities`: {model: its probabilities}, first and second."""
    first, second = probabilities
    labels = np.asarray(labels)
    return Calibration(
        first=first, second=second,
        models={name: model_calibration(values, labels) for name, values in probabilities.items()},
        interval=measures.ece_gap_interval(probabilities[first], probabilities[second], labels, samples,
                                           seed),
        samples=samples, seed=seed)


@dataclass(frozen=True)
class PermutedControl:
    """One seed's two models against themselves trained and tested on permuted pixels, on the same
    test images. `first` and `second` in --models order; gaps are permuted − original."""

    first: str
    second: str
    images: int
    permutation_seed: int
    correct: dict  # {"original" | "permuted": {model: test images classified correctly}}
    intervals: dict  # {"original" | "permuted": {model: 95 % Wilson interval of the accuracy}}
    gap_interval: dict  # {model: 95 % paired-bootstrap interval of permuted − original, as fractions}
    p_value: dict  # {model: McNemar's exact test, permuted against original}
    pair: dict  # {"original" | "permuted": (second − first, its paired-bootstrap interval, McNemar's p)}
    difference_interval: tuple  # of gap(second) − gap(first), bootstrapped over the test images
    samples: int
    seed: int

    def accuracy(self, pixels, model):
        return self.correct[pixels][model] / self.images

    def gap(self, model):
        return self.accuracy("permuted", model) - self.accuracy("original", model)

    def changed(self, model):
        """The model's accuracy moved on permuted pixels by more than the test images' sampling
        explains: McNemar's p below 0.05 and a bootstrap interval that excludes 0."""
        return self.p_value[model] < ALPHA and _excludes_zero(self.gap_interval[model])

    def difference(self):
        """Second's change minus first's: what the permutation does to one architecture beyond the
        other. A fully connected network cannot use pixel order, so its own change is training
        noise; this difference is what the control measures."""
        return self.gap(self.second) - self.gap(self.first)

    def differs(self):
        """The two changes differ by more than the test images' sampling explains (interval excludes 0)."""
        return _excludes_zero(self.difference_interval)

    def pair_significant(self, pixels):
        """The gap second − first on those pixels, by both tests, as HeadToHead.significant."""
        _, interval, p_value = self.pair[pixels]
        return p_value < ALPHA and _excludes_zero(interval)


def _paired(correct_first, correct_second, samples, seed):
    """(accuracy(second) − accuracy(first), its paired-bootstrap interval, McNemar's p)."""
    only_first = int((correct_first & ~correct_second).sum())
    only_second = int((correct_second & ~correct_first).sum())
    return (float(correct_second.mean() - correct_first.mean()),
            paired_bootstrap_interval(correct_first, correct_second, samples, seed),
            mcnemar_exact(only_first, only_second))


def permuted_control(results, permuted, samples, seed, permutation_seed, confidence=0.95):
    """The spatial-structure control. `results`: {model: ModelResult} of the first seed, first and
    second; `permuted`: a frame of the `actual` class and each model's predicted class on the
    permuted test images (the `permuted` stage's predictions), the same images in the same order."""
    first, second = results
    actual = results[first].predictions["actual"].to_numpy()
    if len(permuted) != len(actual) or not (permuted["actual"].to_numpy() == actual).all():
        raise PipelineError("the predictions on permuted pixels are not on the test images the models were "
                            "scored on: run `dvc repro`")
    correct = {"original": {name: result.predictions["predicted"].to_numpy() == actual
                            for name, result in results.items()},
               "permuted": {name: permuted[name].to_numpy() == actual for name in results}}
    counts = {pixels: {name: int(right.sum()) for name, right in by_model.items()}
              for pixels, by_model in correct.items()}
    changes = {name: _paired(correct["original"][name], correct["permuted"][name], samples, seed)
               for name in results}
    return PermutedControl(
        first=first, second=second, images=len(actual), permutation_seed=permutation_seed, correct=counts,
        intervals={pixels: {name: wilson_interval(count, len(actual), confidence) for name, count in
                            by_model.items()} for pixels, by_model in counts.items()},
        gap_interval={name: interval for name, (_, interval, _) in changes.items()},
        p_value={name: p_value for name, (_, _, p_value) in changes.items()},
        pair={pixels: _paired(by_model[first], by_model[second], samples, seed)
              for pixels, by_model in correct.items()},
        difference_interval=paired_difference_interval(
            *(correct[pixels][name] for name in (first, second) for pixels in ("original", "permuted")),
            samples, seed),
        samples=samples, seed=seed)


@dataclass(frozen=True)
class Comparison:
    """Everything the report says, computed: what the report and its figures are drawn from."""

    results: dict  # {model: ModelResult} of the first seed, in --models order
    pair: HeadToHead  # the first seed's two models head to head
    seeds: AcrossSeeds  # every seed
    class_names: tuple
    classes: ClassTests  # the first seed's two models, class by class
    calibration: Calibration  # the first seed's two models' confidence against their accuracy
    robustness: Robustness | None = None  # the first seed's models on transformed test images, if scored
    permuted: PermutedControl | None = None  # the spatial-structure control, when analysis.permuted_pixels
