
import keras
import pytest
import yaml

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import (
    ACTIVATIONS,
    OPTIMIZERS,
    SCHEMAS,
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
        load_params(["seeds"], path=write(tmp_path, params))


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
         r"a positive integer, at most 1000000 \(more changes no printed digit\)"),
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
        load_params(["seeds"], path=tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("seeds: [1, 2\n")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_params(["seeds"], path=tmp_path / "bad.yaml")


def test_allowed_names_are_the_ones_keras_knows():
    for name in OPTIMIZERS:
        keras.optimizers.get(name)
    for name in ACTIVATIONS:
        keras.activations.get(name)


def test_distributions_offered_in_params_are_the_strategies_the_code_knows():
    from dense_vs_cnn.core.params import DISTRIBUTIONS
    from dense_vs_cnn.model.distribute import STRATEGIES

    assert tuple(STRATEGIES) == DISTRIBUTIONS


@pytest.mark.parametrize("seeds", [[], [3, 3], [-1], [2**32], [1.5], "3", [True]])
def test_seeds_must_be_a_list_of_distinct_32_bit_integers(tmp_path, params, seeds):
    params["seeds"] = seeds
    with pytest.raises(PipelineError, match=r"params.yaml: seeds = .* is invalid: expected a non-empty list "
                                            r"of distinct integers from 0 to 4294967295"):
        load_params(["seeds"], path=write(tmp_path, params))


def test_a_seed_handed_to_a_train_stage_is_checked_too():
    from dense_vs_cnn.core.params import check_seed

    assert check_seed(4294967295) == 4294967295
    with pytest.raises(PipelineError, match="params.yaml: seeds entry = -1 is invalid"):
        check_seed(-1)


