import keras
import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.scoring import check_input_shape, score
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
