"""The one error type a user can fix, and how entry points report it: one line, no traceback.

`run_stage(main)` wraps every stage's and the `digits-predict` command's main().
"""

import errno
import signal
import sys

from dense_vs_cnn.core.quiet import quiet_tensorflow


class PipelineError(Exception):
    """A problem the user can fix (bad params, bad data, no mirror).

    Stages print its message alone, without a traceback, and exit with status 1.
    """


def missing(path, action="build it"):
    """The error for an input an earlier stage writes: say which command makes it."""
    return PipelineError(f"{path} is missing: run `dvc repro` to {action}")


def _interrupt(signum, frame):
    # Python's default SIGTERM handling kills the process without running `finally`
    # blocks; as an exception it unwinds like Ctrl-C, so atomic writes remove their
    # temporary files.
    raise KeyboardInterrupt(signal.Signals(signum).name)


def run_stage(main, argv=None):
    """Run a stage's main(): one clear line on stderr for the problems a user can fix.

    Exit status: 1 for a PipelineError or a full disk, 128 + the signal number when
    interrupted (SIGINT: 130, SIGTERM: 143).
    """
    signal.signal(signal.SIGTERM, _interrupt)
    quiet_tensorflow()
    try:
        main(argv)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        print(f"error: no space left on device ({error}): free some disk space, "
              "then run `dvc repro` again", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt as interruption:
        signum = signal.Signals.__members__.get(str(interruption), signal.SIGINT)
        print(f"interrupted ({signum.name}): no partial output was left; run `dvc repro` to finish",
              file=sys.stderr)
        sys.exit(128 + signum)
