import json
import shutil

import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error, log_loss
from stages.evaluate import main as evaluate
from stages.train_dense import main as train_dense
from tests.conftest import set_params, train_arguments


@pytest.fixture
def dense_model(tiny_models):
    """The dense network the train stage made from the synthetic set that `prepared` holds too
    (conftest.py's tiny_models, trained once per worker): the tests only read it."""
    return tiny_models[1]["dense"]


def test_writes_metrics_and_predictions(prepared, dense_model, tmp_path):
    out = tmp_path / "metrics"
    evaluate(["--model", "dense", str(dense_model), str(prepared / "test_flat.npy"),
              "--labels", str(prepared / "test_labels.npy"), "--metrics", str(out / "test.json"),
              "--scores", str(tmp_path / "scores.json"), "--predictions", str(tmp_path / "predictions.csv"),
              "--probabilities", str(tmp_path / "probabilities"),
              "--timing", str(tmp_path / "timings" / "inference.json"), "--out-dir", str(out)])
    metrics = json.loads((out / "test.json").read_text())["dense"]
    # no timing: metrics diff stays quiet
    assert set(metrics) == {"accuracy", "loss", "ece", "brier", "parameters"}
    scores = json.loads((tmp_path / "scores.json").read_text())["3"]["dense"]
    assert scores["inference_flops"] == 2 * (784 * 128 + 128 * 64 + 64 * 10)  # counted from the layers
    assert scores["training_flops"] == 3 * scores["inference_flops"]
    assert scores["model_bytes"] == dense_model.stat().st_size
    assert json.loads((tmp_path / "timings" / "inference.json").read_text())["dense"]["images_per_second"] > 0
    assert 0 <= metrics["accuracy"] <= 1 and metrics["loss"] > 0
    assert metrics["parameters"] == 109_386
    predictions = pd.read_csv(out / "dense_predictions.csv")
    labels = np.load(prepared / "test_labels.npy")
    assert list(predictions.columns) == ["actual", "predicted"]
    np.testing.assert_array_equal(predictions["actual"], labels)
    assert np.mean(predictions["actual"] == predictions["predicted"]) == pytest.approx(metrics["accuracy"])
    per_class = pd.read_csv(out / "dense_per_class.csv")
    assert list(per_class.columns) == ["class", "precision", "recall", "f1", "support"]
    assert per_class["class"].tolist() == list(range(10))
    assert per_class["support"].tolist() == np.bincount(labels, minlength=10).tolist()
    # Recall is the accuracy on each class's images: weighted by support it is the accuracy.
    weighted = (per_class["recall"] * per_class["support"]).sum() / len(labels)
    assert weighted == pytest.approx(metrics["accuracy"], abs=1e-5)


def evaluate_arguments(prepared, out, *models):
    arguments = []
    for name, model in models:
        arguments += ["--model", name, str(model), str(prepared / "test_flat.npy")]
    return [*arguments, "--labels", str(prepared / "test_labels.npy"), "--metrics", str(out / "test.json"),
            "--scores", str(out / "scores.json"), "--predictions", str(out / "predictions.csv"),
            "--probabilities", str(out / "probabilities"),
            "--timing", str(out / "inference.json"), "--out-dir", str(out)]


def test_nothing_is_written_unless_every_model_scores(prepared, dense_model, tmp_path):
    out = tmp_path / "metrics"
    out.mkdir()
    (out / "test.json").write_text('{"accuracy": 0.5}')  # an earlier run's: must stay as it was
    (tmp_path / "cnn.keras").write_bytes(b"")
    with pytest.raises(PipelineError, match=r"cnn.keras is not a loadable Keras model \(the file is empty\)"):
        evaluate(evaluate_arguments(prepared, out, ("dense", dense_model), ("cnn", tmp_path / "cnn.keras")))
    assert [path.name for path in out.iterdir()] == ["test.json"]
    assert (out / "test.json").read_text() == '{"accuracy": 0.5}'


