"""Run `dvc ... --json` with this interpreter's DVC and return its parsed output: the one copy that
check_results.py and pr_comment.py share (they import it from this folder, which Python puts first
on sys.path when it runs a script). Reads and writes nothing itself; DVC reads the project."""

import json
import subprocess
import sys


def dvc_json(*arguments: str):
    """DVC's JSON answer to `dvc ARGUMENTS --json`; on a failure, exit with one line naming it."""
    command = f"dvc {' '.join(arguments)} --json"
    result = subprocess.run([sys.executable, "-m", "dvc", *arguments, "--json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        problem = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        sys.exit(f"error: `{command}` failed: {problem[0]}")
    try:
        return json.loads(result.stdout or "{}")
    except json.JSONDecodeError as problem:
        sys.exit(f"error: `{command}` printed no JSON ({problem})")
