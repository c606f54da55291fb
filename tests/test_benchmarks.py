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
