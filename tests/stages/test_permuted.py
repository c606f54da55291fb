"""The permuted stage on the tiny synthetic set: off, it is cheap and says so; on, it trains both
models on one saved, seeded permutation of every split, with the train stages' own recipe."""

import json
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.permutation import draw_permutation
from stages.permuted import main as permuted
from stages.train_cnn import main as train_cnn
from stages.train_dense import main as train_dense
from tests.conftest import PROJECT, set_params, train_arguments

SPLITS = ("train", "val", "test")


def arguments(prepared, out):
    splits = [argument for split in SPLITS for argument in
              (f"--{split}", str(prepared / f"{split}_flat.npy"), str(prepared / f"{split}_labels.npy"))]
    return ["--seed", "3", *splits, "--permutation", str(out / "permutation.npy"),
            "--predictions", str(out / "predictions.csv"), "--metrics", str(out / "permuted.json"),
            "--timing", str(out / "timing.json")]


def outputs(out):
    return {name: (out / name).read_bytes()
            for name in ("permutation.npy", "predictions.csv", "permuted.json")}


def test_off_trains_nothing_imports_no_tensorflow_and_writes_the_same_bytes_each_time(prepared, tmp_path):
    script = ("import sys; from stages.permuted import main; main(sys.argv[1:]); "
              "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    written = []
    for run in ("first", "second"):
        out = tmp_path / run
        result = subprocess.run([sys.executable, "-c", script, *arguments(prepared, out)], cwd=tmp_path,
                                env={"PYTHONPATH": str(PROJECT), "PATH": ""}, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "analysis.permuted_pixels is false, nothing trained" in result.stdout
        assert not (out / "timing.json").exists()
        written.append(outputs(out))
    assert written[0] == written[1]
    out = tmp_path / "first"
    assert np.load(out / "permutation.npy", allow_pickle=False).shape == (0,)
    assert (out / "predictions.csv").read_text() == "actual,dense,cnn\n"
    assert json.loads((out / "permuted.json").read_text()) == {}


def permuted_copy(prepared, folder, permutation):
    """The prepared uint8 files with the permutation applied by hand, in both layouts."""
    folder.mkdir()
    for split in SPLITS:
        flat = np.load(prepared / f"{split}_flat.npy")[:, permutation]
        np.save(folder / f"{split}_flat.npy", flat)
        np.save(folder / f"{split}_channel.npy", flat.reshape(len(flat), 28, 28, 1))
        np.save(folder / f"{split}_labels.npy", np.load(prepared / f"{split}_labels.npy"))
    return folder


def test_on_trains_both_models_on_one_saved_seeded_permutation_of_every_split(prepared, tiny_params, tmp_path,
                                                                              capsys):
    set_params(tiny_params, {"analysis.permuted_pixels": True, "analysis.permutation_seed": 7})
    out = tmp_path / "out"
    permuted(arguments(prepared, out))
    printed = capsys.readouterr().out
    assert "dense on permuted pixels (permutation seed 7), seed 3: test accuracy" in printed
    assert "cnn on permuted pixels (permutation seed 7), seed 3: test accuracy" in printed
    permutation = np.load(out / "permutation.npy", allow_pickle=False)
    np.testing.assert_array_equal(permutation, draw_permutation(7))  # seeded, and saved
    np.testing.assert_array_equal(np.sort(permutation), np.arange(784))  # a real permutation
    assert (permutation != np.arange(784)).any()
    predictions = pd.read_csv(out / "predictions.csv")
    labels = np.load(prepared / "test_labels.npy")
    assert list(predictions.columns) == ["actual", "dense", "cnn"]
    np.testing.assert_array_equal(predictions["actual"], labels)
    metrics = json.loads((out / "permuted.json").read_text())
    assert metrics == {name: {"accuracy": float(np.mean(predictions[name] == labels))}
                       for name in ("dense", "cnn")}
    assert sorted(json.loads((out / "timing.json").read_text())) == ["cnn_seconds", "dense_seconds"]
    # The train stages, on the same permutation applied by hand to the train, validation and test
    # files, train the very models whose predictions the stage wrote: the same recipe and seed.
    by_hand = permuted_copy(prepared, tmp_path / "by_hand", permutation)
    for name, main, layout in (("dense", train_dense, "flat"), ("cnn", train_cnn, "channel")):
        main(train_arguments(by_hand, layout, tmp_path / name))
        model = keras.saving.load_model(tmp_path / name / "model.keras", safe_mode=True)
        images = np.load(by_hand / f"test_{layout}.npy").astype(np.float32) / 255
        np.testing.assert_array_equal(model.predict(images, verbose=0).argmax(axis=1), predictions[name])


def test_on_refuses_multi_worker_and_images_that_are_not_flat_before_training(prepared, tiny_params,
                                                                               tmp_path):
    set_params(tiny_params, {"analysis.permuted_pixels": True, "train.distribution": "multi_worker",
                             "train_dense.steps_per_execution": 1, "train_cnn.steps_per_execution": 1})
    with pytest.raises(PipelineError, match="train.distribution = multi_worker cannot"):
        permuted(arguments(prepared, tmp_path / "out"))
    set_params(tiny_params, {"train.distribution": "auto"})
    wrong = arguments(prepared, tmp_path / "out")
    wrong[wrong.index("--val") + 1] = str(prepared / "val_channel.npy")
    with pytest.raises(PipelineError, match=r"val_channel.npy: images of shape \(28, 28, 1\), expected flat"):
        permuted(wrong)
    assert not (tmp_path / "out").exists()
