"""The fast setting is a set of params overrides: each must be a valid param, and the
README must show the same `dvc exp run -S` command the benchmark measures."""

import yaml

from dense_vs_cnn.core.params import load_params
from tests.conftest import PROJECT, set_params

FAST = yaml.safe_load((PROJECT / "benchmarks" / "fast.yaml").read_text())


def test_fast_setting_is_valid_params(tmp_path):
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text())
    set_params(tmp_path / "params.yaml", FAST)
    load_params(tmp_path / "params.yaml")  # raises on a bad key or value


def test_readme_shows_the_fast_setting():
    readme = (PROJECT / "README.md").read_text()
    for key, value in FAST.items():
        assert f"-S {key}={value}" in readme, key
