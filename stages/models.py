"""The two architectures the pipeline compares, as pure functions of their params.

Both end in a softmax over the classes, computed in float32 even under a mixed-precision
policy (Keras' advice: probabilities near 0 and 1 need the range). Builders never read params.yaml: the train
stage passes the architecture keys of its params section as keyword arguments.
"""

from pathlib import Path

import keras
from keras import layers

from stages import PipelineError


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


def load_model(path):
    """Load a .keras model in safe mode (no arbitrary code), or say clearly why not."""
    if not Path(path).is_file():  # Keras reports a missing file as a ValueError
        raise PipelineError(f"{path} is missing: run `dvc repro` to train it")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise PipelineError(f"{path} is not a loadable Keras model ({error}); "
                            "delete it and run `dvc repro` to retrain") from None
