"""The checks of what stages read: real .npy files as preprocess writes them, then damaged; real
result files as evaluate and train write them, then edited by hand."""

import json

import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.checks import check_result, load_examples, load_images
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import read_csv, read_json, save_array
from dense_vs_cnn.evaluation.statistics import per_class_metrics

REBUILD = "not what `preprocess` writes: run `dvc repro -f preprocess`"


@pytest.fixture
def arrays(tmp_path):
    """Write (images, labels) as .npy files and return their paths."""
    def write(images, labels):
        save_array(tmp_path / "images.npy", images)
        save_array(tmp_path / "labels.npy", labels)
        return tmp_path / "images.npy", tmp_path / "labels.npy"
    return write


def good(count=20, layout=(784,)):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, *layout), dtype=np.uint8), (np.arange(count) % 10).astype(np.uint8)


@pytest.mark.parametrize("layout", [(784,), (28, 28, 1)])
def test_preprocess_layouts_pass_and_come_scaled(arrays, layout):
    images, labels = good(layout=layout)
    loaded_images, loaded_labels = load_examples(*arrays(images, labels), num_classes=10)
    # the very float32 values the notebook's `astype("float32") / 255` gives: bit for bit
    assert loaded_images.dtype == np.float32
    assert loaded_images.tobytes() == (images.astype("float32") / 255).tobytes()
    np.testing.assert_array_equal(loaded_labels, labels)


@pytest.mark.parametrize(("damage", "file", "problem"), [
    (lambda images, labels: (images / 255, labels), "images",
     "pixels are float64, expected uint8 (the raw pixels, scaled when loaded)"),
    (lambda images, labels: ((images / 255).astype(np.float32), labels), "images",
     "pixels are float32, expected uint8"),  # an older preprocess's scaled tensors
    (lambda images, labels: (images.reshape(20, 28, 28), labels), "images",
     "shape (20, 28, 28), expected (N, 784) or (N, 28, 28, 1)"),
    (lambda images, labels: (images[:0], labels[:0]), "images", "holds no images"),
    (lambda images, labels: (images, labels.astype(np.float32) + 0.5), "labels",
     "labels are float32, expected integers (class numbers)"),
    (lambda images, labels: (images, np.where(np.arange(20) == 5, 12, labels.astype(np.int64))), "labels",
     "label 12 (index 5) is not a class: expected 0 to 9 (10 classes)"),
    (lambda images, labels: (images, np.where(np.arange(20) == 2, -1, labels.astype(np.int64))), "labels",
     "label -1 (index 2) is not a class: expected 0 to 9 (10 classes)"),
    (lambda images, labels: (images, labels.reshape(20, 1)), "labels", "shape (20, 1), expected (N,)"),
])
def test_arrays_not_as_preprocess_writes_them_are_refused(arrays, damage, file, problem):
    paths = dict(zip(("images", "labels"), arrays(*damage(*good())), strict=True))
    with pytest.raises(PipelineError) as error:
        load_examples(paths["images"], paths["labels"], num_classes=10)
    message = str(error.value)
    assert message.startswith(f"{paths[file]}: {problem}") and message.endswith(REBUILD), message


def test_images_and_labels_must_pair_up(arrays):
    images, labels = good()
    images_path, labels_path = arrays(images, labels[:-1])
    expected = f"{images_path} holds 20 images but {labels_path} holds 19 labels"
    with pytest.raises(PipelineError, match=expected):
        load_examples(images_path, labels_path, num_classes=10)


def test_load_images_alone_names_the_file(tmp_path):
    images, _ = good(layout=(28, 28, 1))
    save_array(tmp_path / "test_channel.npy", images)
    assert load_images(tmp_path / "test_channel.npy").max() <= 1.0
    save_array(tmp_path / "test_channel.npy", images.astype(np.int16))
    with pytest.raises(PipelineError, match=r"test_channel.npy: pixels are int16, expected uint8"):
        load_images(tmp_path / "test_channel.npy")


# --- Results, as compare reads them ---------------------------------------------------------------

