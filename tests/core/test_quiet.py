"""A TensorFlow process run through run_stage prints none of TensorFlow's start-up notices
on a CPU machine, and still prints every other line written to stderr."""

import sys

import pytest

from tests.conftest import PROJECT, run

NOTICES = ["oneDNN custom operations", "Could not find cuda drivers", "failed call to cuInit",
           "absl::InitializeLog", "use_unbounded_threadpool"]
# Imports TensorFlow, touches the devices (where cuInit is called) and runs a model, then
# writes one line of its own through Python and one straight to file descriptor 2.
CODE = """
import os, sys
from dense_vs_cnn.core.errors import run_stage

def main(argv):
    import keras, numpy as np, tensorflow as tf
    tf.config.list_physical_devices()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", "mse", steps_per_execution=2)
    model.fit(np.zeros((64, 4)), np.zeros((64, 2)), validation_data=(np.zeros((8, 4)), np.zeros((8, 2))),
              verbose=0)
    model.predict(np.zeros((8, 4)), verbose=0)
    print("a line of our own", file=sys.stderr)
    os.write(2, b"E0000 something TensorFlow really means\\n")

run_stage(main)
"""


@pytest.fixture(scope="module")
def noisy():
    """What plain TensorFlow prints on this machine (no filter): the notices the test expects gone."""
    result = run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
                 cwd=PROJECT, env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    return [notice for notice in NOTICES if notice in result.stderr]


def test_start_up_notices_are_dropped_and_everything_else_kept(tmp_path, noisy):
    assert noisy, "TensorFlow printed none of the notices here: nothing to test"
    result = run([sys.executable, "-c", CODE], cwd=tmp_path, env={"PYTHONPATH": str(PROJECT)})
    for notice in NOTICES:
        assert notice not in result.stderr, result.stderr
    assert result.stderr.splitlines() == ["a line of our own", "E0000 something TensorFlow really means"]


def test_tf_cpp_min_log_level_0_shows_them_all(tmp_path, noisy):
    result = run([sys.executable, "-c", CODE], cwd=tmp_path,
                 env={"PYTHONPATH": str(PROJECT), "TF_CPP_MIN_LOG_LEVEL": "0"})
    for notice in noisy:
        assert notice in result.stderr
