"""End to end: training randomness measured over seeds, with the real `dvc` at tiny params.

Each model is trained once per seed (matrix stages train_dense@N, train_cnn@N); adding a
seed trains only that seed's two models; the report gives the interval across seeds.
"""

import re

import pytest

from tests.conftest import dvc, make_pipeline_repo, set_params

pytestmark = pytest.mark.e2e


def trained(output):
    return sorted(re.findall(r"Running stage '(train_\w+@\d+)'", output))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_pipeline_repo(tmp_path_factory.mktemp("seeds"))
    set_params(repo / "params.yaml", {"seeds": [0, 1, 2]})
    output = dvc("repro", cwd=repo).stdout
    assert trained(output) == [f"train_{model}@{seed}" for model in ("cnn", "dense") for seed in (0, 1, 2)]
    return repo


def test_three_seeds_give_a_table_and_an_interval_across_seeds(repo):
    report = (repo / "reports" / "report.md").read_text()
    verdict = report.split("\n\n")[1]
    assert re.search(r"wins across 3 seeds\*\*: a mean test accuracy of [\d.]+ % \(standard", verdict)
    assert "Student's t interval over the 3 seeds" in verdict and "randomness of training" in verdict
    seeds_table = report.split("## Seeds\n\n")[1].split("\n\n")[0].splitlines()
    assert [row.split("|")[1].strip() for row in seeds_table[2:]] == ["0", "1", "2"]
    assert "those of seed 0's models" in report
    for seed in (0, 1, 2):
        assert (repo / "models" / f"seed-{seed}" / "cnn.keras").exists()


def test_adding_a_seed_trains_only_its_two_models(repo):
    set_params(repo / "params.yaml", {"seeds": [0, 1, 2, 3]})
    output = dvc("repro", cwd=repo).stdout
    assert trained(output) == ["train_cnn@3", "train_dense@3"]
    assert "Running stage 'evaluate'" in output and "Running stage 'compare'" in output
    assert "wins across 4 seeds" in (repo / "reports" / "report.md").read_text()


def test_one_seed_says_the_verdict_covers_the_test_images_only(repo):
    set_params(repo / "params.yaml", {"seeds": [3]})
    output = dvc("repro", cwd=repo).stdout
    assert trained(output) == []  # seed 3's models are already there
    verdict = (repo / "reports" / "report.md").read_text().split("\n\n")[1]
    assert "This covers the sampling of the test images only" in verdict
    assert "`dvc exp run -S 'seeds=[0,1,2,3,4]'`" in verdict
    assert "## Seeds" not in (repo / "reports" / "report.md").read_text()
