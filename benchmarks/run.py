"""Benchmark the pipeline against the plain notebook script, in one invocation.

Runs, in order, on the same local MNIST mirror:
  1. benchmarks/notebook.py, the notebook as one plain script (the baseline);
  2. `dvc repro` from a clean workspace (a fresh copy of the project) at default params;
  3. a second, no-op `dvc repro`;
  4. `dvc repro` from a clean workspace with the fast setting (benchmarks/fast.yaml), one seed;
  5. the same with `seeds: [0, 1, 2]`, in another clean workspace: the fast recipe's accuracy
     as a mean over three seeds (a single seed can be lucky);
  6. the fast setting with `precision: float32` for both models (what a CPU without bfloat16
     gets), one seed;
  7. a 2048 x 2048 matrix product in TensorFlow, float32 and (where the CPU has AVX512_BF16
     or AMX) bfloat16: the machine's roofline for dense arithmetic, in this invocation;
then prints wall times and their ratios to the baseline, test accuracies, peak RSS per
stage (sampled every 50 ms), each model's fit against the floating-point work it did
(GFLOP/s, from dense_vs_cnn/model/costs.py) beside that roofline, disk used by data/,
models/ and the DVC cache, and the inference time of each model on the test set.

Peak memory comes from psutil, which DVC requires (no extra to install).
Usage: python benchmarks/run.py [--mirror ../shared/data/mnist] [--json results.json]
                               [--only default fast seeds float32 roofline]
--only runs the baseline and the runs named (on a slow machine, say only `fast float32`): every
row printed is still from this one invocation.
"""

import argparse
import json
import math
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
from dense_vs_cnn.core.quiet import import_tensorflow  # noqa: E402  (without its start-up notices)
from tests.conftest import make_pipeline_repo  # noqa: E402  (one copy of the set-up code)

GIB = 1024**3
RUNS = ("default", "fast", "seeds", "float32", "roofline")  # what --only picks from; the notebook always runs


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


def mean_and_sd(values):
    """(mean, sample standard deviation) of a list of numbers; sd 0 for a single value."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, (sum((value - mean) ** 2 for value in values) / (len(values) - 1)) ** 0.5


def seed_accuracies(repo):
    """{model: [test accuracy of each seed]} from data/scores.json, in params.yaml's seed order."""
    scores = json.loads((repo / "data" / "scores.json").read_text())
    seeds = load_params(repo / "params.yaml").seeds
    return {model: [scores[str(seed)][model]["accuracy"] for seed in seeds] for model in ("dense", "cnn")}


def gflops_per_second(training_flops, examples, epochs, seconds):
    """Floating-point work of a fit per second, in GFLOP/s: training FLOPs per image (forward and
    backward, costs.py) x images per epoch x epochs / seconds. The validation passes are left out
    (about 4 % more work on MNIST's 6,000 validation images)."""
    return training_flops * examples * epochs / seconds / 1e9


def fit_rates(repo):
    """{model: {"seconds", "epochs", "gflops"}} of the first seed's fits (timings/ JSON, costs.py)."""
    import_tensorflow()
    import keras

    from dense_vs_cnn.core.files import load_array
    from dense_vs_cnn.model.costs import model_costs

    seed = load_params(repo / "params.yaml").seeds[0]
    examples = len(load_array(repo / "data" / "prepared" / "train_labels.npy"))
    rates = {}
    for model in ("dense", "cnn"):
        timing = json.loads((repo / "timings" / f"seed-{seed}" / f"{model}_train.json").read_text())
        network = keras.saving.load_model(repo / "models" / f"seed-{seed}" / f"{model}.keras", safe_mode=True)
        flops = model_costs(network)["training_flops"]
        seconds, epochs = timing["train_seconds"], timing["epochs"]
        rates[model] = {"seconds": seconds, "epochs": epochs, "training_flops": flops, "examples": examples,
                        "gflops": gflops_per_second(flops, examples, epochs, seconds)}
    return rates


