#!/usr/bin/env bash
# The GPU check, ready to run on a machine with an NVIDIA GPU (none was lent when it was written:
# docs/benchmarks.md). From the project root:  bash benchmarks/gpu.sh [MNIST_MIRROR]
# Installs the project with its `gpu` extra (pyproject.toml: tensorflow[and-cuda], a plain pip
# dependency range) into .venv-gpu, then runs `dvc repro` from a clean workspace at default
# params and with the fast setting (benchmarks/fast.yaml), one seed each, and prints the GPU's
# name, each run's wall time, its fit times and its test accuracies.
set -euo pipefail
mirror=$(realpath "${1:-${MNIST_MIRROR:-../shared/data/mnist}}")
python=${PYTHON:-python3}
[ -x .venv-gpu/bin/python ] || "$python" -m venv .venv-gpu
.venv-gpu/bin/pip install -q -e ".[gpu,dev]"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not found"
MNIST_MIRROR="$mirror" PATH="$PWD/.venv-gpu/bin:$PATH" .venv-gpu/bin/python - <<'PYTHON'
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import tensorflow as tf
import yaml

print("TensorFlow", tf.__version__, "GPUs:", [gpu.name for gpu in tf.config.list_physical_devices("GPU")])
spec = importlib.util.spec_from_file_location("benchmark_run", "benchmarks/run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
fast = yaml.safe_load(Path("benchmarks/fast.yaml").read_text())
dvc = [sys.executable, "-m", "dvc", "repro"]
with tempfile.TemporaryDirectory() as scratch:
    for name, overrides in (("default", {}), ("fast", fast)):
        repo = bench.make_pipeline_repo(Path(scratch) / name, overrides=overrides)
        seconds, _, _ = bench.measure(dvc, repo, dict(os.environ))
        fits = bench.fit_seconds(repo)
        accuracy = bench.accuracies(repo)
        print(f"{name:<8} dvc repro {seconds:6.1f} s   fit: dense {fits['dense']:.1f} s, cnn {fits['cnn']:.1f} s"
              f"   test accuracy: dense {accuracy['dense']:.4f}, cnn {accuracy['cnn']:.4f}", flush=True)
print("roofline:", {dtype: f"{rate:.0f} GFLOP/s" for dtype, rate in bench.matmul_roofline().items()})
PYTHON
