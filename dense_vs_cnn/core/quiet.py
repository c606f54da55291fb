"""Keep TensorFlow's notices about the machine out of the terminal, never a real error, and
leave the terminal a terminal.

On a CPU machine, importing TensorFlow prints lines such as "oneDNN custom operations are
on" and "Could not find cuda drivers", and its first look at the devices "failed call to
cuInit: ... (303)"; with op determinism on (training), a fit prints "NodeDef mentions
attribute use_unbounded_threadpool" (tf.data, at ERROR level). They describe the machine or
TensorFlow itself, not a problem. The processes that train, score or predict call
`import_tensorflow()` before their first TensorFlow or Keras import, and train inside
`filtered_stderr()`; the others (download, preprocess, compare) never import TensorFlow and
are left alone. That is:
- TensorFlow's own switch, TF_CPP_MIN_LOG_LEVEL=2 (unless already set): its C++ INFO and
  WARNING lines are not printed for the rest of the process; its errors and its Python
  warnings are;
- during the import and the first look at the devices, and during training, file descriptor
  2 is read through a pipe that drops the known notices above, which that switch leaves
  (TF_CPP_MIN_LOG_LEVEL=3 would silence them, and every real error with them); every other
  line (a traceback, an error) is passed on at once. Afterwards stderr is the terminal
  again (tqdm draws its bar; Keras draws on stdout, never filtered).
TF_CPP_MIN_LOG_LEVEL=0 shows everything.
`import_tensorflow()` then freezes what the import made (gc.freeze): about a second less a process.
It also keeps Keras from importing matplotlib, which these processes never draw with.
"""

import contextlib
import gc
import os
import re
import sys
import threading

NOTICES = [
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"Could not find cuda drivers on your machine",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"To enable the following instructions: .* rebuild TensorFlow",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"NodeDef mentions attribute use_unbounded_threadpool",  # tf.data, under op determinism
]
# Without an NVIDIA driver, "failed call to cuInit" only says there is no GPU; with one,
# it is a real error and is shown.
if not os.path.exists("/proc/driver/nvidia/version"):
    NOTICES.append(r"failed call to cuInit")
NOTICE = re.compile("|".join(NOTICES))


def _forward(source, target):
    with os.fdopen(source, "rb") as lines:
        for line in lines:
            if not NOTICE.search(line.decode(errors="replace")):
                os.write(target, line)


@contextlib.contextmanager
def filtered_stderr():
    """Inside the block, lines written to file descriptor 2 reach it only if they are no NOTICE
    (all of them with TF_CPP_MIN_LOG_LEVEL=0)."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    reader, writer = os.pipe()
    os.dup2(writer, 2)
    os.close(writer)
    forwarder = threading.Thread(target=_forward, args=(reader, terminal), daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)  # closes the pipe's last write end: the forwarder reaches its end
        forwarder.join(timeout=5)
        if not forwarder.is_alive():
            os.close(terminal)


def import_tensorflow():
    """Import TensorFlow and Keras, and look at the devices, without the start-up notices.

    See the module docstring. Does nothing once TensorFlow is imported.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # read when TensorFlow is imported
    # Keras imports matplotlib.pyplot, if it can, for its image-gallery plots only, which no
    # stage draws: 0.7 s a process. Unimportable during the import, importable again after.
    skip_matplotlib = "matplotlib" not in sys.modules
    if skip_matplotlib:
        sys.modules["matplotlib"] = None
    try:
        with filtered_stderr():
            import keras  # noqa: F401  (imports TensorFlow, which prints the notices)
            import tensorflow as tf

            tf.config.list_physical_devices()  # where "failed call to cuInit" is printed
    finally:
        if skip_matplotlib:
            del sys.modules["matplotlib"]
    # The import leaves about 349,000 objects that live as long as the process. Frozen (out of
    # the garbage collector's view; what is made later is collected as usual), they are not
    # walked again by each full collection, nor by the interpreter's exit: a second a process.
    gc.freeze()
