import re

import keras
import pytest
import yaml

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import (
    ACTIVATIONS,
    OPTIMIZERS,
    SCHEMAS,
    cnn_feature_map,
    cnn_parameters,
    dense_parameters,
    load_params,
)
from tests.conftest import PROJECT


def write(tmp_path, params):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture
def params():
    return yaml.safe_load((PROJECT / "params.yaml").read_text())


def test_project_params_are_valid_and_match_the_notebook():
    loaded = load_params(list(SCHEMAS), path=PROJECT / "params.yaml")
    for model in ("train_dense", "train_cnn"):
        assert loaded[model]["epochs"] == 5 and loaded[model]["batch_size"] == 32
        assert loaded[model]["optimizer"] == "adam" and loaded[model]["learning_rate"] == 0.001
    assert loaded["preprocess"]["validation_fraction"] == 0.1
    assert loaded["train_dense"]["units"] == [128, 64]
    assert loaded["train_cnn"]["filters"] == [32, 64]


def test_missing_key_is_named(tmp_path, params):
    del params["train_cnn"]["epochs"]
    with pytest.raises(PipelineError, match=r"train_cnn\.epochs is missing"):
        load_params(["train_cnn"], path=write(tmp_path, params))


def test_unknown_key_suggests_the_closest(tmp_path, params):
    params["train_cnn"]["epoch"] = 3
    with pytest.raises(PipelineError, match=r"unknown key train_cnn\.'epoch'.*did you mean 'epochs'"):
        load_params(["train_cnn"], path=write(tmp_path, params))


def test_unknown_key_without_a_close_match_lists_the_valid_keys(tmp_path, params):
    params["evaluate"]["verbosity"] = 2
    with pytest.raises(PipelineError, match=r"unknown key evaluate\.'verbosity': valid keys: batch_size"):
        load_params(["evaluate"], path=write(tmp_path, params))


