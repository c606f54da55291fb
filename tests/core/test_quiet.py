"""A process that imports TensorFlow through import_tensorflow prints none of TensorFlow's start-up
notices on a CPU machine, still prints every other line written to stderr (a real error, a
traceback), keeps its terminal a terminal, freezes what the import made (gc.freeze), and
leaves matplotlib out of it."""

import os
import re
import sys
import traceback

import pytest

from dense_vs_cnn.core.quiet import filtered_stderr
from tests.conftest import PROJECT, in_a_terminal, run

NOTICES = ["oneDNN custom operations", "Could not find cuda drivers", "failed call to cuInit",
           "absl::InitializeLog", "use_unbounded_threadpool"]
# Imports TensorFlow, touches the devices (where cuInit is called), trains a model seeded and
# deterministic as the train stages do (where tf.data logs use_unbounded_threadpool) and predicts,
# then writes one line of its own through Python and one straight to file descriptor 2.
CODE = """
import os, sys
from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.quiet import filtered_stderr, import_tensorflow

def main(argv):
    import_tensorflow()
    import keras, numpy as np, tensorflow as tf
    tf.config.list_physical_devices()
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", "mse", steps_per_execution=2)
    with filtered_stderr():  # as train_stage trains
        model.fit(np.zeros((64, 4)), np.zeros((64, 2)), validation_data=(np.zeros((8, 4)), np.zeros((8, 2))),
                  verbose=0)
    model.predict(np.zeros((8, 4)), verbose=0)
    print("a line of our own", file=sys.stderr)
    os.write(2, b"E0000 something TensorFlow really means\\n")
    ACTION

run_stage(main)
"""
ENV = {"PYTHONPATH": str(PROJECT)}


def program(action="pass"):
    return CODE.replace("ACTION", action)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """The notices the program prints with TF_CPP_MIN_LOG_LEVEL=0 (everything shown) on this machine:
    those the other tests expect gone."""
    result = run([sys.executable, "-c", program()], cwd=tmp_path_factory.mktemp("noisy"),
                 env={**ENV, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert "a line of our own" in result.stderr
    return [notice for notice in NOTICES if notice in result.stderr]


def test_start_up_notices_are_dropped_and_a_real_error_and_its_traceback_kept(tmp_path, noisy):
    assert noisy, "TensorFlow printed none of the notices here: nothing to test"
    result = run([sys.executable, "-c", program("tf.reshape(tf.zeros(4), (3,))")], cwd=tmp_path, env=ENV,
                 check=False)
    for notice in NOTICES:
        assert notice not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:3] == ["a line of our own", "E0000 something TensorFlow really means",
                         "Traceback (most recent call last):"], result.stderr
    assert "InvalidArgumentError" in result.stderr
    assert "Input to reshape is a tensor with 4 values, but the requested shape has 3" in lines[-1]
    assert result.returncode == 1


def test_after_the_import_the_terminal_is_a_terminal_and_the_imported_objects_are_frozen(tmp_path, noisy):
    """After the import, stderr is the terminal again: tqdm and Keras draw their bars. The
    objects the import made (hundreds of thousands) are out of the garbage collector's view.
    Keras did not import matplotlib (0.7 s), which the process can still import itself."""
    action = ("import gc; print('stderr is a terminal:', os.isatty(2), sys.stderr.isatty()); "
              "print('frozen objects:', gc.get_freeze_count()); "
              "print('matplotlib imported:', 'matplotlib' in sys.modules); "
              "import matplotlib.pyplot; print('then imports:', matplotlib.pyplot.__name__)")
    shown = in_a_terminal([sys.executable, "-c", program(action)], tmp_path, env=ENV)
    assert "stderr is a terminal: True True" in shown
    for notice in noisy:
        assert notice not in shown, shown
    assert int(re.search(r"frozen objects: (\d+)", shown).group(1)) > 100_000, shown
    assert "matplotlib imported: False" in shown and "then imports: matplotlib.pyplot" in shown, shown


def test_the_filter_passes_a_traceback_written_while_it_reads(capfd):
    """What TensorFlow's import might print besides its notices (a failing plugin, an error) is kept."""
    with filtered_stderr():
        try:
            raise RuntimeError("a real problem during the import")
        except RuntimeError:
            os.write(2, traceback.format_exc().encode())  # through file descriptor 2, as C++ writes
        os.write(2, b"I0000 00:00:17.5 port.cc:153] oneDNN custom operations are on. You may see ...\n")
        os.write(2, b"E0000 cuda_platform.cc:52] something else went wrong\n")
    lines = capfd.readouterr().err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-2:] == ["RuntimeError: a real problem during the import",
                          "E0000 cuda_platform.cc:52] something else went wrong"]
    assert not [line for line in lines if "oneDNN" in line]


def test_tf_cpp_min_log_level_0_shows_them_all(noisy):
    # Those this machine prints; the filter drops each (above). Two depend on the machine: no cuInit
    # failure with an NVIDIA driver, and the oneDNN notice only on CPUs where TensorFlow turns those
    # operations on by default (AVX512_VNNI, AVX512_BF16 or AMX; not an AVX2-only CPU).
    assert set(NOTICES) - set(noisy) <= {"failed call to cuInit", "oneDNN custom operations"}, noisy