@pytest.fixture
def results(tmp_path):
    """One model's results, written as evaluate and train write them; return their paths by part."""
    actual = np.arange(30) % 10
    predicted = actual.copy()
    predicted[[3, 4]] = 0
    paths = {"test": tmp_path / "cnn_test.json"}
    paths.update({part: tmp_path / f"cnn_{part}.csv" for part in ("history", "predictions", "per_class")})
    paths["test"].write_text(json.dumps({"accuracy": 28 / 30, "loss": 0.2, "parameters": 225_034,
                                         "inference_flops": 5_262_080, "training_flops": 15_786_240,
                                         "model_bytes": 2_734_120}))
    pd.DataFrame({"epoch": [0, 1], "accuracy": [0.9, 0.95], "loss": [0.3, 0.2], "val_accuracy": [0.92, 0.96],
                  "val_loss": [0.25, 0.18]}).to_csv(paths["history"], index=False)
    pd.DataFrame({"actual": actual, "predicted": predicted}).to_csv(paths["predictions"], index=False)
    per_class_metrics(actual, predicted, 10).to_csv(paths["per_class"], index=False, float_format="%.6f")
    return paths


def read(path):
    return read_json(path) if path.suffix == ".json" else read_csv(path)


def test_results_as_written_pass_with_numbers(results):
    for part, path in results.items():
        checked = check_result(part, read(path), path, num_classes=10)
        if part == "predictions":
            assert checked["predicted"].dtype == np.int64 and checked["predicted"].tolist()[3] == 0


def edit_json(path, **values):
    """Set keys of a JSON object; None removes the key."""
    record = json.loads(path.read_text())
    for key, value in values.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    path.write_text(json.dumps(record))


def edit_csv(path, column, row, value):
    frame = pd.read_csv(path)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(("part", "edit", "problem"), [
    ("predictions", lambda path: edit_csv(path, "predicted", 5, 12),
     ", line 7: predicted = 12 is not a whole number from 0 to 9"),
    ("predictions", lambda path: edit_csv(path, "predicted", 0, -1),
     ", line 2: predicted = -1 is not a whole number from 0 to 9"),
    ("predictions", lambda path: edit_csv(path, "predicted", 9, "seven"),
     ", line 11: predicted = 'seven' is not a whole number from 0 to 9"),
    ("predictions", lambda path: edit_csv(path, "actual", 1, 2.5),
     ", line 3: actual = 2.5 is not a whole number from 0 to 9"),
    ("history", lambda path: path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n"),
     " has no rows, only a header"),
    ("history", lambda path: edit_csv(path, "val_accuracy", 1, "nan"),
     ", line 3: val_accuracy = nan is not a number from 0 to 1"),
    ("history", lambda path: edit_csv(path, "loss", 0, "high"),
     ", line 2: loss = 'high' is not a number >= 0"),
    ("history", lambda path: pd.read_csv(path).drop(columns="val_loss").to_csv(path, index=False),
     ": no val_loss column"),
    ("test", lambda path: edit_json(path, accuracy="high"),
     ": accuracy = 'high' is not a number from 0 to 1"),
    ("test", lambda path: path.write_text('{"accuracy": NaN, "loss": 0.2, "parameters": 5}'),
     ": accuracy = nan is not a number from 0 to 1"),
    ("test", lambda path: edit_json(path, accuracy=1.5), ": accuracy = 1.5 is not a number from 0 to 1"),
    ("test", lambda path: edit_json(path, accuracy=True), ": accuracy = True is not a number from 0 to 1"),
    ("test", lambda path: edit_json(path, accuracy=None), ": accuracy is missing"),
    ("test", lambda path: path.write_text("[0.9]"),
     ": expected a JSON object with accuracy, loss, parameters, inference_flops, training_flops, "
     "model_bytes"),
    ("test", lambda path: edit_json(path, training_flops=-2),
     ": training_flops = -2 is not a whole number >= 0"),
    ("test", lambda path: edit_json(path, model_bytes=1.5), ": model_bytes = 1.5 is not a whole number >= 0"),
    ("test", lambda path: edit_json(path, inference_flops=None), ": inference_flops is missing"),
    ("per_class", lambda path: edit_csv(path, "recall", 4, 97.5),
     ", line 6: recall = 97.5 is not a number from 0 to 1"),
])
def test_hand_edited_results_name_file_and_line(results, part, edit, problem):
    path = results[part]
    edit(path)
    with pytest.raises(PipelineError) as error:
        check_result(part, read(path), path, num_classes=10)
    assert str(error.value).startswith(f"{path}{problem}"), str(error.value)
    assert str(error.value).endswith(f"the file was edited or damaged: undo the edit (`git checkout -- "
                                     f"{path}`) or run `dvc repro` to rebuild it")
