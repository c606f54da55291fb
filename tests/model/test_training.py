import re
import signal

import keras
import numpy as np
import pytest
from keras.src.utils.python_utils import pythonify_logs

from dense_vs_cnn.core import errors
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import SCHEDULES, TrainDense
from dense_vs_cnn.model import training
from dense_vs_cnn.model.training import EpochProgbar, bfloat16_hardware, make_learning_rate, make_loss, train


def test_schedules_offered_in_params_are_the_ones_training_knows():
    assert make_learning_rate(0.01, "constant", total_steps=10) == 0.01
    cosine = make_learning_rate(0.01, "cosine", total_steps=10)
    assert float(cosine(0)) == pytest.approx(0.01) and float(cosine(10)) == pytest.approx(0.0)
    for schedule in SCHEDULES:
        make_learning_rate(0.01, schedule, total_steps=10)
    # params.yaml may say 1: Keras takes a float only.
    assert isinstance(make_learning_rate(1, "constant", total_steps=10), float)


def test_a_warm_up_ramps_the_rate_up_linearly_then_the_cosine_decays_it_to_zero():
    """100 steps, 10 % warm-up: 0 at step 0, half the rate at step 5, the full rate at step 10, half
    of it again half-way through the 90 decaying steps (cosine), 0 at the end."""
    rate = make_learning_rate(0.004, "cosine", total_steps=100, warmup_fraction=0.1)
    for step, expected in ((0, 0.0), (5, 0.002), (10, 0.004), (55, 0.002), (100, 0.0)):
        assert float(rate(step)) == pytest.approx(expected, abs=1e-9), step
    # No warm-up is the plain cosine the fast setting always had.
    plain = make_learning_rate(0.004, "cosine", total_steps=100, warmup_fraction=0)
    assert float(plain(0)) == pytest.approx(0.004) and float(plain(50)) == pytest.approx(0.002)


def test_label_smoothing_smooths_the_targets_and_zero_keeps_the_loss_by_name():
    assert make_loss("sparse_categorical_crossentropy", 0) == "sparse_categorical_crossentropy"
    loss = make_loss("sparse_categorical_crossentropy", 0.1)
    one_hot, predicted = np.eye(10, dtype=np.float32)[[3]], np.full((1, 10), 0.1, dtype=np.float32)
    # Targets 0.91 on the true class and 0.01 on the others: the cross-entropy of the uniform
    # prediction is still -log(0.1), whatever the targets.
    assert float(loss(one_hot, predicted)) == pytest.approx(-np.log(0.1), rel=1e-5)
    confident = np.eye(10, dtype=np.float32)[[3]] * 0.9 + 0.01
    targets = one_hot * 0.9 + 0.01
    assert float(loss(one_hot, confident)) == pytest.approx(float(-(targets * np.log(confident)).sum()),
                                                           rel=1e-5)


SETTINGS = {"units": [8], "activation": "relu", "epochs": 2, "batch_size": 8, "optimizer": "adam",
            "learning_rate": 0.001, "learning_rate_schedule": "constant", "warmup_fraction": 0,
            "loss": "sparse_categorical_crossentropy", "label_smoothing": 0, "steps_per_execution": 1,
            "precision": "float32"}


