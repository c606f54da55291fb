import numpy as np
import pytest

from dense_vs_cnn.model.architectures import ARCHITECTURES, build_cnn, build_dense

NOTEBOOK_DENSE = {"units": [128, 64], "activation": "relu"}
NOTEBOOK_CNN = {"filters": [32, 64], "kernel_size": 3, "pool_size": 2, "dense_units": 128,
                "activation": "relu"}


def test_notebook_dense_model_has_its_parameter_count_and_output():
    model = build_dense(input_shape=(784,), num_classes=10, **NOTEBOOK_DENSE)
    assert model.count_params() == 109_386
    assert model.output_shape == (None, 10)
    assert [layer.units for layer in model.layers] == [128, 64, 10]


def test_notebook_cnn_has_its_parameter_count_and_output():
    model = build_cnn(input_shape=(28, 28, 1), num_classes=10, **NOTEBOOK_CNN)
    assert model.count_params() == 225_034
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_outputs_are_probabilities(name):
    shape, settings = ((784,), NOTEBOOK_DENSE) if name == "dense" else ((28, 28, 1), NOTEBOOK_CNN)
    model = ARCHITECTURES[name](input_shape=shape, num_classes=10, **settings)
    probabilities = model.predict(np.random.default_rng(0).random((3, *shape), dtype=np.float32), verbose=0)
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_architecture_follows_params():
    model = build_cnn(input_shape=(28, 28, 1), num_classes=3, filters=[8], kernel_size=5,
                      pool_size=2, dense_units=16, activation="tanh")
    convolutions = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(convolutions) == 1 and convolutions[0].kernel_size == (5, 5)
    assert model.output_shape == (None, 3)
