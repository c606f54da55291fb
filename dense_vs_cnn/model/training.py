"""Training shared by train_dense and train_cnn: they differ only in the architecture.

`train` builds the named architecture inside a tf.distribute strategy, trains it seeded
and deterministic, and returns the model and its per-epoch history; the stage scripts
write them.
Importing this module imports TensorFlow: stages import it once their params are checked.
"""

import math
import time
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

from dense_vs_cnn.core.errors import PipelineError, stop_if_asked
from dense_vs_cnn.core.params import TRAINING_KEYS
from dense_vs_cnn.model.architectures import ARCHITECTURES
from dense_vs_cnn.model.distribute import distribution_strategy


def bfloat16_hardware(cpuinfo=Path("/proc/cpuinfo")):
    """Whether bfloat16 runs on hardware made for it here: a GPU, or a CPU with AVX512_BF16 or AMX
    (from Linux's `cpuinfo` flags). None where it cannot tell (no such file: not Linux)."""
    if tf.config.list_physical_devices("GPU"):
        return True
    if not cpuinfo.exists():
        return None
    return bool({"avx512_bf16", "amx_bf16"} & set(cpuinfo.read_text().split()))


def make_learning_rate(rate, schedule, total_steps, warmup_fraction=0):
    """The optimizer's learning rate: constant, or decayed along a cosine to 0 at the end.

    With `warmup_fraction` (cosine only, core/params.py checks it), the first
    round(warmup_fraction * total_steps) steps raise the rate linearly from 0 to `rate`, and the
    cosine decays it over the steps left: warm-up + decay, a one-cycle schedule.
    """
    rate = float(rate)  # params.yaml may say `1`: Keras takes a float only
    if warmup_fraction:
        warmup = round(warmup_fraction * total_steps)
        return keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(total_steps - warmup, 1), warmup_target=rate, warmup_steps=warmup)
    schedules = {
        "constant": lambda: rate,
        "cosine": lambda: keras.optimizers.schedules.CosineDecay(rate, decay_steps=total_steps),
    }
    return schedules[schedule]()


def make_loss(loss, label_smoothing):
    """The loss Keras compiles: its name, or with label smoothing the categorical cross-entropy that
    smooths (on one-hot labels, which `fit` makes; the sparse loss has no smoothing)."""
    if not label_smoothing:
        return loss
    return keras.losses.CategoricalCrossentropy(label_smoothing=float(label_smoothing))


def compile_model(model, optimizer, learning_rate, loss, steps_per_execution):
    model.compile(
        optimizer=keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}}
        ),
        loss=loss,
        metrics=["accuracy"],
        # Runs several batches per call into TensorFlow: same updates, less Python overhead.
        steps_per_execution=steps_per_execution,
    )


class EpochProgbar(keras.callbacks.ProgbarLogger):
    """Keras' progress bar, counting no step past the end of an epoch: Keras reports an epoch's
    last call into TensorFlow as `steps_per_execution` steps even when fewer are left (1,688
    steps, 64 per call: "1728/1688")."""

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch if self.target is None else min(batch, self.target - 1), logs)


class StopWhenAsked(keras.callbacks.Callback):
    """Stop the training once Ctrl-C or SIGTERM came, also where Keras swallowed its
    KeyboardInterrupt: it converts each batch's logs to numbers under a bare `except: pass`
    (`pythonify_logs`), where a Ctrl-C that comes while it waits for TensorFlow is lost, and
    the training would go on. It stops at the end of that call into TensorFlow (up to
    steps_per_execution batches), of that validation batch, or of that epoch."""

    def on_train_batch_end(self, batch, logs=None):
        stop_if_asked()

    on_test_batch_end = on_epoch_end = on_train_batch_end


def fit(model, train, val, *, epochs, batch_size, one_hot):
    """Train on `train` = (images, labels), validate on `val`.

    Returns (history, seconds): one row per epoch, numbered from 1 as the report does,
    with the training and validation accuracy and loss. A loss that becomes NaN or
    infinite stops the training at that batch (TerminateOnNaN): every later update would
    be NaN too. Ctrl-C or SIGTERM stops it (StopWhenAsked).
    `one_hot`: give the loss one-hot labels (the notebook's categorical cross-entropy, and
    label smoothing) rather than class numbers.
    """
    (train_images, train_labels), (val_images, val_labels) = train, val
    if one_hot:
        train_labels = keras.utils.to_categorical(train_labels, model.output_shape[-1])
        val_labels = keras.utils.to_categorical(val_labels, model.output_shape[-1])
    start = time.perf_counter()
    history = model.fit(
        train_images, train_labels,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(val_images, val_labels),
        callbacks=[StopWhenAsked(), keras.callbacks.TerminateOnNaN(), EpochProgbar()],
    )
    seconds = time.perf_counter() - start
    columns = ("accuracy", "loss", "val_accuracy", "val_loss")
    # Series: a training stopped by TerminateOnNaN may lack the last epoch's validation.
    frame = pd.DataFrame({column: pd.Series(history.history.get(column, []), dtype=float)
                          for column in columns})
    frame.insert(0, "epoch", range(1, len(frame) + 1))
    return frame, seconds


def check_converged(history, learning_rate):
    """Refuse a training whose loss or accuracy became NaN or infinite: its model predicts nonsense."""
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        for epoch, value in zip(history["epoch"], history[name], strict=True):
            if not math.isfinite(value):
                raise PipelineError(
                    f"training diverged: {name} became {value} in epoch {epoch}, so training stopped and "
                    f"nothing was saved; lower the learning_rate (now {learning_rate}) or check the data"
                )


def train(architecture, settings, train, val, *, num_classes, seed, distribution):
    """Build, compile and fit `architecture` with the train_* section `settings` (core/params.py
    TrainDense or TrainCnn).

    Returns (model, history, seconds). `train` and `val` are (images, labels) pairs.
    """
    strategy = distribution_strategy(distribution)  # multi-worker needs it before any other op
    keras.mixed_precision.set_global_policy(settings.precision)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    layer_settings = settings.model_dump(exclude=set(TRAINING_KEYS))  # the architecture keys
    steps_per_epoch = math.ceil(len(train[1]) / settings.batch_size)
    total_steps = settings.epochs * steps_per_epoch
    # More steps per execution than an epoch has runs the same updates, but Keras' bar then
    # counts past the epoch's end ("64/29 ... -1s").
    steps_per_execution = min(settings.steps_per_execution, steps_per_epoch)
    with strategy.scope():  # variables are created (mirrored) where the strategy says
        model = ARCHITECTURES[architecture](train[0].shape[1:], num_classes, **layer_settings)
        learning_rate = make_learning_rate(settings.learning_rate, settings.learning_rate_schedule,
                                           total_steps, settings.warmup_fraction)
        compile_model(model, settings.optimizer, learning_rate,
                      make_loss(settings.loss, settings.label_smoothing), steps_per_execution)
    one_hot = settings.loss == "categorical_crossentropy" or bool(settings.label_smoothing)
    history, seconds = fit(model, train, val, epochs=settings.epochs, batch_size=settings.batch_size,
                           one_hot=one_hot)
    check_converged(history, settings.learning_rate)
    return model, history, seconds
