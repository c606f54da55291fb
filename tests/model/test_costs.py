"""FLOP counts from the layers, checked by hand and against TensorFlow's own profiler."""

import pytest
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from dense_vs_cnn.model.architectures import build_cnn, build_dense
from dense_vs_cnn.model.costs import TRAINING_FACTOR, model_costs

NOTEBOOK_DENSE = build_dense((784,), 10, [128, 64], "relu")
NOTEBOOK_CNN = build_cnn((28, 28, 1), 10, [32, 64], 3, 2, 128, "relu")


def profiler_flops(model):
    """What TensorFlow's profiler counts for one image through `model` (biases and pooling included)."""
    function = tf.function(lambda images: model(images)).get_concrete_function(
        tf.TensorSpec((1, *model.input_shape[1:]), tf.float32))
    options = {**tf.compat.v1.profiler.ProfileOptionBuilder.float_operation(), "output": "none"}
    graph = convert_variables_to_constants_v2(function).graph
    return tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op",
                                         options=options).total_float_ops


def test_the_notebooks_models_by_hand():
    # dense: 784x128 + 128x64 + 64x10 multiply-adds; CNN: 26x26x32 outputs of 3x3x1, 11x11x64 of
    # 3x3x32, then 1600x128 and 128x10
    assert model_costs(NOTEBOOK_DENSE)["inference_flops"] == 2 * (784 * 128 + 128 * 64 + 64 * 10)
    cnn = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 1600 * 128 + 128 * 10
    assert model_costs(NOTEBOOK_CNN) == {"inference_flops": 2 * cnn,
                                         "training_flops": TRAINING_FACTOR * 2 * cnn}


@pytest.mark.parametrize("model", [NOTEBOOK_DENSE, NOTEBOOK_CNN,
                                   build_cnn((28, 28, 1), 10, [16, 32], 5, 2, 64, "relu")],
                         ids=["dense", "cnn", "cnn with 5x5 kernels"])
def test_within_two_percent_of_tensorflows_profiler(model):
    ours, theirs = model_costs(model)["inference_flops"], profiler_flops(model)
    assert 0.98 * theirs <= ours <= theirs  # what we leave out (biases, pooling) is small
