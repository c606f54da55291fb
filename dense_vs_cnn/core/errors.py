"""The one error type a user can fix, and how entry points report it: one line, no traceback.

`run_stage(main)` wraps every stage's main() and those of the `digits-predict` and `digits-demo` commands.
"""

import errno
import os
import re
import signal
import sys

# What a stage says when the file system refuses a write, by errno. The OSError's own text
# follows in brackets: it names the file.
DISK_PROBLEMS = {
    errno.ENOSPC: "no space left on device ({error}): free some disk space, then run `dvc repro` again",
    errno.EDQUOT: "disk quota exceeded ({error}): free some space or ask for a larger quota, "
                  "then run `dvc repro` again",
    errno.EROFS: "read-only file system ({error}): run the pipeline in a folder you can write to",
    errno.EACCES: "permission denied ({error}): make the file and its folder writable "
                  "(or readable, for an input), then run `dvc repro` again",
}
# NumPy reports a short write without an errno: "Not enough free space to write N bytes
# after offset M" (large arrays, which it preallocates) or "N requested and M written".
NUMPY_SHORT_WRITE = re.compile(r"Not enough free space to write|\d+ requested and \d+ written")


class PipelineError(Exception):
    """A problem the user can fix (bad params, bad data, no mirror).

    Stages print its message alone, without a traceback, and exit with status 1.
    """


def missing(path, action="build it"):
    """The error for an input an earlier stage writes: say which command makes it."""
    return PipelineError(f"{path} is missing: run `dvc repro` to {action}")


def printable(name):
    """`name` with control characters (newlines, escapes) written as Python escapes.

    File names come from the user's disk: printed raw, a newline or a terminal escape in
    one could forge a line of output.
    """
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(name))


def disk_problem(error):
    """The one-line message for an OSError the file system gave, or None if it is not one."""
    if error.errno is None and NUMPY_SHORT_WRITE.match(str(error)):
        return DISK_PROBLEMS[errno.ENOSPC].format(error=f"NumPy: {error}")
    problem = DISK_PROBLEMS.get(error.errno)
    return problem and problem.format(error=error)


# The signals that asked this process to stop (SIGINT, SIGTERM), in the order they came.
_stop_requests = []


def _interrupt(signum, frame):
    # SIGTERM's default kills the process without running `finally` blocks: both it and Ctrl-C
    # raise KeyboardInterrupt here, so atomic writes remove their temporary files; noted for
    # stop_if_asked.
    _stop_requests.append(signum)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_if_asked():
    """Raise again the KeyboardInterrupt of a SIGINT or SIGTERM that came under run_stage, where
    a library swallowed it (model/training.py's StopWhenAsked says where)."""
    if _stop_requests:
        raise KeyboardInterrupt(signal.Signals(_stop_requests[-1]).name)


def run_stage(main, argv=None):
    """Run a stage's main(): one clear line on stderr for the problems a user can fix.

    Exit status: 1 for a PipelineError or a refused write (disk full, over quota,
    read-only, permission denied), 128 + the signal number when interrupted (SIGINT: 130,
    SIGTERM: 143). It handles SIGTERM, and SIGINT unless the process started ignoring it.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not a script's `cmd &`
        signal.signal(signal.SIGINT, _interrupt)
    try:
        main(argv)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        problem = disk_problem(error)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt as interruption:
        signum = signal.Signals.__members__.get(str(interruption), signal.SIGINT)
        print(f"interrupted ({signum.name}): no partial output was left; run `dvc repro` to finish",
              file=sys.stderr)
        # Exit now: an interrupted TensorFlow can leave threads that keep the interpreter from
        # finishing (seen under load), and the temporary files are already gone (atomic_path).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)