def test_train_builds_the_named_architecture_and_numbers_epochs_from_one():
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 784), dtype=np.float32), (np.arange(40) % 10).astype(np.uint8)
    model, history, seconds = train("dense", TrainDense(**SETTINGS), (images, labels),
                                    (images[:10], labels[:10]),
                                    num_classes=10, seed=0, distribution="none")
    assert model.name == "dense" and model.output_shape == (None, 10) and seconds > 0
    assert list(history.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert history["epoch"].tolist() == [1, 2]


def test_the_fast_recipe_keys_train_on_class_numbers_turned_one_hot():
    """A warm-up and label smoothing on the sparse loss: the labels are class numbers, the smoothed
    loss takes them one-hot (train makes them), and the history is as without them."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 784), dtype=np.float32), (np.arange(40) % 10).astype(np.uint8)
    settings = TrainDense(**dict(SETTINGS, learning_rate_schedule="cosine", warmup_fraction=0.2,
                                 label_smoothing=0.1))
    model, history, _ = train("dense", settings, (images, labels), (images[:10], labels[:10]),
                              num_classes=10, seed=0, distribution="none")
    assert history["epoch"].tolist() == [1, 2] and history.notna().all().all()
    assert model.loss.label_smoothing == 0.1


@pytest.mark.parametrize("learning_rate", [1, 1e30])
def test_a_diverging_training_stops_with_an_error(tmp_path, learning_rate):
    """1 (an int: Keras refused it) trains; 1e30 overflows the weights: the loss becomes NaN."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 784), dtype=np.float32), (np.arange(40) % 10).astype(np.uint8)
    settings = TrainDense(**dict(SETTINGS, learning_rate=learning_rate, epochs=3))
    arguments = dict(num_classes=10, seed=0, distribution="none")
    if learning_rate == 1:
        train("dense", settings, (images, labels), (images, labels), **arguments)
        return
    with pytest.raises(PipelineError) as error:
        train("dense", settings, (images, labels), (images, labels), **arguments)
    assert str(error.value) == ("training diverged: loss became nan in epoch 1, so training stopped and "
                                "nothing was saved; lower the learning_rate (now 1e+30) or check the data")


def test_steps_per_execution_is_clamped_to_an_epoch_so_the_bar_counts_true(capsys):
    """3 steps per epoch (20 images, batches of 8) and steps_per_execution 64: Keras' bar counts 3/3,
    never 64/3, and the updates are those of any steps_per_execution."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((20, 784), dtype=np.float32), (np.arange(20) % 10).astype(np.uint8)
    arguments = dict(num_classes=10, seed=0, distribution="none")
    model, _, _ = train("dense", TrainDense(**dict(SETTINGS, steps_per_execution=64)), (images, labels),
                        (images, labels), **arguments)
    bar = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    counts = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+) ━", bar)]
    assert counts and all(done <= total == 3 for done, total in counts), bar
    assert " -" not in "".join(re.findall(r"━+ +-?\d+s", bar)), bar  # no negative time left
    one_by_one, _, _ = train("dense", TrainDense(**SETTINGS), (images, labels), (images, labels), **arguments)
    for clamped, reference in zip(model.get_weights(), one_by_one.get_weights(), strict=True):
        np.testing.assert_array_equal(clamped, reference)


@pytest.mark.parametrize(("bar", "counted"), [(keras.callbacks.ProgbarLogger, [2, 4, 6]),
                                              (EpochProgbar, [2, 4, 5])])
def test_the_bar_counts_no_step_past_the_end_of_an_epoch(bar, counted):
    """5 steps per epoch, 2 per call: Keras reports the last call, which runs 1 step, as steps 4-5
    (its own bar: 6/5); the bar that training uses stops at 5/5."""
    class Counting(bar):
        counts = []

        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            self.counts.append(self.seen)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", "mse", steps_per_execution=2)
    model.fit(np.zeros((40, 4)), np.zeros((40, 2)), batch_size=8, verbose=0, callbacks=[Counting()])
    assert Counting.counts == counted


def test_a_ctrl_c_that_keras_swallows_still_stops_the_training(monkeypatch):
    """Keras' pythonify_logs loses a Ctrl-C that comes while it converts a batch's logs
    (StopWhenAsked); fit() stops all the same."""
    class CtrlCWhileConverted:
        def __float__(self):
            signal.raise_signal(signal.SIGINT)
            return 0.0

    class Swallowing(EpochProgbar):  # the bar that fit() draws, here with a Ctrl-C lost in Keras' own code
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            Swallowing.batches += 1
            if Swallowing.batches == 2:
                pythonify_logs({"loss": CtrlCWhileConverted()})

    monkeypatch.setattr(errors, "_stop_requests", [])
    monkeypatch.setattr(training, "EpochProgbar", Swallowing)
    previous = signal.signal(signal.SIGINT, errors._interrupt)  # as run_stage sets it
    try:
        images, labels = np.zeros((40, 4), np.float32), np.zeros(40, np.uint8)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(images, labels, batch_size=8, epochs=2, verbose=0, callbacks=[Swallowing()])
        assert Swallowing.batches == 10 and errors._stop_requests == [signal.SIGINT]  # came, lost, trained on
        errors._stop_requests.clear()
        Swallowing.batches = 0
        with pytest.raises(KeyboardInterrupt, match="^SIGINT$"):
            training.fit(model, (images, labels), (images, labels), epochs=100, batch_size=8, one_hot=False)
        assert Swallowing.batches == 2  # stopped at the end of the next call, before the bar drew it
    finally:
        signal.signal(signal.SIGINT, previous)


def test_bfloat16_hardware_is_read_from_the_cpu_flags(tmp_path):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is here: bfloat16 hardware whatever the CPU")
    for flags, expected in (("fpu sse2 avx2 fma", False), ("avx2 avx512f avx512_bf16", True),
                            ("avx2 amx_bf16 amx_tile", True)):
        (tmp_path / "cpuinfo").write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
        assert bfloat16_hardware(tmp_path / "cpuinfo") is expected, flags
    assert bfloat16_hardware(tmp_path / "no-such-file") is None
