"""End to end: the real `dvc repro` on real MNIST files (1000 images per file, 1 epoch)."""

import json

import pytest

from tests.conftest import copy_project, dvc, stages_run

pytestmark = pytest.mark.e2e

STAGES = ["download", "preprocess", "train_dense", "train_cnn", "evaluate", "robustness", "permuted",
          "compare"]




@pytest.fixture(scope="module")
def built(built_project, tmp_path_factory):
    """The session's one real `dvc repro` (conftest.py), on a copy this module may change."""
    repo, output = built_project
    return copy_project(repo, tmp_path_factory.mktemp("pipeline") / "repo"), output


def test_full_repro_runs_every_stage_in_order(built):
    _, output = built
    assert stages_run(output) == STAGES


def test_every_declared_output_exists(built):
    repo, _ = built
    for path in ["data/raw/train-images-idx3-ubyte.gz", "data/prepared/test_channel.npy",
                 "models/seed-3/dense.keras", "models/seed-3/cnn.keras", "metrics/seed-3/dense_history.csv",
                 "metrics/cnn_predictions.csv", "reports/report.md", "dvc.lock"]:
        assert (repo / path).stat().st_size > 0, path


def test_metrics_are_shown_by_dvc(built):
    repo, _ = built
    shown = json.loads(dvc("metrics", "show", "--json", cwd=repo).stdout)
    metrics = shown[""]["data"]
    for model in ("dense", "cnn"):
        test = metrics["metrics/test.json"]["data"][model]
        assert set(test) >= {"accuracy", "loss", "parameters"}
        assert 0.5 < test["accuracy"] <= 1.0  # 900 images, 1 epoch: far above chance (0.1)


def test_second_repro_runs_nothing(built):
    repo, _ = built
    assert stages_run(dvc("repro", cwd=repo).stdout) == []
    assert "up to date" in dvc("status", cwd=repo).stdout
