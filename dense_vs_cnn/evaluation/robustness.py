"""Two models on transformed copies of the same test images: accuracy against severity, with
its interval. Reads and writes no file, and needs no TensorFlow (compare imports it).

`choose` picks the test images and what each gets (a direction, a sense of rotation, its
noise: transforms.py) from one seed. `score_transformed` asks each model for its classes
on every transformed copy and returns the table the `robustness` stage writes
(metrics/robustness.csv) and compare reads: one row per transform, severity and model,
with the 95 % Wilson interval of the accuracy. Severity 0 is the images unchanged, scored
once and listed under every transform, each curve's first point. `headline` keeps the
accuracy at each transform's middle severity (the DVC metric); `read_robustness` checks
the table as compare reads it, into a `Robustness`.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dense_vs_cnn.core.checks import COUNT, FRACTION, Rule, check_table
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.statistics import wilson_interval
from dense_vs_cnn.evaluation.transforms import TRANSFORMS, draw

COLUMNS = ["transform", "severity", "model", "images", "correct", "accuracy", "low", "high"]
# Images per call to a model: a Keras predict call costs a few hundred ms whatever its size,
# so the copies go in together, up to this many (160 MB of 28x28 float32).
IMAGES_PER_CALL = 50_000


def middle(levels):
    """The middle one of a transform's levels, sorted (the lower middle one of an even count)."""
    ordered = sorted(levels)
    return ordered[(len(ordered) - 1) // 2]


def choose(total, size, seed, shape):
    """(indices, draws): `size` of `total` test images drawn at random (all of them when `size`
    is None or not below `total`), in test-set order, and what each gets; both from `seed`."""
    rng = np.random.default_rng(seed)
    if size is None or size >= total:
        indices = np.arange(total)
    else:
        indices = np.sort(rng.choice(total, size=size, replace=False))
    return indices, draw(len(indices), shape, rng)


def score_transformed(predictors, images, labels, levels, drawn):
    """The table of every model's accuracy on every transformed copy of `images`.

    `predictors`: {model: f(images) -> predicted classes}, in report order; `images`: (N,
    height, width) in [0, 1]; `levels`: {transform: its levels, 0 left out}; `drawn`: the
    images' Draws. Returns a frame of COLUMNS, each transform's severities in increasing
    order, 0 among them.
    """
    conditions = [("none", 0)] + [(transform, level) for transform, values in levels.items()
                                  for level in values]
    per_call = max(1, IMAGES_PER_CALL // len(images))
    correct = {}  # {(transform, level): {model: images classified correctly}}
    for start in range(0, len(conditions), per_call):
        group = conditions[start:start + per_call]
        copies = np.concatenate([images if transform == "none" else
                                 TRANSFORMS[transform](images, level, drawn) for transform, level in group])
        for name, predict in predictors.items():
            right = (np.asarray(predict(copies)).reshape(len(group), len(images)) == labels).sum(axis=1)
            for condition, count in zip(group, right, strict=True):
                correct.setdefault(condition, {})[name] = int(count)
    rows = [(transform, level, name, len(images),
             correct[("none", 0) if level == 0 else (transform, level)][name])
            for transform, values in levels.items() for level in sorted([0, *values]) for name in predictors]
    table = pd.DataFrame(rows, columns=COLUMNS[:5])
    table["accuracy"] = table["correct"] / table["images"]
    table["low"], table["high"] = zip(*map(wilson_interval, table["correct"], table["images"]), strict=True)
    return table


def headline(table):
    """{model: {transform: accuracy at its middle severity}}: the few numbers `dvc metrics diff` shows."""
    result = {}
    for transform, rows in table.groupby("transform", sort=False):
        level = middle(rows["severity"][rows["severity"] != 0].unique())
        for row in rows[rows["severity"] == level].itertuples():
            result.setdefault(row.model, {})[transform] = float(row.accuracy)
    return result


@dataclass(frozen=True)
class Robustness:
    """What the report says of the robustness table: `table` of COLUMNS, checked; `models` in
    --models order; `seed`: the one that drew the images and their transforms (params.yaml)."""

    table: pd.DataFrame
    models: tuple
    seed: int

    @property
    def transforms(self):
        return list(dict.fromkeys(self.table["transform"]))

    @property
    def images(self):
        return int(self.table["images"].iloc[0])

    def levels(self, transform):
        """The transform's severities in increasing order, 0 among them."""
        return sorted(self.table.loc[self.table["transform"] == transform, "severity"].unique())

    def middle(self, transform):
        return middle([level for level in self.levels(transform) if level != 0])

    def curve(self, transform, model):
        """`model`'s rows for `transform`, by increasing severity."""
        table = self.table
        return table[(table["transform"] == transform) & (table["model"] == model)].sort_values("severity")

    def row(self, transform, level, model):
        """(accuracy, low, high) of `model` at that severity."""
        table = self.table
        chosen = table[(table["transform"] == transform) & (table["severity"] == level)
                       & (table["model"] == model)]
        return tuple(float(chosen[column].iloc[0]) for column in ("accuracy", "low", "high"))

    def lost(self, transform, model):
        """The images `model` gets right unchanged but not at the transform's middle severity, net: an
        integer, so that two models compare exactly (negative: it gains)."""
        table = self.table
        rows = table[(table["transform"] == transform) & (table["model"] == model)].set_index("severity")
        return int(rows.loc[0, "correct"] - rows.loc[self.middle(transform), "correct"])

    def change(self, transform, model):
        """The accuracy at the middle severity minus that on the unchanged images (negative: a loss)."""
        return -self.lost(transform, model) / self.images


# Severities params.yaml allows (dense_vs_cnn/core/params.py), in one rule: the table is git-tracked.
RULES = {"severity": Rule(-180, 180), "images": Rule(1, whole=True), "correct": COUNT,
         "accuracy": FRACTION, "low": FRACTION, "high": FRACTION}


def read_robustness(frame, path, models, seed):
    """The table read from `path` as a Robustness, once its numbers and its shape are checked:
    known transforms, each with severity 0 and another, one row per model at each severity,
    the same number of images on every row."""
    table = check_table(frame, path, RULES)
    fix = (f"the file was edited or damaged: undo the edit (`git checkout -- {path}`) or run `dvc repro` "
           "to rebuild it")
    unknown = sorted(set(map(str, table["transform"])) - set(TRANSFORMS))
    if unknown:
        raise PipelineError(f"{path}: transform {unknown[0]!r} is not one of {', '.join(TRANSFORMS)}; {fix}")
    for transform, rows in table.groupby("transform", sort=False):
        for level, at_level in rows.groupby("severity"):
            if sorted(map(str, at_level["model"])) != sorted(models):
                raise PipelineError(f"{path}: {transform} at severity {level:g} has rows for "
                                    f"{', '.join(map(str, at_level['model']))}, expected one for each of "
                                    f"{', '.join(models)}; {fix}")
        if 0 not in set(rows["severity"]) or len(rows["severity"].unique()) < 2:
            raise PipelineError(f"{path}: {transform} needs severity 0 and at least one other; {fix}")
    if table["images"].nunique() != 1:
        raise PipelineError(f"{path}: the rows count different numbers of images, where every severity "
                            f"scores the same ones; {fix}")
    return Robustness(table=table, models=tuple(models), seed=seed)
