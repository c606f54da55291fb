"""Load params.yaml and check the sections a stage reads, before any heavy work.

Each stage calls `load_params([...sections])` once in main() and passes plain values
on; nothing else reads params.yaml. A bad value stops the stage with one message that
names the key and what is allowed; an unknown key suggests the closest valid one.
"""

import difflib
from pathlib import Path

import yaml

from dense_vs_cnn.core.datasets import DATASETS
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


def _rule(test, wanted):
    def check(value):
        return None if test(value) else wanted
    return check


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
positive_int = _rule(lambda value: _is_int(value) and value > 0, "a positive integer")
non_negative_int = _rule(lambda value: _is_int(value) and value >= 0, "an integer >= 0")
positive_number = _rule(lambda value: _is_number(value) and value > 0, "a positive number")
fraction = _rule(lambda value: _is_number(value) and 0 < value < 1, "a number between 0 and 1 (exclusive)")
boolean = _rule(lambda value: isinstance(value, bool), "true or false")
text = _rule(lambda value: isinstance(value, str) and value != "", "a non-empty string")

TRAINING = {
    "epochs": positive_int,
    "batch_size": positive_int,
    "optimizer": one_of(OPTIMIZERS),
    "learning_rate": positive_number,
    "learning_rate_schedule": one_of(SCHEDULES),
    "loss": one_of(LOSSES),
    "steps_per_execution": positive_int,
    "precision": one_of(PRECISIONS),
}

SCHEMAS = {
    "seeds": seed_list,
    "data": {"dataset": one_of(tuple(DATASETS))},
    "download": {
        "mirrors": _rule(lambda value: isinstance(value, list) and all(text(item) is None for item in value),
                         "a list (possibly empty) of URLs or folders"),
        "timeout_seconds": positive_number,
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
    "evaluate": {"batch_size": positive_int},
    "compare": {
        "language": one_of(LANGUAGES),
        "bootstrap_samples": positive_int,
        "bootstrap_seed": non_negative_int,
    },
}

# Keys of a train_* section that configure the optimisation rather than the architecture.
TRAINING_KEYS = tuple(TRAINING)


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
    return values


def load_params(sections, path="params.yaml"):
    """Read `path` and return {section: values} for `sections`, all checked."""
    try:
        params = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
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
