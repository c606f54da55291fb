"""The teaching notebook (../shared/seed) as one plain script: the performance baseline.

Only the data loading differs: `mnist.load_data()` needs the internet, so the same four
IDX files are read from the local mirror given as the first argument. Everything else
is the notebook's code: one-hot labels, the two Sequential models, 5 epochs, batch 32,
validation_split=0.1, Adam. Prints one JSON line with accuracies and fit times.
"""

import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    ndim = content[3]
    shape = tuple(int(size) for size in np.frombuffer(content[4 : 4 + 4 * ndim], dtype=">u4"))
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main(mirror):
    start = time.perf_counter()
    from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.utils import to_categorical

    import_seconds = time.perf_counter() - start
    mirror = Path(mirror)
    x_train = read_idx(mirror / "train-images-idx3-ubyte.gz")
    y_train = read_idx(mirror / "train-labels-idx1-ubyte.gz")
    x_test = read_idx(mirror / "t10k-images-idx3-ubyte.gz")
    y_test = read_idx(mirror / "t10k-labels-idx1-ubyte.gz")

    x_train_flat = x_train.reshape(-1, 784).astype("float32") / 255
    x_test_flat = x_test.reshape(-1, 784).astype("float32") / 255
    y_train_cat = to_categorical(y_train, 10)
    y_test_cat = to_categorical(y_test, 10)

    model_dense = Sequential()
    model_dense.add(Dense(128, activation="relu", input_shape=(784,)))
    model_dense.add(Dense(64, activation="relu"))
    model_dense.add(Dense(10, activation="softmax"))
    model_dense.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit_start = time.perf_counter()
    model_dense.fit(x_train_flat, y_train_cat, epochs=5, batch_size=32, validation_split=0.1, verbose=2)
    dense_fit = time.perf_counter() - fit_start
    _, acc_dense = model_dense.evaluate(x_test_flat, y_test_cat, verbose=0)

    x_train_cnn = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test_cnn = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    model_cnn = Sequential()
    model_cnn.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model_cnn.add(MaxPooling2D(pool_size=(2, 2)))
    model_cnn.add(Conv2D(64, kernel_size=(3, 3), activation="relu"))
    model_cnn.add(MaxPooling2D(pool_size=(2, 2)))
    model_cnn.add(Flatten())
    model_cnn.add(Dense(128, activation="relu"))
    model_cnn.add(Dense(10, activation="softmax"))
    model_cnn.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit_start = time.perf_counter()
    model_cnn.fit(x_train_cnn, y_train_cat, epochs=5, batch_size=32, validation_split=0.1, verbose=2)
    cnn_fit = time.perf_counter() - fit_start
    _, acc_cnn = model_cnn.evaluate(x_test_cnn, y_test_cat, verbose=0)

    print(json.dumps({"dense_accuracy": acc_dense, "cnn_accuracy": acc_cnn, "import_seconds": import_seconds,
                      "dense_fit_seconds": dense_fit, "cnn_fit_seconds": cnn_fit}))


if __name__ == "__main__":
    main(sys.argv[1])
