"""The MNIST dense-vs-CNN pipeline: one module per DVC stage, plus the code they share.

Shared modules: `params` (load and validate params.yaml), `datasets` (file names,
digests, class names), `idx` (IDX file format), `files` (atomic writes, metrics I/O),
`models` (the two architectures), `training` (compile, fit, save).
"""

import os
import sys

# TensorFlow's C++ start-up notices (CPU features, missing CUDA) drown the Keras progress
# bar; set before any stage imports TensorFlow. Export TF_CPP_MIN_LOG_LEVEL=0 to see them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class PipelineError(Exception):
    """A problem the user can fix (bad params, bad data, no mirror).

    Stages print its message alone, without a traceback, and exit with status 1.
    """


def run_stage(main, argv=None):
    """Run a stage's main(), turning PipelineError into one clear line on stderr."""
    try:
        main(argv)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: no output was written; run `dvc repro` again", file=sys.stderr)
        sys.exit(130)
