"""Score one trained model on the test set: accuracy, loss, calibration, cost, speed, and every
prediction with its class probabilities."""

import time

import keras
import numpy as np

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error
from dense_vs_cnn.model.costs import model_costs


def check_input_shape(model, path, images_shape):
    """Refuse a model that does not take test images of this shape (the wrong model for them)."""
    if tuple(model.input_shape[1:]) != tuple(images_shape):
        raise PipelineError(
            f"{path} expects inputs of shape {model.input_shape[1:]} but the test images have "
            f"shape {tuple(images_shape)}: is it the right model for these images?"
        )


def predict_probabilities(model, images, batch_size, name="the model"):
    """Every image's class probabilities (float32, as Keras gives them) and the inference speed."""
    model.predict(images[:batch_size], batch_size=batch_size, verbose=0)  # builds the graph: not timed
    start = time.perf_counter()
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    if not np.isfinite(probabilities).all():  # argmax would still pick a class: a silent wrong answer
        raise PipelineError(f"{name} predicts NaN or infinite probabilities: its weights are not finite; "
                            "delete it and run `dvc repro` to retrain")
    # A timing varies from run to run: never a DVC output, so that the same inputs give the same bytes.
    return probabilities, {"images_per_second": round(len(images) / seconds)}


def metrics_from(model, probabilities, labels):
    """Test accuracy, loss (Keras' own), calibration (ECE, Brier) and the model's cost in FLOPs."""
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    return {
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == labels)),
        "loss": float(keras.ops.convert_to_numpy(loss)),
        "ece": expected_calibration_error(probabilities, labels),
        "brier": brier_score(probabilities, labels),
        "parameters": int(model.count_params()),
        **model_costs(model),
    }


def score(model, images, labels, batch_size, name="the model"):
    """Return test metrics (with the model's cost in FLOPs), inference speed and the predicted class
    of every image."""
    probabilities, speed = predict_probabilities(model, images, batch_size, name)
    return metrics_from(model, probabilities, labels), speed, probabilities.argmax(axis=1)


def score_seeds(models, images, labels, batch_size):
    """Score one architecture's model of every seed. `models`: {seed: model}, first seed first.

    Every seed's weights are scored through the first seed's model, swapped in and restored
    after: one predict function, traced once, for all seeds. A predict function per model
    would be traced once per seed, and from the fifth TensorFlow warns of "tf.function
    retracing", which is no problem but reads as one. The probabilities are those of each
    model's own predict: same graph, same weights.
    Returns ({seed: test metrics}, the first seed's inference speed, {seed: class probabilities}).
    """
    scorer = next(iter(models.values()))
    own_weights = scorer.get_weights()
    scores, speeds, probabilities = {}, {}, {}
    try:
        for seed, model in models.items():
            name = f"the {model.name} model of seed {seed}"
            if [w.shape for w in model.weights] != [w.shape for w in scorer.weights]:
                raise PipelineError(f"{name} is not built like the first seed's: "
                                    "run `dvc repro` to retrain it")
            scorer.set_weights(model.get_weights())
            probabilities[seed], speeds[seed] = predict_probabilities(scorer, images, batch_size, name)
            scores[seed] = metrics_from(model, probabilities[seed], labels)
            print(f"{model.name}, seed {seed}: test accuracy {scores[seed]['accuracy']:.4f}, test loss "
                  f"{scores[seed]['loss']:.4f}, expected calibration error {scores[seed]['ece']:.4f}")
    finally:
        scorer.set_weights(own_weights)
    return scores, speeds[next(iter(models))], probabilities


def mean_over_seeds(scores):
    """The test metrics of one architecture averaged over its seeds (the DVC metric)."""
    first = next(iter(scores.values()))
    return {**{key: float(np.mean([each[key] for each in scores.values()]))
               for key in ("accuracy", "loss", "ece", "brier")},
            "parameters": first["parameters"]}
