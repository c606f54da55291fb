"""Load params.yaml and check the sections a stage reads, before any heavy work.

Each stage calls `load_params([...sections])` once in main() and passes plain values
on; nothing else reads params.yaml. A bad value stops the stage with one message that
names the key and what is allowed; an unknown key suggests the closest valid one.
Every value that passes runs: what TensorFlow, NumPy or the memory cannot take is
bounded here, with the bound and its reason in the message.
"""

import difflib
import math
import re
from pathlib import Path

import yaml

from dense_vs_cnn.core.datasets import DATASETS, IMAGE_SIZE
from dense_vs_cnn.core.errors import PipelineError

# Names Keras accepts (keras.optimizers.get / keras.activations.get) and the code's own
# tables. Listed here so that params are checked without importing TensorFlow; the tests
# of this module check each list against Keras and the table it names.
OPTIMIZERS = ("adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl", "lion",
              "nadam", "rmsprop", "sgd")
ACTIVATIONS = ("elu", "gelu", "leaky_relu", "linear", "mish", "relu", "relu6", "selu",
               "sigmoid", "silu", "softplus", "softsign", "swish", "tanh")
LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy")
LANGUAGES = ("en", "fr")
SCHEDULES = ("constant", "cosine")  # dense_vs_cnn/model/training.py make_learning_rate()
DISTRIBUTIONS = ("auto", "none", "mirrored", "multi_worker")  # dense_vs_cnn/model/distribute.py
# Keras mixed-precision policies: bfloat16 pays off on CPUs with AVX512_BF16/AMX and on GPUs.
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


class _Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where `1e-3` (no dot) is a string; DVC reads YAML 1.2, where it is
    0.001. This loader reads such numbers as DVC does, so params.yaml means one thing."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
                              list("-+.0123456789"))