def matmul_roofline(size=2048, repeats=20):
    """{dtype: GFLOP/s} of a size x size matrix product in TensorFlow (best of `repeats`, after a
    warm-up): float32 always, bfloat16 where the CPU has AVX512_BF16 or AMX (or on a GPU)."""
    import_tensorflow()
    import tensorflow as tf

    from dense_vs_cnn.model.training import bfloat16_hardware

    dtypes = [tf.float32, *([tf.bfloat16] if bfloat16_hardware() else [])]
    rates = {}
    for dtype in dtypes:
        a = tf.cast(tf.random.stateless_normal((size, size), seed=(0, 1)), dtype)
        b = tf.cast(tf.random.stateless_normal((size, size), seed=(0, 2)), dtype)
        product = tf.function(tf.matmul)
        product(a, b).numpy()
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            product(a, b).numpy()
            best = min(best, time.perf_counter() - start)
        rates[dtype.name] = 2 * size**3 / best / 1e9
    return rates


def inference_seconds(repo):
    """Seconds for the first seed's models to predict the 10,000 test images (after one warm-up call)."""
    import_tensorflow()
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
    parser.add_argument("--only", nargs="+", choices=RUNS, default=RUNS, metavar="RUN",
                        help=f"after the notebook script, only these of {', '.join(RUNS)} (default: all)")
    args = parser.parse_args()
    mirror = str(Path(args.mirror).resolve())
    env = dict(os.environ, MNIST_MIRROR=mirror,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    dvc = [sys.executable, "-m", "dvc", "repro"]
    fast = yaml.safe_load((PROJECT / "benchmarks" / "fast.yaml").read_text())
    results = {}

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        print("1/7 notebook script ...", flush=True)
        seconds, peaks, output = measure([sys.executable, "benchmarks/notebook.py", mirror], PROJECT, env)
        notebook = json.loads(output.strip().splitlines()[-1])
        accuracy = {"dense": notebook["dense_accuracy"], "cnn": notebook["cnn_accuracy"]}
        results["notebook"] = {"seconds": seconds, "peak_rss": peaks, "accuracy": accuracy}
        print(f"    {seconds:.1f} s, {notebook}", flush=True)

        if "default" in args.only:
            run_default(results, scratch, dvc, env)
        if "fast" in args.only:
            print("4/7 dvc repro, clean workspace, fast setting, one seed ...", flush=True)
            results["fast"] = run_fast(scratch / "fast", fast, dvc, env)
        if "seeds" in args.only:
            print("5/7 dvc repro, clean workspace, fast setting, seeds [0, 1, 2] ...", flush=True)
            seeds_repo = make_pipeline_repo(scratch / "fast-seeds", overrides={**fast, "seeds": [0, 1, 2]})
            seconds, peaks, _ = measure(dvc, seeds_repo, env)
            results["fast_seeds"] = {"seconds": seconds, "peak_rss": peaks, "seeds": [0, 1, 2],
                                     "accuracy": seed_accuracies(seeds_repo)}
            print(f"    {seconds:.1f} s", flush=True)
        if "float32" in args.only:
            print("6/7 dvc repro, clean workspace, fast setting in float32 ...", flush=True)
            float32 = {**fast, "train_dense.precision": "float32", "train_cnn.precision": "float32"}
            results["fast_float32"] = run_fast(scratch / "fast-float32", float32, dvc, env)
        if "roofline" in args.only:
            print("7/7 matmul roofline ...", flush=True)
            results["roofline"] = matmul_roofline()
        # The notebook script trains the same two architectures on the same 54,000 images, 5 epochs.
        runs = [results[key] for key in ("pipeline", "fast", "fast_float32") if key in results]
        fits = runs[0]["fit"] if runs else {}  # FLOPs per image and images: the same in every run
        results["notebook"]["fit"] = {
            model: {"seconds": notebook[f"{model}_fit_seconds"], "epochs": 5,
                    "gflops": gflops_per_second(fit["training_flops"], fit["examples"], 5,
                                                notebook[f"{model}_fit_seconds"])}
            for model, fit in fits.items()}

    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


def run_fast(folder, overrides, dvc, env):
    """A clean one-seed `dvc repro` with `overrides` (the fast setting or a variant of it)."""
    repo = make_pipeline_repo(folder, overrides=overrides)
    seconds, peaks, _ = measure(dvc, repo, env)
    print(f"    {seconds:.1f} s", flush=True)
    return {"seconds": seconds, "peak_rss": peaks, "accuracy": accuracies(repo),
            "fit_seconds": fit_seconds(repo), "fit": fit_rates(repo)}


def run_default(results, scratch, dvc, env):
    """A clean `dvc repro` at default params, then a no-op one, and the models' inference time."""
    print("2/7 dvc repro, clean workspace, default params ...", flush=True)
    repo = make_pipeline_repo(scratch / "default", overrides={})
    seconds, peaks, _ = measure(dvc, repo, env)
    results["pipeline"] = {"seconds": seconds, "peak_rss": peaks, "accuracy": accuracies(repo),
                           "fit_seconds": fit_seconds(repo), "fit": fit_rates(repo),
                           "disk": disk_usage(repo / "data", repo / "models", repo / ".dvc" / "cache")}
    print(f"    {seconds:.1f} s", flush=True)
    print("3/7 no-op dvc repro ...", flush=True)
    results["noop"] = {"seconds": measure(dvc, repo, env)[0]}
    results["inference_seconds"] = inference_seconds(repo)


def print_table(results):
    """The figures of the runs in `results` (--only may have left some out)."""
    baseline = results["notebook"]["seconds"]
    print(f"\n{'run':<28}{'wall s':>9}{'ratio':>8}{'dense acc':>11}{'cnn acc':>9}{'peak RSS GiB':>14}")
    for key, label in (("notebook", "notebook script"), ("pipeline", "dvc repro (clean)"),
                       ("noop", "dvc repro (no-op)"), ("fast", "dvc repro, fast setting"),
                       ("fast_float32", "fast setting, float32"), ("fast_seeds", "fast, seeds [0, 1, 2]")):
        if key not in results:
            continue
        run = results[key]
        accuracy = run.get("accuracy", {})
        if key == "fast_seeds":  # the mean over the seeds
            accuracy = {model: mean_and_sd(values)[0] for model, values in accuracy.items()}
        rss = max([stage["rss"] for stage in run.get("peak_rss", {}).values()] or [0]) / GIB
        print(f"{label:<28}{run['seconds']:>9.1f}{run['seconds'] / baseline:>8.2f}"
              f"{accuracy.get('dense', float('nan')):>11.4f}{accuracy.get('cnn', float('nan')):>9.4f}"
              f"{rss:>14.2f}")
    if "fast_seeds" in results:
        seeds = results["fast_seeds"]
        print(f"\nfast setting over seeds {seeds['seeds']} (mean ± sd of the test accuracy):")
        for model, values in seeds["accuracy"].items():
            mean, sd = mean_and_sd(values)
            each = ", ".join(f"{value:.4f}" for value in values)
            print(f"  {model:<6} {100 * mean:.2f} % ± {100 * sd:.2f}  ({each})")
    print("\nfit against the work done (training FLOPs x images x epochs / fit seconds):")
    if "roofline" in results:
        print("  matmul roofline, 2048 x 2048 in TensorFlow: " + ", ".join(
            f"{dtype} {rate:.0f} GFLOP/s" for dtype, rate in results["roofline"].items()))
    for key, label in (("notebook", "notebook"), ("pipeline", "default"), ("fast", "fast"),
                       ("fast_float32", "fast, float32")):
        if results.get(key, {}).get("fit"):
            print(f"  {label:<14}" + "   ".join(
                f"{model} {fit['seconds']:.1f} s / {fit['epochs']} ep = {fit['gflops']:.0f} GFLOP/s"
                for model, fit in results[key]["fit"].items()))
    for key in ("pipeline", "fast", "fast_float32"):
        if key not in results:
            continue
        print(f"\n{key}: seconds and peak RSS per stage")
        for stage, figures in results[key]["peak_rss"].items():
            print(f"  {stage:<12}{figures['seconds']:>7.1f} s{figures['rss'] / GIB:>7.2f} GiB")
        print("  of which model.fit(): " + ", ".join(
            f"{model} {seconds:.1f} s" for model, seconds in results[key]["fit_seconds"].items()))
    if "pipeline" in results:
        print(f"disk, data/ + models/ + DVC cache: {results['pipeline']['disk'] / 1e6:.0f} MB")
        print("inference on 10,000 test images: " + ", ".join(
            f"{model} {seconds:.2f} s" for model, seconds in results["inference_seconds"].items()))


if __name__ == "__main__":
    main()
