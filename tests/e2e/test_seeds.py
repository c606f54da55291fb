"""End to end: training randomness measured over seeds, with the real `dvc` at tiny params.

Each model is trained once per seed (matrix stages train_dense@N, train_cnn@N); adding a
seed trains only that seed's two models; the report gives the interval across seeds. Its
headlines are checked against the statistics recomputed here from the files `evaluate`
wrote: a bold winner only when the test it names supports it, in English and in French.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from dense_vs_cnn.evaluation.statistics import paired_bootstrap_interval
from dense_vs_cnn.report.numbers import ENGLISH
from tests.conftest import SEEDS, copy_project, dvc, set_params, stages_run

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"
MODELS = {"en": {"dense": "Dense", "cnn": "CNN"}, "fr": {"dense": "le réseau dense", "cnn": "le CNN"}}


def trained(output):
    return sorted(re.findall(r"Running stage '(train_\w+@\d+)'", output))


def points(fraction):
    """A bound as the English report prints it: +1.50, −0.25 (points)."""
    return ENGLISH.number(100 * fraction, 2, sign=True)


def paragraphs(repo):
    return (repo / "reports" / "report.md").read_text(encoding="utf-8").split("\n\n")


def expected_headline(language, ahead, significant, count=None):
    """The start of a verdict: who is ahead, and "wins" only when `significant`."""
    name = MODELS[language][ahead]
    if language == "en":
        where = f" across {count} seeds" if count else ""
        return f"**{name} wins{where}**: " if significant else f"{name} is ahead{where}, not significantly: "
    where = f"Sur {count} graines aléatoires, " if count else ""
    capital = name if count else name[0].upper() + name[1:]
    if significant:
        return f"**{where}{capital} l'emporte**{NBSP}: "
    return f"{where}{capital} est en tête, sans écart significatif{NBSP}: "


def across_seeds(repo, seeds):
    """(model ahead, the t interval of the mean gap CNN − Dense, whether it excludes 0), from the files."""
    scores = json.loads((repo / "data" / "scores.json").read_text())
    gaps = np.array([scores[str(seed)]["cnn"]["accuracy"] - scores[str(seed)]["dense"]["accuracy"]
                     for seed in seeds])
    interval = stats.ttest_1samp(gaps, 0).confidence_interval(0.95)
    return ("cnn" if gaps.mean() > 0 else "dense"), interval, bool(interval.low > 0 or interval.high < 0)


def first_seed(repo):
    """(model ahead, the bootstrap interval, McNemar's p, whether both support a winner) of the first
    seed's models, from metrics/ and params.yaml."""
    frames = {name: pd.read_csv(repo / "metrics" / f"{name}_predictions.csv") for name in ("dense", "cnn")}
    correct = {name: (frame["actual"] == frame["predicted"]).to_numpy() for name, frame in frames.items()}
    only_dense = int((correct["dense"] & ~correct["cnn"]).sum())
    only_cnn = int((correct["cnn"] & ~correct["dense"]).sum())
    p_value = stats.binomtest(only_cnn, only_dense + only_cnn).pvalue if only_dense + only_cnn else 1.0
    settings = yaml.safe_load((repo / "params.yaml").read_text())["compare"]
    interval = paired_bootstrap_interval(correct["dense"], correct["cnn"], settings["bootstrap_samples"],
                                         settings["bootstrap_seed"])
    gap = correct["cnn"].mean() - correct["dense"].mean()
    assert gap != 0, "a tie: the headline says so, and this test does not cover it"
    significant = p_value < 0.05 and (interval[0] > 0 or interval[1] < 0)
    return ("cnn" if gap > 0 else "dense"), interval, p_value, significant


def check_first_seed_verdict(repo, text, language):
    ahead, interval, p_value, significant = first_seed(repo)
    assert expected_headline(language, ahead, significant) in text, (ahead, interval, p_value, text)
    if language == "en":
        assert f"interval of {points(interval[0])} to {points(interval[1])} point" in text
        assert f"gives p = {ENGLISH.significant(p_value)} (" in text


@pytest.fixture(scope="module")
def repo(seeds_project, tmp_path_factory):
    """The session's project at seeds 3, 0 and 1, on a copy this module may change."""
    repo, output = seeds_project
    assert trained(output) == [f"train_{model}@{seed}" for model in ("cnn", "dense") for seed in (0, 1)]
    return copy_project(repo, tmp_path_factory.mktemp("seeds") / "repo")


def test_three_seeds_give_a_table_and_an_interval_across_seeds(repo):
    report = (repo / "reports" / "report.md").read_text()
    verdict = report.split("\n\n")[1]
    assert re.search(r"across 3 seeds(\*\*:|, not significantly:) a mean test accuracy of [\d.]+ % "
                     r"\(standard", verdict)
    assert "Student's t interval over the 3 seeds" in verdict and "randomness of training" in verdict
    seeds_table = report.split("## Seeds\n\n")[1].split("\n\n")[0].splitlines()
    assert [row.split("|")[1].strip() for row in seeds_table[2:]] == [str(seed) for seed in SEEDS]
    assert "those of seed 3's models" in report
    for seed in SEEDS:
        assert (repo / "models" / f"seed-{seed}" / "cnn.keras").exists()


def test_the_headlines_say_what_the_statistics_in_the_files_support_in_both_languages(repo):
    ahead, interval, significant = across_seeds(repo, SEEDS)
    for language in ("en", "fr"):
        set_params(repo / "params.yaml", {"compare.language": language})
        assert stages_run(dvc("repro", cwd=repo).stdout) in ([], ["compare"])
        _, seeds_verdict, seed_verdict, *_ = paragraphs(repo)
        headline = expected_headline(language, ahead, significant, count=3)
        assert seeds_verdict.startswith(headline), seeds_verdict
        check_first_seed_verdict(repo, seed_verdict, language)
        if language == "en":
            assert f"interval of {points(interval.low)} to {points(interval.high)} points (Student's t" \
                in seeds_verdict
            assert "With 3 seeds this interval is wide by construction: Student's t quantile is 4.30" \
                in seeds_verdict
            assert "Below 6 seeds such a count cannot reach p < 0.05: even 3 of 3 gives p = 0.25." \
                in seeds_verdict
            assert "conditional on the fixed test set" in seeds_verdict
        bold = [text for text in paragraphs(repo) if re.search(r"\*\*[^*]*(wins|l'emporte)", text)]
        assert len(bold) == significant + first_seed(repo)[3]  # no other paragraph claims a winner
    set_params(repo / "params.yaml", {"compare.language": "en"})


def test_adding_a_seed_trains_only_its_two_models(repo):
    set_params(repo / "params.yaml", {"seeds": [*SEEDS, 2]})
    output = dvc("repro", cwd=repo).stdout
    assert trained(output) == ["train_cnn@2", "train_dense@2"]
    assert "Running stage 'evaluate'" in output and "Running stage 'compare'" in output
    ahead, _, significant = across_seeds(repo, [*SEEDS, 2])
    assert paragraphs(repo)[1].startswith(expected_headline("en", ahead, significant, count=4))


def test_one_seed_says_the_verdict_covers_the_test_images_only(repo):
    set_params(repo / "params.yaml", {"seeds": [3]})
    output = dvc("repro", cwd=repo).stdout
    assert trained(output) == []  # seed 3's models are already there
    verdict = paragraphs(repo)[1]
    assert "This verdict covers the sampling of the test images only" in verdict
    assert "`dvc exp run -S 'seeds=[0,1,2,3,4]'`" in verdict
    assert "## Seeds" not in (repo / "reports" / "report.md").read_text()
    for language in ("en", "fr"):
        set_params(repo / "params.yaml", {"compare.language": language})
        dvc("repro", cwd=repo)
        check_first_seed_verdict(repo, paragraphs(repo)[1], language)
