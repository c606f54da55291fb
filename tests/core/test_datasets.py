import json
from pathlib import Path

import pytest

from dense_vs_cnn.core.datasets import DATASETS, ROLES, get_dataset
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.fetch import decompressed_md5, download
from dense_vs_cnn.data.idx import read_idx
from stages.download import main as download_stage
from tests.conftest import dvc, make_pipeline_repo, set_params, stages_run

FASHION_MIRROR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
needs_fashion = pytest.mark.skipif(not FASHION_MIRROR.is_dir(), reason="dataset-fashion-mnist not installed")


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_is_complete(name):
    dataset = get_dataset(name)
    assert set(dataset.files) == set(ROLES) and len(dataset.class_names) == 10
    assert len({name for name, _ in dataset.files.values()}) == 4
    assert dataset.mirrors and all(url.startswith("https://") for url in dataset.mirrors)


def test_fashion_class_names_are_the_published_ones():
    assert get_dataset("fashion_mnist").class_names[:2] == ("T-shirt/top", "Trouser")
    assert get_dataset("fashion_mnist").class_names[-1] == "Ankle boot"


@needs_fashion
def test_fashion_digests_match_the_debian_files():
    files = get_dataset("fashion_mnist").files
    for role, (name, md5) in files.items():
        assert decompressed_md5(FASHION_MIRROR / name) == md5, role
    images = read_idx(FASHION_MIRROR / files["test_images"][0], ndim=3)
    assert images.shape == (10000, 28, 28)


@needs_fashion
def test_fashion_downloads_through_mnist_mirror(tiny_params, tmp_path, monkeypatch):
    set_params(tiny_params, {"data.dataset": "fashion_mnist"})
    monkeypatch.setenv("MNIST_MIRROR", str(FASHION_MIRROR))
    download_stage(["--out", str(tmp_path / "raw")])
    assert len(list((tmp_path / "raw").iterdir())) == 4


def test_failure_message_names_the_datasets_offline_folder(idx_files, tmp_path):
    dataset = get_dataset("fashion_mnist")
    with pytest.raises(PipelineError) as error:
        download(dataset.downloads(), [str(idx_files)], tmp_path / "raw", timeout=5,
                 offline_copy=(dataset.offline_copy, dataset.offline_note))
    assert "MNIST_MIRROR=/usr/share/datasets/fashion-mnist dvc repro" in str(error.value)
    assert "apt-get install dataset-fashion-mnist" in str(error.value)


@pytest.mark.e2e
@needs_fashion
def test_switching_the_dataset_reruns_the_whole_pipeline(tmp_path):
    repo = make_pipeline_repo(tmp_path)
    dvc("repro", cwd=repo)
    set_params(repo / "params.yaml", {"data.dataset": "fashion_mnist"})
    output = dvc("repro", cwd=repo, env={"MNIST_MIRROR": str(FASHION_MIRROR)}).stdout
    assert stages_run(output) == [
        "download", "preprocess", "train_dense", "train_cnn", "evaluate", "robustness", "compare"]
    for model in ("dense", "cnn"):
        accuracy = json.loads((repo / "metrics/test.json").read_text())[model]["accuracy"]
        assert 0.4 < accuracy < 1  # 900 clothes, 1 epoch: far above chance (0.1)


def test_decompressed_sizes_are_the_real_files(real_mnist_sample):
    """Downloads stop at each real file's exact size (MNIST; Fashion-MNIST has the same shapes)."""
    from tests.conftest import MNIST_MIRROR

    for name, md5, size in get_dataset("mnist").downloads():
        assert decompressed_md5(MNIST_MIRROR / name, size) == md5  # reads up to `size`: no more, no less
        with pytest.raises(ValueError, match=f"decompresses to more than the {size - 1:,} bytes"):
            decompressed_md5(MNIST_MIRROR / name, size - 1)
