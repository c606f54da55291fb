"""The two architectures the pipeline compares, as pure functions of their params.

Both end in a softmax over the classes, computed in float32 even under a mixed-precision
policy (Keras' advice: probabilities near 0 and 1 need the range). Builders never read params.yaml: the train
stage passes the architecture keys of its params section as keyword arguments.
"""

import keras
from keras import layers


def build_dense(input_shape, num_classes, units, activation):
    """The notebook's fully connected network: Dense 128-64-10 on flat images."""
    return keras.Sequential(
        [keras.Input(shape=input_shape)]
        + [layers.Dense(width, activation=activation) for width in units]
        + [layers.Dense(num_classes, activation="softmax", dtype="float32")],
        name="dense",
    )


def build_cnn(input_shape, num_classes, filters, kernel_size, pool_size, dense_units, activation):
    """The notebook's CNN: (Conv2D, MaxPooling2D) per entry of `filters`, Dense, softmax."""
    convolution_blocks = []
    for count in filters:
        convolution_blocks += [
            layers.Conv2D(count, kernel_size=kernel_size, activation=activation),
            layers.MaxPooling2D(pool_size=pool_size),
        ]
    return keras.Sequential(
        [keras.Input(shape=input_shape)]
        + convolution_blocks
        + [
            layers.Flatten(),
            layers.Dense(dense_units, activation=activation),
            layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="cnn",
    )


ARCHITECTURES = {"dense": build_dense, "cnn": build_cnn}
