"""What a stage checks in the files it reads before trusting them: one clear error naming the file.

Arrays (`load_images`, `load_examples`, `check_examples`): what `preprocess` writes,
the raw uint8 pixels in one of its two layouts (scaled to float32 in [0, 1] when loaded:
8 times smaller on disk than float32, the same values in memory), and integer labels of
the dataset's classes, as many as images. Anything else would train or score without a
word (float labels train a wrong model) or crash TensorFlow (a label of 12 among 10
classes).

Results (`check_result`, over the dicts and data frames of what `evaluate` and the train
stages write, and `compare` reads): they are tracked by git, so a pull request can edit
them by hand. A class 12, a text accuracy or an empty history is named by file and line,
rather than ending in a traceback or a report that says "nan %".
"""

import math
from dataclasses import dataclass

import numpy as np

from dense_vs_cnn.core.datasets import IMAGE_SIZE
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import load_array
from dense_vs_cnn.core.params import is_number

# The layouts `preprocess` writes: flat for the dense network, one channel for the CNN.
LAYOUTS = {"flat": (IMAGE_SIZE**2,), "channel": (IMAGE_SIZE, IMAGE_SIZE, 1)}
REBUILD = "not what `preprocess` writes: run `dvc repro -f preprocess`"


def _first(bad):
    """Index of the first True in a boolean array."""
    return int(np.flatnonzero(bad)[0])


def images_problem(images):
    """What is wrong with an images array as `preprocess` writes it, or None."""
    if images.dtype != np.uint8:
        return f"pixels are {images.dtype}, expected uint8 (the raw pixels, scaled when loaded)"
    if images.ndim < 2 or images.shape[1:] not in LAYOUTS.values():
        return (f"shape {images.shape}, expected (N, {IMAGE_SIZE**2}) or "
                f"(N, {IMAGE_SIZE}, {IMAGE_SIZE}, 1)")
    if len(images) == 0:
        return "holds no images"
    return None


def labels_problem(labels, num_classes):
    """What is wrong with a labels array for `num_classes` classes, or None."""
    if not np.issubdtype(labels.dtype, np.integer):
        return f"labels are {labels.dtype}, expected integers (class numbers)"
    if labels.ndim != 1:
        return f"shape {labels.shape}, expected (N,): one label per image"
    if len(labels) == 0:
        return "holds no labels"
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        index = _first(outside)
        return (f"label {labels[index]} (index {index}) is not a class: expected 0 to {num_classes - 1} "
                f"({num_classes} classes)")
    return None


def check_images(images, path):
    problem = images_problem(images)
    if problem:
        raise PipelineError(f"{path}: {problem}; {REBUILD}")


def scale(images):
    """uint8 pixels as float32 in [0, 1]: what the models take (the notebook's `/ 255`)."""
    return images.astype(np.float32) / 255.0


def load_images(path):
    """Load and check images written by `preprocess`; return them scaled (float32 in [0, 1])."""
    images = load_array(path)
    check_images(images, path)
    return scale(images)


def check_examples(images, images_path, labels, labels_path, num_classes):
    """Refuse images (as loaded: scaled) and labels that are not a pair as `preprocess` writes it."""
    problem = labels_problem(labels, num_classes)
    if problem:
        raise PipelineError(f"{labels_path}: {problem}; {REBUILD}")
    if len(images) != len(labels):
        raise PipelineError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
                            f"labels; {REBUILD}")


def load_examples(images_path, labels_path, num_classes):
    """Load and check an (images, labels) pair written by `preprocess`; the images come scaled."""
    images, labels = load_images(images_path), load_array(labels_path)
    check_examples(images, images_path, labels, labels_path, num_classes)
    return images, labels


@dataclass(frozen=True)
class Rule:
    """A finite number from `low` to `high`, a whole one if `whole`."""

    low: float
    high: float = math.inf
    whole: bool = False

    @property
    def wanted(self):
        kind = "a whole number" if self.whole else "a number"
        if math.isfinite(self.high):
            return f"{kind} from {self.low:g} to {self.high:g}"
        return f"{kind} >= {self.low:g}"

    def accepts(self, value):
        return is_number(value) and self.low <= value <= self.high and (not self.whole or value == int(value))


FRACTION, NON_NEGATIVE, COUNT = Rule(0, 1), Rule(0), Rule(0, whole=True)


def result_rules(num_classes):
    """The rules of each result `compare` reads, by part: one seed's model in data/scores.json
    ("test"), or a CSV file ({name}_{part}.csv)."""
    label = Rule(0, num_classes - 1, whole=True)
    return {
        "test": {"accuracy": FRACTION, "loss": NON_NEGATIVE, "parameters": COUNT, "inference_flops": COUNT,
                 "training_flops": COUNT, "model_bytes": COUNT},
        "history": {"epoch": COUNT, "accuracy": FRACTION, "loss": NON_NEGATIVE, "val_accuracy": FRACTION,
                    "val_loss": NON_NEGATIVE},
        "predictions": {"actual": label, "predicted": label},
        "per_class": {"class": label, "precision": FRACTION, "recall": FRACTION, "f1": FRACTION,
                      "support": COUNT},
    }


def _edited(path):
    return (f"the file was edited or damaged: undo the edit (`git checkout -- {path}`) or run `dvc repro` "
            "to rebuild it")


def _shown(value):
    return repr(value) if isinstance(value, str) else str(value)


def check_record(record, path, rules):
    """Return `record` (a dict read from JSON at `path`) if every key of `rules` holds a number it accepts."""
    if not isinstance(record, dict):
        raise PipelineError(f"{path}: expected a JSON object with {', '.join(rules)}; {_edited(path)}")
    for key, rule in rules.items():
        if key not in record:
            raise PipelineError(f"{path}: {key} is missing; {_edited(path)}")
        if not rule.accepts(record[key]):
            raise PipelineError(f"{path}: {key} = {_shown(record[key])} is not {rule.wanted}; "
                                f"{_edited(path)}")
    return record


def check_table(frame, path, rules):
    """Return `frame` (read from the CSV at `path`) with the columns of `rules` as numbers, if every
    row holds numbers they accept; else name the first bad line (the header is line 1)."""
    missing = [column for column in rules if column not in frame.columns]
    if missing:
        raise PipelineError(f"{path}: no {', '.join(missing)} column; {_edited(path)}")
    if frame.empty:
        raise PipelineError(f"{path} has no rows, only a header; {_edited(path)}")
    import pandas as pd  # here, not at the top: the train stages check arrays only, without pandas

    checked = frame.copy()
    for column, rule in rules.items():
        values = pd.to_numeric(frame[column], errors="coerce")  # text becomes NaN, which fails below
        good = values.between(rule.low, rule.high) & (values == values.round() if rule.whole else True)
        if not good.all():
            row = _first(~good.to_numpy())
            value = _shown(frame[column].iloc[row])
            raise PipelineError(f"{path}, line {row + 2}: {column} = {value} is not {rule.wanted}; "
                                f"{_edited(path)}")
        checked[column] = values.astype(np.int64) if rule.whole else values
    return checked


def check_result(part, data, path, num_classes):
    """Check one result file's content (a dict or a data frame) by its part name; return it."""
    import pandas as pd  # not at the top either (see check_table); compare, its caller, has it loaded

    rules = result_rules(num_classes)[part]
    check = check_table if isinstance(data, pd.DataFrame) else check_record
    return check(data, path, rules)
