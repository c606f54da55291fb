import json
import math
import os
import shutil
import time

import keras
import pytest
import yaml

from dense_vs_cnn.core.checks import Rule
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import (
    ACTIVATIONS,
    MAX_BYTES,
    NUM_CLASSES,
    OPTIMIZERS,
    Params,
    check_seed,
    cnn_parameters,
    dense_parameters,
    is_number,
    load_params,
    read_params,
)
from dense_vs_cnn.model.architectures import build_cnn, build_dense
from tests.conftest import PROJECT, dvc, run


def write(tmp_path, params):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def write_text(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


SEEDS = "seeds:\n- 3\n"  # as params.yaml writes them
SEEDS_LINE = (PROJECT / "params.yaml").read_text().splitlines().index("seeds:") + 1


def edited(*replacements):
    """The project's params.yaml as text, each (old, new) replaced once."""
    text = (PROJECT / "params.yaml").read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def params():
    return yaml.safe_load((PROJECT / "params.yaml").read_text())


def test_project_params_are_valid_and_match_the_notebook():
    loaded = load_params(PROJECT / "params.yaml")
    for model in (loaded.train_dense, loaded.train_cnn):
        assert model.epochs == 5 and model.batch_size == 32
        assert model.optimizer == "adam" and model.learning_rate == 0.001
    assert loaded.preprocess.validation_fraction == 0.1
    assert loaded.train_dense.units == [128, 64]
    assert loaded.train_cnn.filters == [32, 64]
    # The report prints each section as params.yaml lists it: the models keep the file's order.
    assert loaded.model_dump() == read_params(PROJECT / "params.yaml")
    assert list(loaded.model_dump()["train_cnn"]) == list(read_params(PROJECT / "params.yaml")["train_cnn"])


def test_missing_key_is_named(tmp_path, params):
    del params["train_cnn"]["epochs"]
    with pytest.raises(PipelineError, match=r"params.yaml: train_cnn\.epochs is missing; add it to the "
                                            r"train_cnn: section$"):
        load_params(write(tmp_path, params))


def test_missing_section_is_named(tmp_path, params):
    del params["evaluate"]
    with pytest.raises(PipelineError, match=r"params.yaml: section 'evaluate' is missing; see README.md"):
        load_params(write(tmp_path, params))


def test_unknown_key_suggests_the_closest(tmp_path, params):
    params["train_cnn"]["epoch"] = 3
    with pytest.raises(PipelineError, match=r"unknown key train_cnn\.'epoch': did you mean 'epochs'\?$"):
        load_params(write(tmp_path, params))


def test_a_misspelt_key_is_named_as_unknown_not_as_the_missing_one(tmp_path, params):
    params["train_cnn"]["epoch"] = params["train_cnn"].pop("epochs")
    with pytest.raises(PipelineError, match=r"unknown key train_cnn\.'epoch': did you mean 'epochs'\?$"):
        load_params(write(tmp_path, params))


def test_unknown_key_without_a_close_match_lists_the_valid_keys(tmp_path, params):
    params["evaluate"]["verbosity"] = 2
    with pytest.raises(PipelineError, match=r"unknown key evaluate\.'verbosity': valid keys: batch_size$"):
        load_params(write(tmp_path, params))


def test_unknown_section_suggests_the_closest(tmp_path, params):
    params["train_cnm"] = params.pop("train_cnn")
    with pytest.raises(PipelineError, match="unknown key 'train_cnm': did you mean 'train_cnn'"):
        load_params(write(tmp_path, params))


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
        ("compare", "bootstrap_samples", 1_000_001,
         r"a positive integer, at most 1000000 \(more changes no printed digit\)"),
        ("compare", "bootstrap_seed", -1, "an integer >= 0"),
        ("download", "timeout_seconds", 1e300, "a number of seconds above 0, at most 3600"),
        ("preprocess", "validation_fraction", -0.1, "a number between 0 and 1"),
        ("download", "mirrors", "https://example.com/", r"a list \(possibly empty\) of URLs or folders"),
        ("download", "mirrors", [""], r"a list \(possibly empty\) of URLs or folders"),
        ("download", "timeout_seconds", "30s", "a number of seconds above 0, at most 3600"),
        ("download", "public_mirrors", 1, "true or false"),
        ("train_dense", "epochs", True, "a positive integer"),
        ("preprocess", "validation_fraction", 1.0, "a number between 0 and 1"),
        ("preprocess", "validation_fraction", 0, "a number between 0 and 1"),
        ("preprocess", "max_examples", -1, "null or a positive integer"),
        ("train_dense", "optimizer", "adamm", "one of: .*adam, adamax"),
        ("train_cnn", "activation", "rleu", "one of: .*relu"),
        ("train_cnn", "loss", "mse", "one of: sparse_categorical_crossentropy"),
        ("train_dense", "units", [], "a non-empty list of positive integers"),
        ("train_dense", "units", [64, 0], "a non-empty list of positive integers"),
        ("compare", "language", "de", "one of: en, fr"),
        ("data", "dataset", "cifar", "one of: mnist, fashion_mnist"),
        ("train", "distribution", "horovod", "one of: auto, none"),
        ("train_cnn", "warmup_fraction", 1, r"a number from 0 \(no warm-up\) to below 1"),
        ("train_dense", "warmup_fraction", -0.1, r"a number from 0 \(no warm-up\) to below 1"),
        ("train_cnn", "label_smoothing", 1.0, r"a number from 0 \(none\) to below 1"),
        ("train_dense", "label_smoothing", "0.1", r"a number from 0 \(none\) to below 1"),
        ("train_cnn", "label_smoothing", float("nan"), r"a number from 0 \(none\) to below 1"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(tmp_path, params, section, key, value, expected):
    params[section][key] = value
    with pytest.raises(PipelineError, match=rf"{section}\.{key} = .* is invalid: expected {expected}"):
        load_params(write(tmp_path, params))


@pytest.mark.parametrize(("replace", "expected"), [
    (("  epochs: 5", '  epochs: "5"'), "train_dense.epochs = '5' is invalid"),  # a string is not a number
    (("  learning_rate: 0.001", "  learning_rate: '0.001'"),
     "train_dense.learning_rate = '0.001' is invalid"),
    (("  public_mirrors: true", "  public_mirrors: 'true'"), "download.public_mirrors = 'true' is invalid"),
    (("  epochs: 5", "  epochs: true"), "train_dense.epochs = True is invalid"),  # true is not 1
    (("  dense_units: 128", "  dense_units: 128.0"), "train_cnn.dense_units = 128.0 is invalid"),
])
def test_values_are_strict_nothing_is_converted(tmp_path, replace, expected):
    with pytest.raises(PipelineError, match=expected):
        load_params(write_text(tmp_path, edited(replace)))


@pytest.mark.parametrize("section", ["train_dense", "train_cnn"])
def test_a_warm_up_needs_the_cosine_schedule_it_ramps_up_to(tmp_path, params, section):
    params[section]["warmup_fraction"] = 0.1
    with pytest.raises(PipelineError, match=rf"^params.yaml: {section}.warmup_fraction = 0.1 needs "
                                            rf"{section}.learning_rate_schedule = cosine, not constant"):
        load_params(write(tmp_path, params))
    params[section]["learning_rate_schedule"] = "cosine"
    assert getattr(load_params(write(tmp_path, params)), section).warmup_fraction == 0.1


def test_the_new_recipe_keys_default_to_the_notebook_recipe():
    """No warm-up, no label smoothing: the default run trains exactly what it trained before them."""
    params = load_params(PROJECT / "params.yaml")
    for section in (params.train_dense, params.train_cnn):
        assert section.warmup_fraction == 0 and section.label_smoothing == 0


def test_a_number_keeps_its_type():
    # `learning_rate: 1` stays 1, as DVC shows it and the report prints it (make_learning_rate takes floats).
    assert Params.model_fields["train_dense"].annotation.model_validate(
        {**read_params(PROJECT / "params.yaml")["train_dense"], "learning_rate": 1}).learning_rate == 1


def test_a_section_that_is_not_a_mapping_is_named(tmp_path, params):
    params["evaluate"] = [1000]
    with pytest.raises(PipelineError, match=r"params.yaml: 'evaluate' must be a mapping of keys, "
                                            r"got \[1000\]"):
        load_params(write(tmp_path, params))
    with pytest.raises(PipelineError, match=r"params.yaml must be a mapping of sections "
                                            r"\(seeds:, data:, ...\), got \[1, 2\]"):
        load_params(write_text(tmp_path, "[1, 2]\n"))


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(PipelineError, match="not found"):
        load_params(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("seeds: [1, 2\n")
    # ruamel.yaml's C parser's words (ruamel.yaml.clib, a dependency), as DVC reports the file
    with pytest.raises(PipelineError, match=r"bad.yaml is not valid YAML: while parsing a flow sequence: "
                                            r"did not find expected ',' or '\]' \(line 2, column 1\)"):
        load_params(tmp_path / "bad.yaml")


def billion_laughs():
    """3 KB that expand to 10^9 strings for a parser that follows aliases."""
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "expected"), [
    (edited(("# Every knob", "# Caf\xe9: every knob")).encode("latin-1"),  # a non-UTF-8 byte in a comment
     r"params.yaml: byte 0xe9 on line 1 is not UTF-8 \(DVC refuses the file too\): save it as UTF-8"),
    (edited((SEEDS, "seeds: " + "[" * 500 + "3" + "]" * 500 + "\n")),
     rf"params.yaml, line {SEEDS_LINE}: nested more than 10 levels deep \(params.yaml needs 3\): check its"),
    (billion_laughs(), r"params.yaml, line 1: YAML anchor &lol0 is not allowed in params.yaml \(it needs no "
                       r"anchors or aliases\): write the value out"),
    (edited((SEEDS, "seeds: &s [3]\n"),
            ("evaluate:\n  batch_size: 1000", "evaluate:\n  batch_size: *s")),
     f"params.yaml, line {SEEDS_LINE}: YAML anchor &s is not allowed"),
    (edited((SEEDS, "seeds: [3\x07]\n")),
     "params.yaml is not valid YAML: unacceptable character #x0007: control characters are not allowed"),
    (edited((SEEDS, "seeds: !!python/object/apply:os.system ['true']\n")),
     "params.yaml is not valid YAML: could not determine a constructor for the tag "
     rf"'tag:yaml.org,2002:python/object/apply:os.system' \(line {SEEDS_LINE}, column 8\)"),
])
def test_files_that_crashed_or_hung_the_parser_are_one_line(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "params.yaml"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    start = time.perf_counter()
    with pytest.raises(PipelineError, match="^" + expected) as error:
        load_params()
    assert time.perf_counter() - start < 2
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


def test_a_100_mb_file_is_refused_before_it_is_read(tmp_path):
    path = write_text(tmp_path, (PROJECT / "params.yaml").read_text())
    os.truncate(path, 100_000_000)  # sparse: the size is what is checked
    start = time.perf_counter()
    with pytest.raises(PipelineError, match=rf"params.yaml is larger than {MAX_BYTES:,} bytes "
                                            r"\(params take a few KB\): restore it "
                                            r"\(`git checkout -- .*params.yaml`\)"):
        load_params(path)
    assert time.perf_counter() - start < 0.5
    os.truncate(path, MAX_BYTES)  # as large as allowed: read (NUL bytes are not YAML)
    with pytest.raises(PipelineError, match="not valid YAML: unacceptable character #x0000"):
        load_params(path)


@pytest.mark.parametrize(("section", "key", "value", "expected"), [
    ("compare", "language", "x" * 50_000, "compare.language = 'xxx"),
    ("train_dense", "x" * 50_000, 1, "unknown key train_dense.'xxx"),
    ("train_cnn", "filters", [1] * 10_000, r"train_cnn.filters = \[1, 1, "),  # does not fit the images
])
def test_no_value_prints_more_than_a_line(tmp_path, monkeypatch, params, section, key, value, expected):
    monkeypatch.chdir(tmp_path)
    params[section][key] = value
    write(tmp_path, params)
    with pytest.raises(PipelineError, match=expected) as error:
        load_params()
    assert len(str(error.value)) < 400 and "..." in str(error.value)  # the value cut to 80 characters


def test_allowed_names_are_the_ones_keras_knows():
    for name in OPTIMIZERS:
        keras.optimizers.get(name)
    for name in ACTIVATIONS:
        keras.activations.get(name)


def test_distributions_offered_in_params_are_the_strategies_the_code_knows():
    from dense_vs_cnn.core.params import DISTRIBUTIONS
    from dense_vs_cnn.model.distribute import STRATEGIES

    assert tuple(STRATEGIES) == DISTRIBUTIONS


@pytest.mark.parametrize("seeds", [[], [3, 3], [-1], [2**32], [1.5], "3", [True], ["3"], ["3; touch x #"]])
def test_seeds_must_be_a_list_of_distinct_32_bit_integers(tmp_path, params, seeds):
    params["seeds"] = seeds
    with pytest.raises(PipelineError, match=r"params.yaml: seeds = .* is invalid: expected a non-empty list "
                                            r"of distinct integers from 0 to 4294967295"):
        load_params(write(tmp_path, params))


def test_a_seed_handed_to_a_train_stage_is_checked_too():
    assert check_seed(4294967295) == 4294967295
    with pytest.raises(PipelineError, match="params.yaml: seeds entry = -1 is invalid: expected an integer "
                                            "from 0 to 4294967295"):
        check_seed(-1)


# --- The architecture sizes, computed without TensorFlow: the same numbers as Keras' ---------------

@pytest.mark.parametrize("units", [[128, 64], [7], [300, 5, 1]])
def test_the_dense_parameter_count_is_keras_count(units):
    assert dense_parameters(units) == build_dense((28 * 28,), NUM_CLASSES, units, "relu").count_params()


@pytest.mark.parametrize(("filters", "kernel_size", "pool_size", "dense_units"),
                         [([32, 64], 3, 2, 128), ([8], 5, 3, 16), ([4, 4, 4], 2, 2, 10), ([16], 28, 1, 4)])
def test_the_cnn_parameter_count_is_keras_count(filters, kernel_size, pool_size, dense_units):
    model = build_cnn((28, 28, 1), NUM_CLASSES, filters, kernel_size, pool_size, dense_units, "relu")
    assert cnn_parameters(filters, kernel_size, pool_size, dense_units) == model.count_params()


def test_a_model_too_large_for_memory_is_refused(tmp_path, params):
    params["train_dense"]["units"] = [100_000]  # 79,500,010 parameters: allowed
    assert load_params(write(tmp_path, params)).train_dense.units == [100_000]
    params["train_dense"]["units"] = [100_000, 1000]
    with pytest.raises(PipelineError, match=r"params.yaml: train_dense.units = \[100000, 1000\] make a model "
                                            r"of 178,511,010 parameters; at most 100,000,000 "
                                            r"\(with their gradients"):
        load_params(write(tmp_path, params))


# --- One test of a finite number, for params and result files alike --------------------------------

@pytest.mark.parametrize("value", [0, 3, -2.5, 1e300, True, False, math.inf, -math.inf, math.nan, "1", None,
                                   [1]])
def test_params_and_result_files_agree_on_what_a_number_is(value):
    assert Rule(-math.inf).accepts(value) == is_number(value)
    assert is_number(value) == (type(value) in (int, float) and math.isfinite(value))


# --- The same meaning as DVC's -------------------------------------------------------------------

# Values PyYAML (YAML 1.1) read otherwise than DVC (YAML 1.2): octal 8, sexagesimal 90, true, a string.
YAML_1_1_TRAPS = [(SEEDS, "seeds: [010]\n"), ("  epochs: 5", "  epochs: 010"),
                  ("  learning_rate: 0.001  # Keras'", "  learning_rate: 1e-3  # Keras'"),
                  ("  dense_units: 128", "  dense_units: 1:30"),
                  ("  public_mirrors: true", "  public_mirrors: yes")]


def test_params_mean_to_the_stages_what_they_mean_to_dvc(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(PROJECT / "dvc.yaml", repo / "dvc.yaml")
    (repo / "params.yaml").write_text(edited(*YAML_1_1_TRAPS))
    run(["git", "init", "-q", "-b", "main"], cwd=repo)
    dvc("init", "-q", cwd=repo)
    run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "params"], cwd=repo)
    shown = json.loads(dvc("exp", "show", "--json", "-n", "1", "--no-fetch", cwd=repo).stdout)
    dvc_params = shown[0]["data"]["params"]["params.yaml"]["data"]
    ours = read_params(repo / "params.yaml")
    assert ours == dvc_params
    dense = ours["train_dense"]
    assert (ours["seeds"], dense["epochs"], dense["learning_rate"]) == ([10], 10, 0.001)
    assert (ours["train_cnn"]["dense_units"], ours["download"]["public_mirrors"]) == ("1:30", "yes")
    # dvc.yaml's templating reads the same: the matrix stage of seed 10, not 8.
    assert "train_dense@10" in dvc("stage", "list", "--name-only", cwd=repo).stdout.split()

    (repo / "params.yaml").write_text(edited(*YAML_1_1_TRAPS[:3]))  # the values that are valid params
    loaded = load_params(repo / "params.yaml")
    assert (loaded.seeds, loaded.train_dense.epochs, loaded.train_dense.learning_rate) == ([10], 10, 0.001)
    for old, new in YAML_1_1_TRAPS[3:]:  # the strings DVC reads are refused by name
        key = new.split(":")[0].strip()
        with pytest.raises(PipelineError, match=rf"\.{key} = '{new.split(': ')[1]}' is invalid"):
            load_params(write_text(tmp_path, edited((old, new))))


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("translation", [0], r"a list of 1 to 10 distinct whole pixels from 1 to 27 \(a shift of 28 leaves a "
                         r"blank image\); 0, the unchanged images, is always scored$"),
    ("translation", [2, 28], "a list of 1 to 10 distinct whole pixels from 1 to 27"),
    ("translation", [1, 2, 1], "a list of 1 to 10 distinct whole pixels"),
    ("translation", [], "a list of 1 to 10 distinct"),
    ("translation", list(range(1, 12)), "a list of 1 to 10 distinct"),
    ("translation", [1.5], "a list of 1 to 10 distinct whole pixels"),
    ("rotation", [0], r"a list of 1 to 10 distinct degrees above 0, at most 180 \(more is a smaller turn"),
    ("rotation", ["15"], "a list of 1 to 10 distinct degrees above 0"),
    ("noise", [1.5], r"a list of 1 to 10 distinct standard deviations above 0, at most 1 \(pixels lie in"),
    ("noise", [float("nan")], "a list of 1 to 10 distinct standard deviations"),
    ("thickness", [0, 1], r"a list of 1 to 10 distinct whole pixels from -13 to 13 other than 0 \(a radius "
                          r"of 14 covers the whole image\)"),
    ("thickness", [-14], "a list of 1 to 10 distinct whole pixels from -13 to 13"),
    ("images", 0, "null .every test image. or a positive integer$"),
    ("images", "all", "null .every test image. or a positive integer$"),
    ("seed", -1, "an integer from 0 to 4294967295$"),
])
def test_bad_robustness_levels_are_one_line_naming_the_key_and_what_is_allowed(tmp_path, params, key, value,
                                                                                expected):
    params["robustness"][key] = value
    with pytest.raises(PipelineError, match=rf"params.yaml: robustness\.{key} = .* is invalid: expected "
                                            rf"{expected}") as error:
        load_params(write(tmp_path, params))
    assert "\n" not in str(error.value)