def test_a_seed_folder_that_is_a_link_is_never_read(prepared, tmp_path):
    # DVC restores a cached seed's models through such a link, over those it leads to
    # (tests/e2e/test_workspace_safety.py). Refused before any model is loaded: these are no models.
    (tmp_path / "models" / "seed-3").mkdir(parents=True)
    (tmp_path / "models" / "seed-3" / "dense.keras").write_bytes(b"not a model")
    (tmp_path / "models" / "seed-0").symlink_to("seed-3")
    set_params(tmp_path / "params.yaml", {"seeds": [3, 0]})
    refused = r"^models/seed-0 is a symbolic link \(to seed-3\): models are never read through a link"
    pattern = "models/seed-{seed}/dense.keras"
    with pytest.raises(PipelineError, match=refused + r".*`rm models/seed-0`"):
        evaluate(evaluate_arguments(prepared, tmp_path / "metrics", ("dense", pattern)))
    assert not (tmp_path / "metrics").exists()


def test_labels_outside_the_models_classes_are_refused(prepared, dense_model, tmp_path):
    labels = np.load(prepared / "test_labels.npy").astype(np.int64)
    labels[4] = 12
    np.save(prepared / "test_labels.npy", labels)
    with pytest.raises(PipelineError, match=r"test_labels.npy: label 12 \(index 4\) is not a class"):
        evaluate(evaluate_arguments(prepared, tmp_path / "metrics", ("dense", dense_model)))
    assert not (tmp_path / "metrics").exists()


def test_every_seeds_probabilities_are_saved_and_give_its_scores(prepared, tiny_params, dense_model,
                                                                 tmp_path):
    set_params(tiny_params, {"seeds": [3, 5]})
    (tmp_path / "models" / "seed-3").mkdir(parents=True)
    shutil.copy(dense_model, tmp_path / "models" / "seed-3" / "model.keras")  # seed 3: as trained
    train_dense(train_arguments(prepared, "flat", tmp_path / "models" / "seed-5", seed=5))
    out = tmp_path / "out"
    (out / "probabilities").mkdir(parents=True)
    np.save(out / "probabilities" / "dense_seed8.npy", np.zeros(3))  # a dropped seed's: removed
    models = tmp_path / "models" / "seed-{seed}" / "model.keras"
    evaluate(evaluate_arguments(prepared, out, ("dense", models)))
    assert sorted(path.name for path in (out / "probabilities").iterdir()) == ["dense_seed3.npy",
                                                                              "dense_seed5.npy"]
    labels = np.load(prepared / "test_labels.npy")
    scores = json.loads((out / "scores.json").read_text())
    predictions = pd.read_csv(out / "predictions.csv")
    for seed in ("3", "5"):
        probabilities = np.load(out / "probabilities" / f"dense_seed{seed}.npy", allow_pickle=False)
        assert probabilities.shape == (len(labels), 10) and probabilities.dtype == np.float32
        np.testing.assert_array_equal(probabilities.argmax(axis=1), predictions[f"dense_seed{seed}"])
        assert scores[seed]["dense"]["ece"] == expected_calibration_error(probabilities, labels)
        assert scores[seed]["dense"]["brier"] == brier_score(probabilities, labels)
        assert log_loss(probabilities, labels) == pytest.approx(scores[seed]["dense"]["loss"], rel=1e-5)
    metrics = json.loads((out / "test.json").read_text())["dense"]
    assert metrics["ece"] == pytest.approx(np.mean([scores[seed]["dense"]["ece"] for seed in ("3", "5")]))
    assert metrics["brier"] == pytest.approx(np.mean([scores[seed]["dense"]["brier"] for seed in ("3", "5")]))
    # The reliability bins of the first seed's model: the DVC plot and the report's diagram.
    first = np.load(out / "probabilities" / "dense_seed3.npy")
    bins = pd.read_csv(out / "dense_reliability.csv")
    assert list(bins.columns) == ["bin", "low", "high", "images", "confidence", "accuracy"]
    assert bins["images"].sum() == len(labels) and (bins["images"] > 0).all()
    ece = (bins["images"] * (bins["accuracy"] - bins["confidence"]).abs()).sum() / len(labels)
    assert ece == pytest.approx(expected_calibration_error(first, labels), abs=1e-5)  # CSV: 6 decimals
