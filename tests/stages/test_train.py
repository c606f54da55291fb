import json

import keras
import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from stages.train_cnn import main as train_cnn
from stages.train_dense import main as train_dense
from tests.conftest import set_params, train_arguments


@pytest.mark.parametrize(("main", "layout", "input_shape"),
                         [(train_dense, "flat", (784,)), (train_cnn, "channel", (28, 28, 1))])
def test_stage_writes_model_history_and_time(prepared, tmp_path, capsys, main, layout, input_shape):
    out = tmp_path / "out"
    main(train_arguments(prepared, layout, out))
    assert "fit took" in capsys.readouterr().out  # the wall time is printed in the stage's log
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert model.input_shape[1:] == input_shape and model.output_shape == (None, 10)
    history = pd.read_csv(out / "history.csv")
    assert {"epoch", "accuracy", "loss", "val_accuracy", "val_loss"} <= set(history.columns)
    assert len(history) == 1  # TINY_PARAMS: 1 epoch
    timing = json.loads((out / "train.json").read_text())  # a log of this machine, not a DVC output
    assert sorted(timing) == ["epochs", "train_seconds"] and timing["train_seconds"] > 0
    assert timing["epochs"] == 1
    assert sorted(path.name for path in out.iterdir()) == ["history.csv", "model.keras", "train.json"]


def test_same_seed_gives_the_same_history(prepared, tmp_path):
    train_dense(train_arguments(prepared, "flat", tmp_path / "first"))
    train_dense(train_arguments(prepared, "flat", tmp_path / "second"))
    first, second = (pd.read_csv(tmp_path / run / "history.csv") for run in ("first", "second"))
    pd.testing.assert_frame_equal(first, second)


def test_one_hot_loss_trains_too(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train_dense.loss": "categorical_crossentropy"})
    train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    assert (tmp_path / "out" / "model.keras").exists()


def test_bad_params_stop_before_training(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train_cnn.batch_size": 0})
    with pytest.raises(PipelineError, match="train_cnn.batch_size"):
        train_cnn(train_arguments(prepared, "channel", tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_mixed_precision_keeps_float32_probabilities(prepared, tiny_params, tmp_path, capsys):
    """And says where bfloat16 is emulated (no AVX512_BF16 or AMX, no GPU): slower than float32."""
    from dense_vs_cnn.model.training import bfloat16_hardware

    set_params(tiny_params, {"train_cnn.precision": "mixed_bfloat16"})
    try:
        train_cnn(train_arguments(prepared, "channel", tmp_path / "out"))
    finally:
        keras.mixed_precision.set_global_policy("float32")  # the policy is process-wide
    note = ("note: train_cnn.precision = mixed_bfloat16, but this CPU has no bfloat16 instructions "
            "(AVX512_BF16 or AMX), so TensorFlow emulates them, slower than float32; for speed here, "
            "set train_cnn.precision to float32\n")
    assert (note in capsys.readouterr().out) == (bfloat16_hardware() is False)
    model = keras.saving.load_model(tmp_path / "out" / "model.keras", safe_mode=True)
    assert model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].dtype_policy.name == "float32"


def test_cosine_schedule_trains(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train_dense.learning_rate_schedule": "cosine"})
    train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    assert (tmp_path / "out" / "model.keras").exists()


def damage(path, edit):
    array = np.load(path)
    np.save(path, edit(array))


@pytest.mark.parametrize(("file", "edit", "problem"), [
    ("train_flat.npy", lambda images: images / 255, "pixels are float64, expected uint8"),
    ("train_flat.npy", lambda images: images[:0], "holds no images"),
    ("train_labels.npy", lambda labels: labels.astype(np.float64), "labels are float64, expected integers"),
    ("val_labels.npy", lambda labels: np.where(np.arange(len(labels)) == 1, 12, labels),
     "label 12 (index 1) is not a class: expected 0 to 9 (10 classes)"),
])
def test_data_not_as_preprocess_writes_it_stops_training(prepared, tmp_path, file, edit, problem):
    damage(prepared / file, edit)
    with pytest.raises(PipelineError) as error:
        train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    assert str(error.value).startswith(f"{prepared / file}: {problem}")
    assert str(error.value).endswith("not what `preprocess` writes: run `dvc repro -f preprocess`")
    assert not (tmp_path / "out").exists()


def test_a_diverging_training_saves_nothing(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train_dense.learning_rate": 1e30})
    with pytest.raises(PipelineError, match=r"^training diverged: loss became nan in epoch 1, "):
        train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    out = tmp_path / "out"  # no model, history or timing, nor their temporary files
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("written", ["1", "1e-3"])
def test_learning_rates_as_dvc_reads_them_train(prepared, tiny_params, tmp_path, written):
    """`learning_rate: 1` gave a Keras traceback, `1e-3` was refused: both are numbers to DVC."""
    text = tiny_params.read_text()
    tiny_params.write_text(text.replace("learning_rate: 0.001", f"learning_rate: {written}", 1))
    train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    assert (tmp_path / "out" / "model.keras").exists()