def test_robustness_defaults_score_translation_by_1_to_6_pixels_and_rotation_from_5_to_30_degrees():
    settings = load_params(PROJECT / "params.yaml").robustness
    assert settings.translation == [1, 2, 3, 4, 5, 6] and settings.rotation == [5, 15, 30]
    assert settings.noise and settings.thickness and min(settings.thickness) < 0 < max(settings.thickness)


@pytest.mark.parametrize("key, value, expected", [
    ("permuted_pixels", 1, "true or false$"),
    ("permuted_pixels", "yes", "true or false$"),
    ("permuted_pixels", None, "true or false$"),
    ("permutation_seed", -1, "an integer from 0 to 4294967295$"),
    ("permutation_seed", 2**32, "an integer from 0 to 4294967295$"),
    ("permutation_seed", 1.0, "an integer from 0 to 4294967295$"),
])
def test_bad_analysis_values_are_one_line_naming_the_key_and_what_is_allowed(tmp_path, params, key, value,
                                                                              expected):
    params["analysis"][key] = value
    with pytest.raises(PipelineError, match=rf"params.yaml: analysis\.{key} = .* is invalid: expected "
                                            rf"{expected}") as error:
        load_params(write(tmp_path, params))
    assert "\n" not in str(error.value)


def test_the_permuted_pixels_control_is_off_by_default_and_its_keys_are_checked(tmp_path):
    assert load_params(PROJECT / "params.yaml").analysis.model_dump() == {"permuted_pixels": False,
                                                                         "permutation_seed": 0}
    text = edited(("  permutation_seed: 0", "  permutation_sed: 0"))
    with pytest.raises(PipelineError, match="unknown key analysis.'permutation_sed': did you mean "
                                            "'permutation_seed'"):
        load_params(write_text(tmp_path, text))


def test_yaml_is_parsed_in_c_as_in_python():
    """ruamel.yaml.clib is installed (pyproject.toml), so DVC's YAML(typ="safe"), and the stages', parse
    with its C parser: the values of params.yaml, dvc.lock and dvc.yaml are those of the pure-Python one."""
    from ruamel.yaml import YAML
    from ruamel.yaml.main import CParser

    assert YAML(typ="safe").Parser is CParser  # None without the extension
    for name in ("params.yaml", "dvc.lock", "dvc.yaml"):
        text = (PROJECT / name).read_text()
        assert YAML(typ="safe").load(text) == YAML(typ="safe", pure=True).load(text), name
