import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation import robustness
from dense_vs_cnn.evaluation.robustness import (
    COLUMNS,
    choose,
    headline,
    middle,
    read_robustness,
    score_transformed,
)
from dense_vs_cnn.evaluation.statistics import wilson_interval
from dense_vs_cnn.evaluation.transforms import translate

LEVELS = {"translation": [2, 4, 6], "rotation": [10, 30], "noise": [0.2, 0.4], "thickness": [-1, 1, 2]}


def left_heavy(images):
    """A real, tiny classifier: 1 when the left half holds more ink than the right, else 0."""
    half = images.shape[2] // 2
    return (images[:, :, :half].sum(axis=(1, 2)) > images[:, :, half:].sum(axis=(1, 2))).astype(int)


def always_one(images):
    return np.ones(len(images), dtype=int)


def sample(count=40, seed=0):
    """Digits-like images: a random blob left or right of the centre; the label says which."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), dtype=np.float32)
    labels = rng.integers(2, size=count)
    for image, label in zip(images, labels, strict=True):
        left = 5 if label else 15
        image[8:20, left:left + 8] = rng.random((12, 8))
    return images, labels


def at(table, transform, level, model):
    """The table's row for that transform, severity and model."""
    return table[(table["transform"] == transform) & (table["severity"] == level) & (table["model"] == model)]


def table_for(count=40, seed=0, levels=LEVELS):
    images, labels = sample(count, seed)
    indices, drawn = choose(len(images), None, seed, images.shape[1:])
    return score_transformed({"dense": left_heavy, "cnn": always_one}, images[indices], labels[indices],
                             levels, drawn), images, labels, drawn


def test_middle_is_the_lower_middle_of_the_sorted_levels():
    assert middle([3, 1, 2]) == 2 and middle([1, 2, 3, 4, 5, 6]) == 3 and middle([2, -1, 1]) == 1
    assert middle([0.5]) == 0.5


def test_choose_draws_the_same_sorted_images_for_the_same_seed():
    indices, drawn = choose(10_000, 1000, 0, (28, 28))
    again, drawn_again = choose(10_000, 1000, 0, (28, 28))
    assert np.array_equal(indices, again) and np.array_equal(drawn.noise, drawn_again.noise)
    assert len(set(indices)) == 1000 and np.all(np.diff(indices) > 0)
    assert indices.max() > 9000  # from the whole test set, not its first images
    other, _ = choose(10_000, 1000, 1, (28, 28))
    assert not np.array_equal(indices, other)
    assert np.array_equal(choose(500, 1000, 0, (28, 28))[0], np.arange(500))  # fewer than asked: all
    assert np.array_equal(choose(500, None, 0, (28, 28))[0], np.arange(500))


def test_severity_0_is_the_plain_accuracy_under_every_transform():
    table, images, labels, _ = table_for()
    unchanged = table[table["severity"] == 0]
    assert len(unchanged) == 2 * len(LEVELS)
    for name, predict in (("dense", left_heavy), ("cnn", always_one)):
        plain = np.mean(predict(images) == labels)
        assert set(unchanged.loc[unchanged["model"] == name, "accuracy"]) == {plain}
    assert plain == np.mean(labels == 1)  # always_one: the share of ones


def test_the_table_counts_what_each_model_gets_right_on_each_transformed_copy():
    table, images, labels, drawn = table_for()
    assert list(table.columns) == COLUMNS
    row = at(table, "translation", 6, "dense")
    expected = int((left_heavy(translate(images, 6, drawn.directions)) == labels).sum())
    assert row["correct"].item() == expected and row["images"].item() == 40
    assert row["accuracy"].item() == expected / 40
    low, high = wilson_interval(expected, 40)
    assert (row["low"].item(), row["high"].item()) == (low, high)
    # every transform's severities in increasing order, 0 among them, both models at each
    for transform, levels in LEVELS.items():
        rows = table[table["transform"] == transform]
        assert list(rows["severity"]) == [level for level in sorted([0, *levels]) for _ in ("dense", "cnn")]
        assert list(rows["model"]) == ["dense", "cnn"] * (len(levels) + 1)
    assert list(dict.fromkeys(table["transform"])) == list(LEVELS)


def test_the_same_inputs_give_the_same_table_however_the_copies_are_grouped(monkeypatch):
    table = table_for()[0]
    monkeypatch.setattr(robustness, "IMAGES_PER_CALL", 100)  # 2 copies of 40 images per call
    calls = []

    def counted(images):
        calls.append(len(images))
        return left_heavy(images)

    images, labels = sample()
    _, drawn = choose(len(images), None, 0, images.shape[1:])
    grouped = score_transformed({"dense": counted, "cnn": always_one}, images, labels, LEVELS, drawn)
    assert max(calls) == 80 and sum(calls) == 40 * (1 + 10)
    pd.testing.assert_frame_equal(grouped, table)


def test_headline_keeps_the_middle_severity_of_each_transform():
    table = table_for()[0]
    numbers = headline(table)
    assert list(numbers) == ["dense", "cnn"] and list(numbers["dense"]) == list(LEVELS)
    for transform, level in (("translation", 4), ("rotation", 10), ("noise", 0.2), ("thickness", 1)):
        assert numbers["dense"][transform] == at(table, transform, level, "dense")["accuracy"].item()
    assert numbers["cnn"]["translation"] == at(table, "noise", 0, "cnn")["accuracy"].item()  # always 1


def written(table, tmp_path):
    """The table as the stage writes it and compare reads it back."""
    path = tmp_path / "robustness.csv"
    table.to_csv(path, index=False, float_format="%.6g")
    return pd.read_csv(path), path


def test_read_robustness_gives_what_the_report_says(tmp_path):
    table = table_for()[0]
    result = read_robustness(*written(table, tmp_path), ("dense", "cnn"), 0)
    assert result.transforms == list(LEVELS) and result.images == 40 and result.seed == 0
    assert result.levels("thickness") == [-1, 0, 1, 2] and result.middle("translation") == 4
    dense = table[table["model"] == "dense"]
    at = {(row.transform, row.severity): row.accuracy for row in dense.itertuples()}
    assert result.change("rotation", "dense") == pytest.approx(at[("rotation", 10)] - at[("rotation", 0)],
                                                               abs=1e-6)
    assert list(result.curve("noise", "cnn")["severity"]) == [0, 0.2, 0.4]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.assign(transform=t["transform"].replace("noise", "blur")),
     "transform 'blur' is not one of translation, rotation, noise, thickness"),
    (lambda t: t.drop(index=t.index[(t["transform"] == "rotation") & (t["model"] == "cnn")][:1]),
     "rotation at severity 0 has rows for dense, expected one for each of dense, cnn"),
    (lambda t: t[~((t["transform"] == "noise") & (t["severity"] == 0))],
     "noise needs severity 0 and at least one other"),
    (lambda t: t.assign(images=np.where(t.index == 3, 39, t["images"])),
     "the rows count different numbers of images"),
    (lambda t: t.assign(accuracy=np.where(t.index == 3, 1.5, t["accuracy"])),
     "line 5: accuracy = 1.5 is not a number from 0 to 1"),
])
def test_an_edited_table_is_refused_in_one_line_naming_the_file(tmp_path, edit, expected):
    frame, path = written(table_for()[0], tmp_path)
    with pytest.raises(PipelineError) as error:
        read_robustness(edit(frame), path, ("dense", "cnn"), 0)
    message = str(error.value)
    assert expected in message and message.startswith(str(path)) and "\n" not in message
    assert "`dvc repro`" in message