def _rule(test, wanted):
    def check(value):
        return None if test(value) else wanted
    return check


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    """An int or a finite float: `1.0e+400` reads as infinity, which no computation survives."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def one_of(allowed):
    return _rule(lambda value: value in allowed, "one of: " + ", ".join(allowed))


def optional(check):
    def check_optional(value):
        problem = None if value is None else check(value)
        return problem and f"null or {problem}"
    return check_optional


def list_of(check, wanted):
    return _rule(
        lambda value: isinstance(value, list) and value and all(check(item) is None for item in value),
        f"a non-empty list of {wanted}",
    )


MAX_SEED = 2**32 - 1  # keras.utils.set_random_seed hands it to NumPy, which takes 32 bits
seed = _rule(lambda value: _is_int(value) and 0 <= value <= MAX_SEED, f"an integer from 0 to {MAX_SEED}")
seed_list = _rule(
    lambda value: isinstance(value, list) and value and all(seed(item) is None for item in value)
    and len(set(value)) == len(value),
    f"a non-empty list of distinct integers from 0 to {MAX_SEED}, e.g. [0, 1, 2]",
)


def int_up_to(high, why):
    return _rule(lambda value: _is_int(value) and 0 < value <= high,
                 f"a positive integer, at most {high} ({why})")


positive_int = _rule(lambda value: _is_int(value) and value > 0, "a positive integer")
non_negative_int = _rule(lambda value: _is_int(value) and value >= 0, "an integer >= 0")
positive_number = _rule(lambda value: _is_number(value) and value > 0, "a positive, finite number")
# TensorFlow holds batch sizes and step counts in 32-bit integers.
batch_size = int_up_to(2**31 - 1, "TensorFlow's 32-bit sizes")
fraction = _rule(lambda value: _is_number(value) and 0 < value < 1, "a number between 0 and 1 (exclusive)")
boolean = _rule(lambda value: isinstance(value, bool), "true or false")
text = _rule(lambda value: isinstance(value, str) and value != "", "a non-empty string")

TRAINING = {
    "epochs": positive_int,
    "batch_size": batch_size,
    "optimizer": one_of(OPTIMIZERS),
    "learning_rate": positive_number,
    "learning_rate_schedule": one_of(SCHEDULES),
    "loss": one_of(LOSSES),
    # Keras' progress bar grows with it (2**31 - 1 writes a 4 GB line); 64 already saves most overhead.
    "steps_per_execution": int_up_to(1000, "more saves nothing and floods the progress bar"),
    "precision": one_of(PRECISIONS),
}

SCHEMAS = {
    "seeds": seed_list,
    "data": {"dataset": one_of(tuple(DATASETS))},
    "download": {
        "mirrors": _rule(lambda value: isinstance(value, list) and all(text(item) is None for item in value),
                         "a list (possibly empty) of URLs or folders"),
        "timeout_seconds": _rule(lambda value: _is_number(value) and 0 < value <= 3600,
                                 "a number of seconds above 0, at most 3600"),
        "public_mirrors": boolean,
    },
    "train": {"distribution": one_of(DISTRIBUTIONS)},
    "preprocess": {"validation_fraction": fraction, "max_examples": optional(positive_int)},
    "train_dense": {
        **TRAINING,
        "units": list_of(positive_int, "positive integers"),
        "activation": one_of(ACTIVATIONS),
    },
    "train_cnn": {
        **TRAINING,
        "filters": list_of(positive_int, "positive integers"),
        "kernel_size": positive_int,
        "pool_size": positive_int,
        "dense_units": positive_int,
        "activation": one_of(ACTIVATIONS),
    },
    "evaluate": {"batch_size": batch_size},
    "compare": {
        "language": one_of(LANGUAGES),
        # Resamples are drawn as counts of three outcomes: a million take 0.2 s and 24 MB.
        "bootstrap_samples": int_up_to(1_000_000, "more changes no printed digit"),
        "bootstrap_seed": non_negative_int,
    },
}

# Keys of a train_* section that configure the optimisation rather than the architecture.
TRAINING_KEYS = tuple(TRAINING)

# The architectures as dense_vs_cnn/model/architectures.py builds them, checked before any
# is built: the CNN must fit the images, and either model must fit in memory.
MAX_PARAMETERS = 100_000_000  # weights, gradients and the optimizer's two moments: 16 bytes each
NUM_CLASSES = max(len(dataset.class_names) for dataset in DATASETS.values())


def _dense_layers(widths, inputs):
    """Parameters of Dense layers of `widths` on `inputs` features, then the softmax layer."""
    total = 0
    for width in [*widths, NUM_CLASSES]:
        total, inputs = total + (inputs + 1) * width, width
    return total


def dense_parameters(values):
    """The number of parameters of the dense network a train_dense section builds."""
    return _dense_layers(values["units"], IMAGE_SIZE**2)


def cnn_feature_map(filters, kernel_size, pool_size):
    """The side of the CNN's last feature map on IMAGE_SIZE x IMAGE_SIZE images.

    Each block's Conv2D (padding "valid", stride 1) takes kernel_size - 1 off the side and
    its MaxPooling2D divides it by pool_size, rounding down: a window larger than the map
    it slides over leaves nothing, which Keras reports as a traceback.
    """
    side = IMAGE_SIZE
    for block in range(1, len(filters) + 1):
        for layer, window in (("kernel", kernel_size), ("pool", pool_size)):
            if side < window:
                raise PipelineError(
                    f"params.yaml: train_cnn.filters = {filters} with kernel_size {kernel_size} and "
                    f"pool_size {pool_size} does not fit the {IMAGE_SIZE}x{IMAGE_SIZE} images: block {block} "
                    f"gets a {side}x{side} feature map, smaller than its {window}x{window} {layer}; "
                    "use fewer entries in filters, or a smaller kernel_size or pool_size"
                )
            side = side - window + 1 if layer == "kernel" else side // window
    return side


def cnn_parameters(values):
    """The number of parameters of the CNN a train_cnn section builds (it must fit the images)."""
    filters, kernel_size = values["filters"], values["kernel_size"]
    side = cnn_feature_map(filters, kernel_size, values["pool_size"])
    inputs = [1, *filters[:-1]]  # channels into each block: the grayscale image, then the previous block
    convolutions = sum((kernel_size**2 * channels + 1) * count
                       for channels, count in zip(inputs, filters, strict=True))
    return convolutions + _dense_layers([values["dense_units"]], side * side * filters[-1])


def _fits_in_memory(section, keys, parameters):
    """A check of a train_* section: the model it builds has at most MAX_PARAMETERS parameters."""
    def check(values):
        count = parameters(values)
        if count > MAX_PARAMETERS:
            where = " and ".join(f"{section}.{key} = {values[key]}" for key in keys)
            raise PipelineError(
                f"params.yaml: {where} make a model of {count:,} parameters; at most {MAX_PARAMETERS:,} "
                "(with their gradients and the optimizer's state, 16 bytes each: 1.6 GB): "
                "use fewer or narrower layers"
            )
    return check


SECTION_CHECKS = {
    "train_dense": _fits_in_memory("train_dense", ["units"], dense_parameters),
    "train_cnn": _fits_in_memory("train_cnn", ["filters", "dense_units"], cnn_parameters),
}


def _unknown_key_message(where, key, known):
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(known)}"
    return f"params.yaml: unknown key {where}{key!r}: {hint}"


def _check(name, value, check):
    problem = check(value)
    if problem:
        raise PipelineError(f"params.yaml: {name} = {value!r} is invalid: expected {problem}")


def check_section(params, section):
    """Return params[section] after checking it against SCHEMAS[section]."""
    if section not in params:
        raise PipelineError(f"params.yaml: section {section!r} is missing; see README.md for its keys")
    schema, values = SCHEMAS[section], params[section]
    if callable(schema):
        _check(section, values, schema)
        return values
    if not isinstance(values, dict):
        raise PipelineError(f"params.yaml: {section!r} must be a mapping of keys, got {values!r}")
    for key in values:
        if key not in schema:
            raise PipelineError(_unknown_key_message(f"{section}.", key, list(schema)))
    for key, check in schema.items():
        if key not in values:
            raise PipelineError(f"params.yaml: {section}.{key} is missing; add it to the {section}: section")
        _check(f"{section}.{key}", values[key], check)
    SECTION_CHECKS.get(section, lambda values: None)(values)
    return values


def load_params(sections, path="params.yaml"):
    """Read `path` and return {section: values} for `sections`, all checked."""
    try:
        params = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader
    except FileNotFoundError:
        raise PipelineError(f"{path} not found: run the stage from the project root") from None
    except yaml.YAMLError as error:
        raise PipelineError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path} must be a mapping of sections, got {params!r}")
    for key in params:
        if key not in SCHEMAS:
            raise PipelineError(_unknown_key_message("", key, list(SCHEMAS)))
    return {section: check_section(params, section) for section in sections}


def check_seed(value):
    """One entry of `seeds`, as dvc.yaml's matrix hands it to a train stage on its command line."""
    _check("seeds entry", value, seed)
    return value
