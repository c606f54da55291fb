"""Stage check_params: check every section of params.yaml before any stage's command uses it.

DVC pastes `${item.seed}` and `${seeds[0]}` into the train and compare commands unquoted,
so a seed such as `"3; touch x #"` would run in the shell: those stages depend on this
stage's output, so they run only once params.yaml has passed. No TensorFlow: it takes a
second. With no arguments it only checks (the pull-request workflow runs it before dvc).
Reads: params.yaml, every section, as DVC reads it (dense_vs_cnn/core/params.py).
Writes: --out, the same line whatever the params, so that the stages after it are not
re-run when it is, and DVC's run-cache keeps it.
Params: all of them (params.yaml in dvc.yaml).
"""

import argparse

from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.files import write_text
from dense_vs_cnn.core.params import load_params

CHECKED = "params.yaml checked\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check params.yaml, every section.")
    parser.add_argument("--out", help="file to write once the params pass (default: none, only check)")
    args = parser.parse_args(argv)
    load_params()
    if args.out:
        write_text(args.out, CHECKED)
    print(CHECKED, end="")


if __name__ == "__main__":
    run_stage(main)
