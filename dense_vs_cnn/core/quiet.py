"""Keep TensorFlow's start-up notices out of a normal run's terminal, never a real error.

On a CPU machine every TensorFlow process prints, through its C++ logger and partly
before that logger reads TF_CPP_MIN_LOG_LEVEL, lines such as "oneDNN custom operations
are on", "Could not find cuda drivers" and "failed call to cuInit: ... (303)". They
describe the machine, not a problem. `quiet_tensorflow()` forwards the process's stderr
line by line, dropping only those known notices; everything else (tracebacks, `error:`
lines, any other TensorFlow message) passes unchanged. TF_CPP_MIN_LOG_LEVEL=0 shows all.
"""

import atexit
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
    r"NodeDef mentions attribute use_unbounded_threadpool",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
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


def quiet_tensorflow():
    """Filter this process's stderr (file descriptor 2) from now on; see the module docstring.

    Returns a function that stops the filter once everything written has been passed on
    (also run at exit).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's own INFO and WARNING lines
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        return sys.stderr.flush
    sys.stderr.flush()
    terminal = os.dup(2)
    reader, writer = os.pipe()
    os.dup2(writer, 2)
    os.close(writer)
    forwarder = threading.Thread(target=_forward, args=(reader, terminal), daemon=True)
    forwarder.start()

    def drain():
        sys.stderr.flush()
        if forwarder.is_alive():
            os.dup2(terminal, 2)  # closes the pipe's last write end: the forwarder reaches its end
            forwarder.join(timeout=5)

    atexit.register(drain)
    return drain
