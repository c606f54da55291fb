"""dvc.yaml declares all the code each stage runs: follow every stage script's imports
through the project's own modules and check each module reached is one of its deps."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT

PACKAGES = ("stages", "dense_vs_cnn")
STAGES = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]


def module_file(name):
    """The file of module `name` (a .py file or a package's __init__.py), or None if not ours."""
    path = PROJECT / Path(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path):
    """Every absolute import in `path`, at any depth (imports inside functions count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)  # submodules


def reached_files(script):
    """The project files Python runs for `script`: its imports, their parent packages, and so on."""
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            if not name.startswith(PACKAGES):
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__
                found = module_file(".".join(parts[:depth]))
                if found is not None:
                    todo.append(found)
    return {path.relative_to(PROJECT).as_posix() for path in seen}


def script_of(stage):
    module = re.search(r"python -m ([\w.]+)", stage["cmd"]).group(1)
    return module_file(module)


def uncovered(files, deps):
    deps = [str(dep).rstrip("/") for dep in deps]
    return sorted(file for file in files
                  if not any(file == dep or file.startswith(dep + "/") for dep in deps))


@pytest.mark.parametrize("name", list(STAGES))
def test_every_module_a_stage_runs_is_one_of_its_deps(name):
    files = reached_files(script_of(STAGES[name]))
    assert uncovered(files, STAGES[name]["deps"]) == []


@pytest.mark.parametrize("name", list(STAGES))
def test_removing_a_code_dependency_is_caught(name):
    files = reached_files(script_of(STAGES[name]))
    used = [dep for dep in STAGES[name]["deps"]
            if dep.startswith(PACKAGES) and uncovered(files, [dep]) != sorted(files)]
    assert used
    for removed in used:
        remaining = [dep for dep in STAGES[name]["deps"] if dep != removed]
        assert uncovered(files, remaining), f"{name}: removing {removed} went unnoticed"


def test_code_deps_are_folders_or_entry_files():
    for name, stage in STAGES.items():
        for dep in stage["deps"]:
            if dep.startswith("dense_vs_cnn/"):
                assert (PROJECT / dep).is_dir() or dep == "dense_vs_cnn/__init__.py", (name, dep)


def test_no_stage_runs_the_predict_code():
    for name, stage in STAGES.items():
        reached = reached_files(script_of(stage))
        assert not [file for file in reached if file.startswith("dense_vs_cnn/predict")], name
        assert not [dep for dep in stage["deps"] if dep.startswith("dense_vs_cnn/predict")], name


def test_the_report_digest_covers_exactly_the_code_compare_depends_on():
    compare = STAGES["compare"]
    code = re.search(r"--code (.*?) --", " ".join(compare["cmd"].split())).group(1).split()
    assert code == [dep for dep in compare["deps"] if dep.startswith(PACKAGES)]


def test_stages_holds_one_script_per_stage_and_nothing_else():
    scripts = {path.name for path in (PROJECT / "stages").iterdir() if path.name != "__pycache__"}
    assert scripts == {f"{name}.py" for name in STAGES}


def test_every_command_that_interpolates_a_param_waits_for_check_params():
    # DVC pastes ${...} into the shell command unquoted: a seed "3; rm -rf ~ #" would run.
    checked = STAGES["check_params"]["outs"]
    interpolating = [name for name, stage in STAGES.items() if "${" in stage["cmd"]]
    assert {"train_dense", "train_cnn", "compare"} <= set(interpolating)
    for name in interpolating:
        assert set(checked) <= set(STAGES[name]["deps"]), name
    assert "${" not in STAGES["check_params"]["cmd"]
    assert STAGES["check_params"]["params"] == [{"params.yaml": None}]  # every param, whatever its section


def test_the_permuted_control_reads_every_param_of_the_recipes_it_trains_again():
    # It trains both architectures with the train stages' recipes: a train key it did not list
    # would leave its result stale when that key changes.
    recipes = {param for name in ("train_dense", "train_cnn") for param in STAGES[name]["params"]}
    assert recipes <= set(STAGES["permuted"]["params"])