def test_unknown_section_suggests_the_closest(tmp_path, params):
    params["train_cnm"] = params.pop("train_cnn")
    with pytest.raises(PipelineError, match="did you mean 'train_cnn'"):
        load_params(["seed"], path=write(tmp_path, params))


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("train_cnn", "epochs", "five", "a positive integer"),
        ("train_cnn", "epochs", 0, "a positive integer"),
        ("train_dense", "batch_size", -32, "a positive integer"),
        ("train_cnn", "epochs", 5.5, "a positive integer"),
        ("train_dense", "learning_rate", 0, "a positive, finite number"),
        ("train_dense", "learning_rate", float("inf"), "a positive, finite number"),
        ("train_cnn", "learning_rate", float("nan"), "a positive, finite number"),
        ("train_dense", "steps_per_execution", 2**31,
         r"a positive integer, at most 1000 \(more saves nothing"),
        ("train_dense", "steps_per_execution", 1001, "a positive integer, at most 1000"),
        ("train_cnn", "batch_size", 2**31,
         r"a positive integer, at most 2147483647 \(TensorFlow's 32-bit sizes\)"),
        ("evaluate", "batch_size", 2**63, "a positive integer, at most 2147483647"),
        ("compare", "bootstrap_samples", 100_000_000,
         r"a positive integer, at most 10000 \(10,000 resamples of 10,000 test images take 500 MB\)"),
        ("download", "timeout_seconds", 1e300, "a number of seconds above 0, at most 3600"),
        ("preprocess", "validation_fraction", -0.1, "a number between 0 and 1"),
        ("download", "mirrors", "https://example.com/", r"a list \(possibly empty\) of URLs or folders"),
        ("download", "timeout_seconds", "30s", "a number of seconds above 0, at most 3600"),
        ("train_dense", "epochs", True, "a positive integer"),
        ("preprocess", "validation_fraction", 1.0, "a number between 0 and 1"),
        ("preprocess", "validation_fraction", 0, "a number between 0 and 1"),
        ("preprocess", "max_examples", -1, "null or a positive integer"),
        ("train_dense", "optimizer", "adamm", "one of: .*adam, adamax"),
        ("train_cnn", "activation", "rleu", "one of: .*relu"),
        ("train_cnn", "loss", "mse", "one of: sparse_categorical_crossentropy"),
        ("train_dense", "units", [], "a non-empty list of positive integers"),
        ("compare", "language", "de", "one of: en, fr"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(tmp_path, params, section, key, value, expected):
    params[section][key] = value
    with pytest.raises(PipelineError, match=rf"{section}\.{key} = .* is invalid: expected {expected}"):
        load_params([section], path=write(tmp_path, params))


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(PipelineError, match="not found"):
        load_params(["seed"], path=tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("seed: [1, 2\n")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_params(["seed"], path=tmp_path / "bad.yaml")


def test_allowed_names_are_the_ones_keras_knows():
    for name in OPTIMIZERS:
        keras.optimizers.get(name)
    for name in ACTIVATIONS:
        keras.activations.get(name)


def test_distributions_offered_in_params_are_the_strategies_the_code_knows():
    from dense_vs_cnn.core.params import DISTRIBUTIONS
    from dense_vs_cnn.model.distribute import STRATEGIES

    assert tuple(STRATEGIES) == DISTRIBUTIONS


@pytest.mark.parametrize(("seed", "problem"), [(2**32, True), (-1, True), (2**32 - 1, False), (0, False)])
def test_seed_is_one_numpy_and_keras_take(tmp_path, params, seed, problem):
    params["seed"] = seed
    if problem:
        with pytest.raises(PipelineError, match=rf"seed = {seed} is invalid: expected an integer from 0 to "
                                                r"4294967295 \(the seeds NumPy and Keras take\)"):
            load_params(["seed"], path=write(tmp_path, params))
    else:
        assert load_params(["seed"], path=write(tmp_path, params))["seed"] == seed
        keras.utils.set_random_seed(seed)  # the bound is Keras' own


@pytest.mark.parametrize(("text", "value"), [
    ("1e-3", 0.001), ("1E-3", 0.001), ("5e-4", 0.0005), ("1.0e3", 1000.0), ("2e+1", 20.0), ("0.001", 0.001),
    ("1", 1),  # an int where a float is expected: accepted, and training makes it a float
])
def test_numbers_are_read_as_dvc_reads_them(tmp_path, text, value):
    """PyYAML reads `1e-3` as a string (YAML 1.1); DVC, and so `dvc exp run -S`, as 0.001 (YAML 1.2)."""
    source = (PROJECT / "params.yaml").read_text()
    path = tmp_path / "params.yaml"
    path.write_text(source.replace("learning_rate: 0.001  # Keras", f"learning_rate: {text}  # Keras", 1))
    loaded = load_params(["train_dense"], path=path)["train_dense"]["learning_rate"]
    assert loaded == value and type(loaded) is type(value)


def test_a_quoted_number_stays_text_and_is_refused(tmp_path):
    source = (PROJECT / "params.yaml").read_text()
    path = tmp_path / "params.yaml"
    path.write_text(source.replace("learning_rate: 0.001  # Keras", "learning_rate: '1e-3'  # Keras", 1))
    expected = "learning_rate = '1e-3' is invalid: expected a positive, finite number"
    with pytest.raises(PipelineError, match=expected):
        load_params(["train_dense"], path=path)


def test_an_overflowing_number_is_refused(tmp_path):
    source = (PROJECT / "params.yaml").read_text()
    path = tmp_path / "params.yaml"
    path.write_text(source.replace("learning_rate: 0.001  # Keras", "learning_rate: 1.0e+400  # Keras", 1))
    expected = "learning_rate = inf is invalid: expected a positive, finite number"
    with pytest.raises(PipelineError, match=expected):
        load_params(["train_dense"], path=path)


CNN_FITS = [([32, 64], 3, 2), ([32, 64, 128], 3, 2), ([8], 28, 1), ([8, 8], 5, 3), ([4] * 5, 2, 1)]
CNN_DOES_NOT_FIT = [
    ([32, 64, 128, 256], 3, 2, "block 4 gets a 1x1 feature map, smaller than its 3x3 kernel"),
    ([8], 29, 2, "block 1 gets a 28x28 feature map, smaller than its 29x29 kernel"),
    ([8], 3, 30, "block 1 gets a 26x26 feature map, smaller than its 30x30 pool"),
    ([8, 8], 7, 4, "block 2 gets a 5x5 feature map, smaller than its 7x7 kernel"),
]


def build_cnn(filters, kernel_size, pool_size, dense_units=16):
    from dense_vs_cnn.model.architectures import build_cnn as build

    return build((28, 28, 1), 10, filters, kernel_size, pool_size, dense_units, "relu")


@pytest.mark.parametrize(("filters", "kernel_size", "pool_size"), CNN_FITS)
def test_a_cnn_that_fits_is_accepted_and_counted_as_keras_counts(tmp_path, params, filters, kernel_size,
                                                                 pool_size):
    params["train_cnn"].update(filters=filters, kernel_size=kernel_size, pool_size=pool_size, dense_units=16)
    values = load_params(["train_cnn"], path=write(tmp_path, params))["train_cnn"]
    side = cnn_feature_map(filters, kernel_size, pool_size)
    model = build_cnn(filters, kernel_size, pool_size)
    assert model.layers[-3].output.shape[1:] == (side * side * filters[-1],)  # Flatten
    assert cnn_parameters(values) == model.count_params()


@pytest.mark.parametrize(("filters", "kernel_size", "pool_size", "problem"), CNN_DOES_NOT_FIT)
def test_a_cnn_that_shrinks_the_image_to_nothing_is_refused_before_keras_fails(
        tmp_path, params, filters, kernel_size, pool_size, problem):
    params["train_cnn"].update(filters=filters, kernel_size=kernel_size, pool_size=pool_size)
    with pytest.raises(PipelineError) as error:
        load_params(["train_cnn"], path=write(tmp_path, params))
    assert str(error.value) == (
        f"params.yaml: train_cnn.filters = {filters} with kernel_size {kernel_size} and pool_size "
        f"{pool_size} does not fit the 28x28 images: {problem}; use fewer entries in filters, or a smaller "
        "kernel_size or pool_size")
    with pytest.raises(ValueError):  # what the user got before: a Keras traceback
        build_cnn(filters, kernel_size, pool_size)


@pytest.mark.parametrize("units", [[128, 64], [10], [300, 200, 100]])
def test_dense_parameter_count_is_the_one_keras_builds(units):
    from dense_vs_cnn.model.architectures import build_dense

    assert dense_parameters({"units": units}) == build_dense((784,), 10, units, "relu").count_params()


@pytest.mark.parametrize(("section", "edit", "where"), [
    ("train_dense", {"units": [100_000, 100_000]}, "train_dense.units = [100000, 100000]"),
    ("train_cnn", {"filters": [4096, 4096], "dense_units": 128},
     "train_cnn.filters = [4096, 4096] and train_cnn.dense_units = 128"),
    ("train_cnn", {"dense_units": 10**9},
     "train_cnn.filters = [32, 64] and train_cnn.dense_units = 1000000000"),
])
def test_a_model_too_large_for_memory_is_refused(tmp_path, params, section, edit, where):
    params[section].update(edit)
    expected = rf"^params.yaml: {re.escape(where)} make a model of [\d,]+ parameters; at most 100,000,000 \("
    with pytest.raises(PipelineError, match=expected):
        load_params([section], path=write(tmp_path, params))
