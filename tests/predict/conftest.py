"""The trained models that the predict tests (digits-predict, digits-demo) share."""

import pytest

from stages.preprocess import main as preprocess
from stages.train_cnn import main as train_cnn
from stages.train_dense import main as train_dense
from tests.conftest import MNIST_MIRROR, PROJECT, built_once, set_params, train_arguments

# Enough real MNIST for models that read clean digits well, in well under a minute.
TRAINING = {"preprocess.max_examples": 12000, "train_dense.epochs": 2, "train_cnn.epochs": 2}


def _train(folder):
    for name in ("params.yaml", "dvc.yaml"):
        (folder / name).write_text((PROJECT / name).read_text())
    set_params(folder / "params.yaml", TRAINING)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        preprocess(["--raw", str(MNIST_MIRROR), "--out", "prepared"])
        for main, layout, name in ((train_dense, "flat", "dense"), (train_cnn, "channel", "cnn")):
            main(train_arguments(folder / "prepared", layout, folder / name))
            (folder / "models" / "seed-3").mkdir(parents=True, exist_ok=True)
            (folder / name / "model.keras").rename(folder / "models" / "seed-3" / f"{name}.keras")
    return ""


@pytest.fixture(scope="package")
def project(tmp_path_factory):
    """A project root: params.yaml, dvc.yaml and models/seed-3/{dense,cnn}.keras trained by the
    real stages on real MNIST; trained once per test run for every xdist worker, and only read."""
    if not (MNIST_MIRROR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"no MNIST mirror at {MNIST_MIRROR}; set MNIST_MIRROR")
    return built_once(tmp_path_factory, "project", _train)[0]
