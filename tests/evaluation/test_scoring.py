import keras
import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error, log_loss
from dense_vs_cnn.evaluation.scoring import check_input_shape, mean_over_seeds, score, score_seeds
from dense_vs_cnn.model.architectures import build_dense


@pytest.fixture
def model():
    keras.utils.set_random_seed(0)
    model = build_dense((784,), 10, units=[8], activation="relu")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_model_for_other_images_is_refused(model):
    with pytest.raises(PipelineError, match=r"expects inputs of shape \(784,\)"):
        check_input_shape(model, "dense.keras", (28, 28, 1))
    check_input_shape(model, "dense.keras", (784,))


def test_score_agrees_with_keras_evaluate(model):
    rng = np.random.default_rng(0)
    images = rng.random((50, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=50).astype(np.uint8)
    metrics, speed, predicted = score(model, images, labels, batch_size=16)
    loss, accuracy = model.evaluate(images, labels, verbose=0)
    assert metrics["accuracy"] == pytest.approx(accuracy)
    assert metrics["loss"] == pytest.approx(loss, rel=1e-5)
    assert metrics["parameters"] == model.count_params()
    assert predicted.shape == (50,) and speed["images_per_second"] > 0


def test_score_seeds_returns_the_probabilities_behind_the_metrics(model):
    rng = np.random.default_rng(1)
    images = rng.random((60, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=60).astype(np.uint8)
    scores, speed, probabilities = score_seeds({3: model}, images, labels, batch_size=16)
    values = probabilities[3]
    assert values.shape == (60, 10) and values.dtype == np.float32 and speed["images_per_second"] > 0
    np.testing.assert_allclose(values.sum(axis=1), 1, rtol=1e-5)
    metrics = scores[3]
    assert metrics["accuracy"] == np.mean(values.argmax(axis=1) == labels)
    assert metrics["ece"] == expected_calibration_error(values, labels)
    assert metrics["brier"] == brier_score(values, labels)
    # The negative log-likelihood computed from the probabilities is Keras' test loss.
    assert log_loss(values, labels) == pytest.approx(metrics["loss"], rel=1e-6)


def test_mean_over_seeds_averages_accuracy_loss_and_calibration():
    scores = {3: {"accuracy": 0.9, "loss": 0.3, "ece": 0.02, "brier": 0.1, "parameters": 7},
              5: {"accuracy": 0.8, "loss": 0.5, "ece": 0.04, "brier": 0.3, "parameters": 7}}
    assert mean_over_seeds(scores) == pytest.approx({"accuracy": 0.85, "loss": 0.4, "ece": 0.03, "brier": 0.2,
                                                     "parameters": 7})
