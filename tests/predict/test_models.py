from pathlib import Path

import numpy as np
import pytest
import yaml

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.predict.cli import dataset_name
from dense_vs_cnn.predict.models import (
    _read_once,
    artifact_paths,
    classify,
    default_model,
    load_models,
    model_paths,
    ranked,
)
from tests.conftest import PROJECT


def test_artifacts_are_the_first_seeds_models_the_pipeline_trains():
    # dvc.yaml's artifact paths must be outputs of its stages: `--model cnn` and
    # `dvc artifacts get REPO cnn` would otherwise point at a file nothing makes.
    stages = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    first_seed = yaml.safe_load((PROJECT / "params.yaml").read_text())["seeds"][0]
    declared = [next(iter(out)) if isinstance(out, dict) else out
                for stage in stages.values() for out in stage.get("outs", [])]
    outputs = {Path(path.replace("${item.seed}", str(first_seed))) for path in declared}
    paths = artifact_paths(PROJECT)
    assert set(paths) == {"dense", "cnn"}
    assert set(paths.values()) <= outputs
    assert paths["cnn"] == Path(f"models/seed-{first_seed}/cnn.keras")


def test_choice_is_all_an_artifact_name_or_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "seed-3").mkdir(parents=True)
    for name in ("dense.keras", "cnn.keras", "notes.txt", ".cnn.tmp-x1y2.keras"):
        (tmp_path / "models" / "seed-3" / name).write_text("")
    for name in ("params.yaml", "dvc.yaml"):
        (tmp_path / name).write_text((PROJECT / name).read_text())
    assert model_paths("all") == [Path("models/seed-3/cnn.keras"), Path("models/seed-3/dense.keras")]
    assert model_paths("dense") == [Path("models/seed-3/dense.keras")]
    assert model_paths("elsewhere/my.keras") == [Path("elsewhere/my.keras")]
    (tmp_path / "dvc.yaml").unlink()
    assert model_paths("cnn") == [Path("cnn")]  # outside a project: a path


def test_the_layout_is_dvc_yamls_own(tmp_path, monkeypatch):
    # The folder of the first seed's models is read from dvc.yaml's artifacts, not retyped here:
    # a project that moves them is followed, and the first seed still fills in the path.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text().replace("- 3\n", "- 7\n", 1))
    (tmp_path / "dvc.yaml").write_text((PROJECT / "dvc.yaml").read_text().replace(
        "path: models/seed-${seeds[0]}/", "path: trained/first-${seeds[0]}/"))
    assert default_model() == Path("trained/first-7/cnn.keras")
    assert artifact_paths() == {"dense": Path("trained/first-7/dense.keras"),
                                "cnn": Path("trained/first-7/cnn.keras")}
    (tmp_path / "dvc.yaml").write_text("artifacts: [not, a, mapping]\n")
    with pytest.raises(PipelineError, match=r"^dvc\.yaml: .*pass --model PATH\.keras"):
        artifact_paths()


def test_params_yaml_is_read_once_however_many_ask(tmp_path, monkeypatch):
    # A 100 MB params.yaml took digits-predict 124 s: it was parsed for the class names, then again
    # for the first seed. Now once per process (and version of the file).
    monkeypatch.chdir(tmp_path)
    for name in ("params.yaml", "dvc.yaml"):
        (tmp_path / name).write_text((PROJECT / name).read_text())
    before = _read_once.cache_info()
    assert dataset_name(None) == "mnist"
    assert default_model() == Path("models/seed-3/cnn.keras")
    assert model_paths("cnn") == [Path("models/seed-3/cnn.keras")] and model_paths("all") == []  # untrained
    after = _read_once.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 3)
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text().replace("- 3\n", "- 80\n", 1))
    assert default_model() == Path("models/seed-80/cnn.keras")  # a new version is read again


def test_no_model_says_run_dvc_repro(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("params.yaml", "dvc.yaml"):
        (tmp_path / name).write_text((PROJECT / name).read_text())
    with pytest.raises(PipelineError, match=r"no \.keras model in models/seed-3: run `dvc repro` first"):
        load_models(model_paths("all"), tuple("0123456789"), "mnist")


def test_models_answer_in_their_own_layout_and_must_match_the_classes(project):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        models = load_models(model_paths("all"), tuple("0123456789"), "mnist")
        with pytest.raises(PipelineError, match="10 classes but tiny has 3: pass the right --dataset"):
            load_models([Path("models/seed-3/cnn.keras")], ("a", "b", "c"), "tiny")
    images = np.zeros((2, 28, 28), dtype=np.float32)
    images[:, 4:24, 13:15] = 1  # a "1"
    probabilities = classify(models, images)
    assert list(probabilities) == ["cnn", "dense"]
    for rows in probabilities.values():
        assert rows.shape == (2, 10) and np.allclose(rows.sum(axis=1), 1, atol=1e-5)


def test_ranked_lists_the_best_classes_first():
    assert ranked(np.array([0.1, 0.6, 0.05, 0.25]), ("a", "b", "c", "d")) == [
        ("b", pytest.approx(0.6)), ("d", pytest.approx(0.25)), ("a", pytest.approx(0.1))]
