"""The fast setting is a set of params overrides: each must be a valid param, and the
README must show the same `dvc exp run -S` command the benchmark measures."""

import importlib.metadata
import sys

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
