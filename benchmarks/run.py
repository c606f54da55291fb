"""Benchmark the pipeline against the plain notebook script, in one invocation.

Runs, in order, on the same local MNIST mirror:
  1. benchmarks/notebook.py, the notebook as one plain script (the baseline);
  2. `dvc repro` from a clean workspace (a fresh copy of the project) at default params;
  3. a second, no-op `dvc repro`;
  4. `dvc repro` from a clean workspace with the fast setting (benchmarks/fast.yaml);
then prints wall times and their ratios to the baseline, test accuracies, peak RSS per
stage (sampled every 50 ms), disk used by data/, models/ and the DVC cache, and the
inference time of each model on the test set.

Peak memory comes from psutil, which DVC requires (no extra to install).
Usage: python benchmarks/run.py [--mirror ../shared/data/mnist] [--json results.json]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil  # a requirement of DVC
import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from dense_vs_cnn.core.params import load_params  # noqa: E402
from tests.conftest import make_pipeline_repo  # noqa: E402  (one copy of the set-up code)

GIB = 1024**3


def process_name(process):
    """'notebook', a stage name for `python -m stages.<name>`, or None."""
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return None
    if "benchmarks/notebook.py" in command:
        return "notebook"
    if "-m stages." in command:
        return command.split("-m stages.")[1].split()[0]
    return None


def measure(command, cwd, env):
    """Run `command`; return (wall seconds, {name: {"rss": peak bytes, "seconds": lifetime}}, stdout).

    Names are 'notebook' or a stage name; a stage's lifetime is from the first to the last
    sample that saw its process, so it is exact to about 50 ms.
    """
    peaks, first_seen = {}, {}
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        parent = psutil.Process(child.pid)
        while child.poll() is None:
            for process in [parent, *parent.children(recursive=True)]:
                name = process_name(process)
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                if name:
                    now = time.perf_counter() - start
                    first_seen.setdefault(name, now)
                    peak = peaks.setdefault(name, {"rss": 0})
                    peak["rss"] = max(peak["rss"], rss)
                    peak["seconds"] = now - first_seen[name]
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, peaks, output


def disk_usage(*folders):
    """Bytes on disk under `folders`, counting hard-linked files once."""
    seen, total = set(), 0
    for folder in folders:
        for path in Path(folder).rglob("*"):
            info = path.lstat()
            if path.is_file() and (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def accuracies(repo):
    """{model: test accuracy} from metrics/test.json."""
    return {model: values["accuracy"] for model, values in
            json.loads((repo / "metrics" / "test.json").read_text()).items()}


def fit_seconds(repo):
    """{model: training seconds} of the first seed's models, from timings/seed-<seed>/<model>_train.json."""
    seed = load_params(repo / "params.yaml").seeds[0]
    return {model: json.loads((repo / "timings" / f"seed-{seed}" / f"{model}_train.json").read_text())
            ["train_seconds"] for model in ("dense", "cnn")}


def inference_seconds(repo):
    """Seconds for the first seed's models to predict the 10,000 test images (after one warm-up call)."""
    import keras

    from dense_vs_cnn.core.checks import load_images

    params = load_params(repo / "params.yaml")
    batch_size, seed = params.evaluate.batch_size, params.seeds[0]
    times = {}
    for model, layout in (("dense", "flat"), ("cnn", "channel")):
        network = keras.saving.load_model(repo / "models" / f"seed-{seed}" / f"{model}.keras", safe_mode=True)
        images = load_images(repo / "data" / "prepared" / f"test_{layout}.npy")  # scaled, as evaluate does
        network.predict(images[:batch_size], batch_size=batch_size, verbose=0)
        start = time.perf_counter()
        network.predict(images, batch_size=batch_size, verbose=0)
        times[model] = time.perf_counter() - start
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=str(PROJECT.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    mirror = str(Path(args.mirror).resolve())
    env = dict(os.environ, MNIST_MIRROR=mirror,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    dvc = [sys.executable, "-m", "dvc", "repro"]
    fast = yaml.safe_load((PROJECT / "benchmarks" / "fast.yaml").read_text())
    results = {}

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        print("1/4 notebook script ...", flush=True)
        seconds, peaks, output = measure([sys.executable, "benchmarks/notebook.py", mirror], PROJECT, env)
        notebook = json.loads(output.strip().splitlines()[-1])
        accuracy = {"dense": notebook["dense_accuracy"], "cnn": notebook["cnn_accuracy"]}
        results["notebook"] = {"seconds": seconds, "peak_rss": peaks, "accuracy": accuracy}
        print(f"    {seconds:.1f} s, {notebook}", flush=True)

        print("2/4 dvc repro, clean workspace, default params ...", flush=True)
        repo = make_pipeline_repo(scratch / "default", overrides={})
        seconds, peaks, _ = measure(dvc, repo, env)
        results["pipeline"] = {"seconds": seconds, "peak_rss": peaks,
                               "accuracy": accuracies(repo),
                               "fit_seconds": fit_seconds(repo),
                               "disk": disk_usage(repo / "data", repo / "models", repo / ".dvc" / "cache")}
        print(f"    {seconds:.1f} s", flush=True)

        print("3/4 no-op dvc repro ...", flush=True)
        results["noop"] = {"seconds": measure(dvc, repo, env)[0]}
        results["inference_seconds"] = inference_seconds(repo)

        print("4/4 dvc repro, clean workspace, fast setting ...", flush=True)
        fast_repo = make_pipeline_repo(scratch / "fast", overrides=fast)
        seconds, peaks, _ = measure(dvc, fast_repo, env)
        results["fast"] = {"seconds": seconds, "peak_rss": peaks,
                           "accuracy": accuracies(fast_repo),
                           "fit_seconds": fit_seconds(fast_repo)}

    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


def print_table(results):
    baseline = results["notebook"]["seconds"]
    print(f"\n{'run':<28}{'wall s':>9}{'ratio':>8}{'dense acc':>11}{'cnn acc':>9}{'peak RSS GiB':>14}")
    for key, label in (("notebook", "notebook script"), ("pipeline", "dvc repro (clean)"),
                       ("noop", "dvc repro (no-op)"), ("fast", "dvc repro, fast setting")):
        run = results[key]
        accuracy = run.get("accuracy", {})
        rss = max([stage["rss"] for stage in run.get("peak_rss", {}).values()] or [0]) / GIB
        print(f"{label:<28}{run['seconds']:>9.1f}{run['seconds'] / baseline:>8.2f}"
              f"{accuracy.get('dense', float('nan')):>11.4f}{accuracy.get('cnn', float('nan')):>9.4f}"
              f"{rss:>14.2f}")
    for key in ("pipeline", "fast"):
        print(f"\n{key}: seconds and peak RSS per stage")
        for stage, figures in results[key]["peak_rss"].items():
            print(f"  {stage:<12}{figures['seconds']:>7.1f} s{figures['rss'] / GIB:>7.2f} GiB")
        print("  of which model.fit(): " + ", ".join(
            f"{model} {seconds:.1f} s" for model, seconds in results[key]["fit_seconds"].items()))
    print(f"disk, data/ + models/ + DVC cache: {results['pipeline']['disk'] / 1e6:.0f} MB")
    print("inference on 10,000 test images: " + ", ".join(
        f"{model} {seconds:.2f} s" for model, seconds in results["inference_seconds"].items()))


if __name__ == "__main__":
    main()
