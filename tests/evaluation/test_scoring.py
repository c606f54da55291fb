import json
import sys

import keras
import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error, log_loss
from dense_vs_cnn.evaluation.scoring import check_input_shape, mean_over_seeds, score, score_seeds
from dense_vs_cnn.model.architectures import build_dense
from tests.conftest import PROJECT, run


@pytest.fixture
def model():
    keras.utils.set_random_seed(0)
    model = build_dense((784,), 10, units=[8], activation="relu")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_model_for_other_images_is_refused(model):
    with pytest.raises(PipelineError, match=r"expects inputs of shape \(784,\)"):
        check_input_shape(model, "dense.keras", (28, 28, 1))
    check_input_shape(model, "dense.keras", (784,))


def test_score_agrees_with_keras_evaluate(model):
    rng = np.random.default_rng(0)
    images = rng.random((50, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=50).astype(np.uint8)
    metrics, speed, predicted = score(model, images, labels, batch_size=16)
    loss, accuracy = model.evaluate(images, labels, verbose=0)
    assert metrics["accuracy"] == pytest.approx(accuracy)
    assert metrics["loss"] == pytest.approx(loss, rel=1e-5)
    assert metrics["parameters"] == model.count_params()
    assert predicted.shape == (50,) and speed["images_per_second"] > 0


# Scores six seeds' models as evaluate does, then predicts with each model itself, in a fresh
# process (TensorFlow counts traces process-wide, as the stage's own process does); a marker line on
# stderr separates the two. Prints each seed's scores and model.predict's results as JSON.
SIX_SEEDS = """
import json, os, sys
import keras, numpy as np
from dense_vs_cnn.evaluation.scoring import score_seeds
from dense_vs_cnn.model.architectures import build_dense
from tests.conftest import PROJECT, run

rng = np.random.default_rng(0)
images = rng.random((50, 784), dtype=np.float32)  # batches of 16: the last one is short
labels = rng.integers(0, 10, size=50).astype(np.uint8)
models = {}
for seed in range(6):
    keras.utils.set_random_seed(seed)
    models[seed] = build_dense((784,), 10, units=[8], activation="relu")
    models[seed].compile(loss="sparse_categorical_crossentropy", steps_per_execution=2)
scores, _, probabilities_of = score_seeds(models, images, labels, batch_size=16)
sys.stderr.flush()
os.write(2, b"--- each model's own predict\\n")
results = {}
for seed, model in models.items():  # after scoring: each model's own weights, restored
    probabilities = model.predict(images, batch_size=16, verbose=0)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    loss = float(keras.ops.convert_to_numpy(loss))
    scored = probabilities_of[seed].argmax(axis=1).tolist()
    results[seed] = {"scored": [scored, scores[seed]["loss"], scores[seed]["accuracy"]],
                     "predict": [probabilities.argmax(axis=1).tolist(), loss,
                                 float(np.mean(probabilities.argmax(axis=1) == labels))]}
print(json.dumps(results))
"""


def test_seeds_are_scored_without_retracing_and_as_each_model_predicts(tmp_path):
    """TensorFlow never warns of tf.function retracing while evaluate scores six seeds (a predict
    function per model did, from the fifth), and every seed's results are its own model.predict's."""
    result = run([sys.executable, "-c", SIX_SEEDS], cwd=tmp_path, env={"PYTHONPATH": str(PROJECT)})
    scoring, predicting = result.stderr.split("--- each model's own predict\n")
    assert "retracing" not in scoring, scoring
    assert "retracing" in predicting  # what a predict per model prints: the check above can fail
    results = json.loads(result.stdout.splitlines()[-1])
    assert len(results) == 6
    for seed, each in results.items():
        assert each["scored"] == each["predict"], seed  # classes, loss and accuracy, exactly


def test_a_seed_whose_model_is_built_differently_is_refused():
    first, other = (build_dense((784,), 10, units=[units], activation="relu") for units in (8, 16))
    images, labels = np.zeros((4, 784), dtype=np.float32), np.zeros(4, dtype=np.uint8)
    before = first.get_weights()
    with pytest.raises(PipelineError) as error:
        score_seeds({3: first, 4: other}, images, labels, batch_size=4)
    assert str(error.value) == ("the dense model of seed 4 is not built like the first seed's: "
                                "run `dvc repro` to retrain it")
    for weights, kept in zip(first.get_weights(), before, strict=True):  # the scorer's own, restored
        np.testing.assert_array_equal(weights, kept)


def test_score_seeds_returns_the_probabilities_behind_the_metrics(model):
    rng = np.random.default_rng(1)
    images = rng.random((60, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=60).astype(np.uint8)
    scores, speed, probabilities = score_seeds({3: model}, images, labels, batch_size=16)
    values = probabilities[3]
    assert values.shape == (60, 10) and values.dtype == np.float32 and speed["images_per_second"] > 0
    np.testing.assert_allclose(values.sum(axis=1), 1, rtol=1e-5)
    metrics = scores[3]
    assert metrics["accuracy"] == np.mean(values.argmax(axis=1) == labels)
    assert metrics["ece"] == expected_calibration_error(values, labels)
    assert metrics["brier"] == brier_score(values, labels)
    # The negative log-likelihood computed from the probabilities is Keras' test loss.
    assert log_loss(values, labels) == pytest.approx(metrics["loss"], rel=1e-6)


def test_mean_over_seeds_averages_accuracy_loss_and_calibration():
    scores = {3: {"accuracy": 0.9, "loss": 0.3, "ece": 0.02, "brier": 0.1, "parameters": 7},
              5: {"accuracy": 0.8, "loss": 0.5, "ece": 0.04, "brier": 0.3, "parameters": 7}}
    assert mean_over_seeds(scores) == pytest.approx({"accuracy": 0.85, "loss": 0.4, "ece": 0.03, "brier": 0.2,
                                                     "parameters": 7})
