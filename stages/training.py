"""Training shared by train_dense and train_cnn: they differ only in the architecture.

`train_stage(section, architecture)` is their whole main(): it checks params, loads the
train and validation tensors, builds the model, trains it seeded, and writes the model
(.keras), its per-epoch history (CSV, a DVC plot) and the training time (JSON metric).
All three are written under temporary names and renamed at the very end, so an
interrupted run leaves none of them behind.
"""

import argparse
import math
import time

from stages import PipelineError
from stages.datasets import get_dataset
from stages.distribute import distribution_strategy
from stages.files import atomic_path, load_array, write_json
from stages.params import TRAINING_KEYS, load_params


def learning_rate(rate, schedule, total_steps):
    """The optimizer's learning rate: constant, or decayed along a cosine to 0 at the end."""
    import keras

    schedules = {
        "constant": lambda: rate,
        "cosine": lambda: keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps),
    }
    return schedules[schedule]()


def compile_model(model, optimizer, learning_rate, loss, steps_per_execution):
    import keras

    model.compile(
        optimizer=keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}}
        ),
        loss=loss,
        metrics=["accuracy"],
        # Runs several batches per call into TensorFlow: same updates, less Python overhead.
        steps_per_execution=steps_per_execution,
    )


def fit(model, train, val, *, epochs, batch_size, loss, history_path):
    """Train on `train` = (images, labels), validate on `val`; return seconds taken."""
    import keras

    (train_images, train_labels), (val_images, val_labels) = train, val
    if loss == "categorical_crossentropy":  # the notebook's one-hot labels
        train_labels = keras.utils.to_categorical(train_labels, model.output_shape[-1])
        val_labels = keras.utils.to_categorical(val_labels, model.output_shape[-1])
    start = time.perf_counter()
    model.fit(
        train_images, train_labels,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(val_images, val_labels),
        callbacks=[keras.callbacks.CSVLogger(str(history_path))],
    )
    return time.perf_counter() - start


def train_stage(section, architecture, argv=None):
    parser = argparse.ArgumentParser(description=f"Train the {architecture} model ({section}).")
    parser.add_argument("--train", nargs=2, metavar=("IMAGES", "LABELS"), required=True)
    parser.add_argument("--val", nargs=2, metavar=("IMAGES", "LABELS"), required=True)
    parser.add_argument("--model", required=True, help="where to save the .keras model")
    parser.add_argument("--history", required=True, help="per-epoch history CSV")
    parser.add_argument("--summary", required=True, help="training time JSON")
    args = parser.parse_args(argv)
    params = load_params(["seed", "data", "train", section])  # before importing TensorFlow: fail fast
    settings = params[section]
    if params["train"]["distribution"] == "multi_worker" and settings["steps_per_execution"] != 1:
        # Keras 3.15's multi-step loop fails across workers (a placeholder is never fed).
        raise PipelineError(f"params.yaml: train.distribution = multi_worker needs "
                            f"{section}.steps_per_execution = 1, not {settings['steps_per_execution']}")
    num_classes = len(get_dataset(params["data"]["dataset"]).class_names)
    train = load_array(args.train[0]), load_array(args.train[1])
    val = load_array(args.val[0]), load_array(args.val[1])

    import keras
    import tensorflow as tf

    from stages.models import ARCHITECTURES

    strategy = distribution_strategy(params["train"]["distribution"])  # multi-worker needs it first
    keras.mixed_precision.set_global_policy(settings["precision"])
    keras.utils.set_random_seed(params["seed"])
    tf.config.experimental.enable_op_determinism()
    layer_settings = {key: value for key, value in settings.items() if key not in TRAINING_KEYS}
    total_steps = settings["epochs"] * math.ceil(len(train[1]) / settings["batch_size"])
    with strategy.scope():  # variables are created (mirrored) where the strategy says
        model = ARCHITECTURES[architecture](train[0].shape[1:], num_classes, **layer_settings)
        rate = learning_rate(settings["learning_rate"], settings["learning_rate_schedule"], total_steps)
        compile_model(model, settings["optimizer"], rate, settings["loss"], settings["steps_per_execution"])
    with atomic_path(args.model) as model_path, atomic_path(args.history) as history_path:
        seconds = fit(model, train, val, epochs=settings["epochs"], batch_size=settings["batch_size"],
                      loss=settings["loss"], history_path=history_path)
        model.save(model_path)
    write_json(args.summary, {"train_seconds": round(seconds, 2), "epochs": settings["epochs"]})
