import re

import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import SCHEDULES, TrainDense
from dense_vs_cnn.model.training import make_learning_rate, train


def test_schedules_offered_in_params_are_the_ones_training_knows():
    assert make_learning_rate(0.01, "constant", total_steps=10) == 0.01
    cosine = make_learning_rate(0.01, "cosine", total_steps=10)
    assert float(cosine(0)) == pytest.approx(0.01) and float(cosine(10)) == pytest.approx(0.0)
    for schedule in SCHEDULES:
        make_learning_rate(0.01, schedule, total_steps=10)
    # params.yaml may say 1: Keras takes a float only.
    assert isinstance(make_learning_rate(1, "constant", total_steps=10), float)


SETTINGS = {"units": [8], "activation": "relu", "epochs": 2, "batch_size": 8, "optimizer": "adam",
            "learning_rate": 0.001, "learning_rate_schedule": "constant",
            "loss": "sparse_categorical_crossentropy", "steps_per_execution": 1, "precision": "float32"}


def test_train_builds_the_named_architecture_and_numbers_epochs_from_one():
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 784), dtype=np.float32), (np.arange(40) % 10).astype(np.uint8)
    model, history, seconds = train("dense", TrainDense(**SETTINGS), (images, labels),
                                    (images[:10], labels[:10]),
                                    num_classes=10, seed=0, distribution="none")
    assert model.name == "dense" and model.output_shape == (None, 10) and seconds > 0
    assert list(history.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert history["epoch"].tolist() == [1, 2]


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
