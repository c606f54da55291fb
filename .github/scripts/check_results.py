"""Pull-request checks that the committed results belong to the committed code and params.

Run from the project root (the workflow in .github/workflows/pr-results.yml does):

    python .github/scripts/check_results.py lock
        `dvc status` must find every dependency and git-tracked output as dvc.lock
        records it: a pull request that changed code, params or data, or edited a
        metrics file by hand, without re-running `dvc repro`, fails. Outputs that
        are only missing here (data and models kept in the DVC cache, not in git)
        are fine: the pipeline is re-run next. dvc.lock must also still be the
        committed one, so that after `dvc repro preprocess` a download or
        preprocessing that produced other data than the committed hashes fails.
    python .github/scripts/check_results.py metrics --base HEAD --tolerance 0.005
        after a re-run, every accuracy in `dvc metrics diff` between --base and the
        workspace must agree within the tolerance (another CPU rounds differently;
        timings are not compared).
"""

import argparse
import subprocess
import sys
from pathlib import Path

import yaml
from run_dvc import dvc_json  # .github/scripts/run_dvc.py, beside this script

MISSING = {"deleted", "not in cache"}


def git_tracked():
    return set(subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split())


def missing_outputs(status, tracked):
    """Outputs only missing here (DVC-cached data and models, not in git): they get re-made."""
    return {path for changes in status.values() for change in changes if isinstance(change, dict)
            for path, state in change.get("changed outs", {}).items()
            if state in MISSING and path not in tracked}


def lock_mismatches(status, tracked):
    """The entries of `dvc status --json` that mean dvc.lock is not this code's, params' or data's.

    A dependency on a folder of other stages' outputs (evaluate's `models`) is modified when
    those outputs are missing here, as the rest of it (DVC's .gitignore files) is in git.
    """
    missing = missing_outputs(status, tracked)
    problems = []
    for stage, changes in status.items():
        for change in changes:
            if isinstance(change, str):  # "changed command", "always changed"
                problems.append(f"{stage}: {change}")
                continue
            for kind, entries in change.items():
                for path, state in entries.items():
                    if isinstance(state, dict):  # params: {"params.yaml": {"key": "modified"}}
                        problems += [f"{stage}: param {key} {how}" for key, how in state.items()]
                    elif any(output.startswith(path.rstrip("/") + "/") for output in missing):
                        continue
                    elif not (state in MISSING and path not in tracked):
                        problems.append(f"{stage}: {kind[len('changed '):]} {path} {state}")
    return problems


def rewritten_stages(committed_lock, current_lock):
    """Stages whose dvc.lock entry differs from the committed one (a re-run made other outputs)."""
    committed = (yaml.safe_load(committed_lock) or {}).get("stages", {})
    current = (yaml.safe_load(current_lock) or {}).get("stages", {})
    return [f"{stage}: dvc.lock entry differs from the committed one"
            for stage in sorted(committed.keys() | current.keys())
            if committed.get(stage) != current.get(stage)]


def committed_lock():
    result = subprocess.run(["git", "show", "HEAD:dvc.lock"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def accuracy_drifts(diff, tolerance):
    """Accuracies in `dvc metrics diff --json` that moved by more than `tolerance` (or vanished)."""
    drifts = []
    for path, metrics in diff.items():
        for name, values in metrics.items():
            if "accuracy" not in name:
                continue
            old, new = values.get("old"), values.get("new")
            if old is None or new is None or abs(new - old) > tolerance:
                drifts.append(f"{path}: {name} committed {old}, re-run {new}")
    return drifts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="check", required=True)
    commands.add_parser("lock", help="dvc.lock matches the code, params and data")
    metrics = commands.add_parser("metrics", help="a re-run reproduces the committed accuracies")
    metrics.add_argument("--base", default="HEAD", help="git revision holding the committed metrics")
    metrics.add_argument("--tolerance", type=float, default=0.005, help="largest accepted difference")
    args = parser.parse_args(argv)

    if args.check == "lock":
        problems = lock_mismatches(dvc_json("status"), git_tracked())
        lock = Path("dvc.lock")
        problems += rewritten_stages(committed_lock(), lock.read_text() if lock.exists() else "")
        advice = ("The committed results do not belong to the committed code and params. "
                  "Run `dvc repro` and commit dvc.lock, metrics/ and reports/.")
    else:
        problems = accuracy_drifts(dvc_json("metrics", "diff", args.base, "--all"), args.tolerance)
        advice = (f"Re-running the pipeline changed an accuracy by more than {args.tolerance} "
                  f"from the numbers committed at {args.base}.")
    if problems:
        sys.exit("\n".join([advice, *problems]))
    print(f"{args.check}: ok")


if __name__ == "__main__":
    main()
