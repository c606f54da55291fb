"""The fast setting is a set of params overrides: each must be a valid param, and the
README must show the same `dvc exp run -S` command the benchmark measures."""

import importlib.metadata
import importlib.util
import sys

import pytest
import yaml

from dense_vs_cnn.core.params import load_params
from tests.conftest import PROJECT, run, set_params

FAST = yaml.safe_load((PROJECT / "benchmarks" / "fast.yaml").read_text())


def test_fast_setting_is_valid_params(tmp_path):
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text())
    set_params(tmp_path / "params.yaml", FAST)
    load_params(tmp_path / "params.yaml")  # raises on a bad key or value


def test_readme_shows_the_fast_setting():
    readme = (PROJECT / "README.md").read_text()
    for key, value in FAST.items():
        assert f"-S {key}={value}" in readme, key


def test_the_benchmark_needs_no_extra_psutil_comes_with_dvc():
    assert any(requirement.startswith("psutil") for requirement in importlib.metadata.requires("dvc"))
    assert "psutil" not in (PROJECT / "pyproject.toml").read_text()  # one place: DVC's own requirement
    usage = run([sys.executable, "benchmarks/run.py", "--help"], cwd=PROJECT).stdout
    assert usage.startswith("usage: run.py")


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_run", PROJECT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reports_the_mean_and_sample_sd_over_seeds_and_the_fit_rate():
    benchmark = load_benchmark()
    mean, sd = benchmark.mean_and_sd([0.990, 0.992, 0.994])
    assert mean == pytest.approx(0.992) and sd == pytest.approx(0.002)  # n - 1 in the denominator
    assert benchmark.mean_and_sd([0.99]) == (0.99, 0.0)
    # 15.8 MFLOP per image x 54,000 images x 2 epochs in 10 s: 170.6 GFLOP/s.
    assert benchmark.gflops_per_second(15_800_000, 54_000, 2, 10.0) == pytest.approx(170.64)


def test_a_partial_run_prints_only_its_rows_with_their_ratios_to_the_notebook(capsys):
    """--only fast float32 (a slow machine): the notebook, the two fast runs and their fits, nothing else."""
    benchmark = load_benchmark()
    fit = {"dense": {"seconds": 6.0, "epochs": 5, "gflops": 29.0},
           "cnn": {"seconds": 14.0, "epochs": 2, "gflops": 120.0}}
    fast = {"seconds": 60.0, "peak_rss": {"train_cnn": {"rss": 2 * 1024**3, "seconds": 20.0}},
            "accuracy": {"dense": 0.98, "cnn": 0.991}, "fit_seconds": {"dense": 6.0, "cnn": 14.0}, "fit": fit}
    notebook = {"seconds": 120.0, "peak_rss": {}, "accuracy": {"dense": 0.97, "cnn": 0.99}, "fit": fit}
    benchmark.print_table({"notebook": notebook, "fast": fast, "fast_float32": dict(fast, seconds=90.0)})
    printed = capsys.readouterr().out
    rows = {line[:28].strip(): line[28:].split() for line in printed.splitlines()}
    assert rows["notebook script"][:2] == ["120.0", "1.00"]
    assert rows["dvc repro, fast setting"] == ["60.0", "0.50", "0.9800", "0.9910", "2.00"]
    assert rows["fast setting, float32"][:2] == ["90.0", "0.75"]
    assert not {"dvc repro (clean)", "dvc repro (no-op)", "fast, seeds [0, 1, 2]"} & set(rows)
    assert "  fast, float32 dense 6.0 s / 5 ep = 29 GFLOP/s   cnn 14.0 s / 2 ep = 120 GFLOP/s" in printed
    assert "roofline" not in printed
