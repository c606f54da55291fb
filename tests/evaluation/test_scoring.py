import json
import sys

import keras
import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.scoring import check_input_shape, score, score_seeds
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
scores, _, predicted = score_seeds(models, images, labels, batch_size=16)
sys.stderr.flush()
os.write(2, b"--- each model's own predict\\n")
results = {}
for seed, model in models.items():  # after scoring: each model's own weights, restored
    probabilities = model.predict(images, batch_size=16, verbose=0)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    loss = float(keras.ops.convert_to_numpy(loss))
    results[seed] = {"scored": [predicted[seed].tolist(), scores[seed]["loss"], scores[seed]["accuracy"]],
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
