"""The report's sentences from constructed statistics: a bold winner only when its test supports it."""

import re

import numpy as np
import pytest

from dense_vs_cnn.evaluation.comparison import (
    AcrossSeeds,
    Calibration,
    ClassTests,
    HeadToHead,
    ModelCalibration,
    SeedGap,
)
from dense_vs_cnn.evaluation.statistics import sign_test
from dense_vs_cnn.report.render import (
    calibration_verdict,
    class_tests_summary,
    class_tests_table,
    listed,
    recall_with_interval,
    reproducibility_section,
    seeds_table,
    seeds_verdict,
    verdict,
)
from dense_vs_cnn.report.strings import STRINGS

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
EN, FR = STRINGS["en"], STRINGS["fr"]


def pair(accuracy, only_dense, only_cnn, p_value, interval=(0.012, 0.021)):
    """Seed 7's Dense and CNN head to head; the interval is of CNN − Dense."""
    return HeadToHead(first="dense", second="cnn", accuracy=accuracy, interval=interval, samples=100_000,
                      seed=7, images=10_000, p_value=p_value,
                      only_right={"dense": only_dense, "cnn": only_cnn},
                      confusion={}, most_confused={}, errors=np.array([]), disagreements=np.array([]))


SIGNIFICANT = pair({"cnn": 0.9887, "dense": 0.9712}, 47, 222, 2.27e-28)
NOT_SIGNIFICANT = pair({"cnn": 0.75, "dense": 0.73}, 0, 1, 1.0, interval=(-0.005, 0.019))


def seeds(gaps, p_value, interval, t_quantile, dense=0.97):
    """Across-seeds statistics of seeds 0, 1, ...: Dense at `dense`, CNN at dense + gap."""
    per_seed = [SeedGap(seed=seed, accuracy={"dense": dense, "cnn": dense + gap}, gap=gap, p_value=0.2)
                for seed, gap in enumerate(gaps)]
    ahead = sum(gap > 0 for gap in gaps) if np.mean(gaps) > 0 else sum(gap < 0 for gap in gaps)
    behind = len(gaps) - ahead - gaps.count(0)
    return AcrossSeeds(first="dense", second="cnn", per_seed=per_seed,
                       mean={"dense": dense, "cnn": dense + float(np.mean(gaps))},
                       sd={"dense": 0.001, "cnn": float(np.std(gaps, ddof=1)) if len(gaps) > 1 else 0.0},
                       interval=interval,
                       p_value=p_value, t_quantile=t_quantile, ahead_on=ahead, behind_on=behind,
                       sign_p=sign_test(ahead, behind))


def bold_winner(text, words):
    """The bold winner a paragraph claims, or None."""
    pattern = r"\*\*(\w+) wins" if words is EN else r"\*\*(?:Sur \S+ graines aléatoires, )?(le \S+|Le \S+)"
    found = re.search(pattern, text)
    return found and found.group(1)


def test_significant_gap_gives_a_winner_p_value_counts_and_interval():
    text = verdict(SIGNIFICANT, EN)
    assert text.startswith("**CNN wins**: 98.87 % test accuracy against 97.12 % for Dense. ")
    assert "The gap CNN − Dense is +1.75 points, with a 95 % confidence interval of +1.20 to +2.10 " \
           "points" in text
    assert "100,000 resamples of the 10,000 test images, seed 7" in text
    assert "**statistically significant**" in text
    assert "p = 2.27 × 10⁻²⁸ (below 0.05) and the interval excludes 0;" in text
    assert "222 test images are classified correctly by CNN only, 47 by Dense only." in text
    assert text.endswith("The error rate falls from 2.88 % for Dense to 1.13 % for CNN, 61 % fewer errors.")
    assert bold_winner(text, EN) == "CNN" and bold_winner(verdict(SIGNIFICANT, FR), FR) == "Le CNN"


def test_a_gap_without_the_tests_support_is_ahead_not_a_win_in_both_languages():
    english, french = verdict(NOT_SIGNIFICANT, EN), verdict(NOT_SIGNIFICANT, FR)
    assert english.startswith("CNN is ahead, not significantly: 75.00 % test accuracy against 73.00 % for "
                              "Dense.")
    assert "**" + "CNN wins" not in english and bold_winner(english, EN) is None
    assert "p = 1 (0.05 or more) and the interval includes 0;" in english
    assert french.startswith(f"Le CNN est en tête, sans écart significatif{NBSP}: une exactitude de "
                             f"75,00{NBSP}% sur les images de test, contre 73,00{NBSP}% pour le réseau "
                             "dense.")
    assert "l'emporte" not in french and bold_winner(french, FR) is None


@pytest.mark.parametrize(("p_value", "interval", "reading"), [
    (0.03, (-0.001, 0.02), "p = 0.03 (below 0.05), but the interval includes 0;"),
    (0.2, (0.001, 0.02), "p = 0.2 (0.05 or more), but the interval excludes 0;"),
])
def test_one_test_alone_does_not_make_a_winner(p_value, interval, reading):
    text = verdict(pair({"cnn": 0.99, "dense": 0.98}, 10, 20, p_value, interval), EN)
    assert text.startswith("CNN is ahead, not significantly") and reading in text
    assert "**not statistically significant**" in text


def test_dense_ahead_gives_a_negative_gap_with_a_minus_sign():
    dense_ahead = pair({"cnn": 0.97, "dense": 0.99}, 250, 50, 1e-30, interval=(-0.024, -0.016))
    english, french = verdict(dense_ahead, EN), verdict(dense_ahead, FR)
    assert english.startswith("**Dense wins**: 99.00 % test accuracy against 97.00 % for CNN.")
    assert f"The gap CNN − Dense is {MINUS}2.00 points, with a 95 % confidence interval of {MINUS}2.40 to " \
           f"{MINUS}1.60 points" in english
    assert "250 test images are classified correctly by Dense only, 50 by CNN only." in english
    assert "from 3.00 % for CNN to 1.00 % for Dense, 67 % fewer errors" in english
    assert french.startswith(f"**Le réseau dense l'emporte**{NBSP}: une exactitude de 99,00{NBSP}%")
    assert "que par le réseau dense, 50 que par le CNN." in french
    assert "-" not in english + french  # negative numbers take U+2212


def test_tie_is_not_called_a_win():
    text = verdict(pair({"cnn": 0.98, "dense": 0.98}, 3, 3, 1.0, interval=(-0.01, 0.01)), EN)
    assert text.startswith("**Tie**") and "**not statistically significant**" in text and "p = 1 " in text
    assert "error rate" not in text


def test_french_verdict_reads_as_french():
    text = verdict(SIGNIFICANT, FR)
    assert text == (
        f"**Le CNN l'emporte**{NBSP}: une exactitude de 98,87{NBSP}% sur les images de test, contre "
        f"97,12{NBSP}% pour le réseau dense. L'écart CNN − Dense est de +1,75{NBSP}point, avec un "
        f"intervalle de confiance à 95{NBSP}% allant de +1,20 à +2,10{NBSP}points (bootstrap "
        f"apparié{NBSP}: 100{NNBSP}000 rééchantillonnages des 10{NNBSP}000 images de test, "
        f"tirés avec la graine 7). "
        f"L'écart est **statistiquement significatif**{NBSP}: le test exact de McNemar sur les "
        f"prédictions appariées donne p{NBSP}={NBSP}2,27{NBSP}×{NBSP}10⁻²⁸ (inférieur à 0,05) et "
        f"l'intervalle exclut 0{NNBSP}; 222{NBSP}images de test ne sont bien classées que par le CNN, 47 "
        f"que par le réseau dense. Le taux d'erreur passe de 2,88{NBSP}% pour le réseau dense à "
        f"1,13{NBSP}% pour le CNN, soit 61{NBSP}% d'erreurs en moins.")


def test_french_point_and_image_are_singular_below_two():
    text = verdict(NOT_SIGNIFICANT, FR)
    assert f"est de +2,00{NBSP}points," in text and f"allant de {MINUS}0,50 à +1,90{NBSP}point (" in text
    assert f"1{NBSP}image de test n'est bien classée que par le CNN, 0 que par le réseau dense." in text
    assert f"p{NBSP}={NBSP}1 (supérieur ou égal à 0,05) et l'intervalle contient 0{NNBSP};" in text


def test_verdict_is_one_paragraph_in_both_languages():
    for words in STRINGS.values():
        assert "\n" not in verdict(SIGNIFICANT, words) + seeds_verdict(seeds([0.01, 0.02], 0.3, (-0.05, 0.08),
                                                                           12.71), words)


# --- across seeds ---------------------------------------------------------------------------------

THREE_NOT_SIGNIFICANT = seeds([-0.02, 0.01, 0.04], 0.5, (-0.1078, 0.2105), 4.30, dense=0.95)
SIX_SIGNIFICANT = seeds([0.015, 0.017, 0.016, 0.018, 0.014, 0.016], 1e-6, (0.0145, 0.0175), 2.57)


def test_seeds_headline_names_a_winner_only_when_the_t_interval_excludes_zero():
    english = seeds_verdict(THREE_NOT_SIGNIFICANT, EN)
    assert english.startswith("CNN is ahead across 3 seeds, not significantly: a mean test accuracy of "
                              "96.00 % (standard deviation 3.00 points) against 95.00 % (0.10 points) for "
                              "Dense.")
    assert bold_winner(english, EN) is None
    assert (f"The mean gap CNN − Dense is +1.00 points, with a 95 % confidence interval of {MINUS}10.78 to "
            "+21.05 points (Student's t interval over the 3 seeds).") in english
    assert "**not statistically significant**: a one-sample t-test of the per-seed gaps gives " \
           "p = 0.5" in english
    french = seeds_verdict(THREE_NOT_SIGNIFICANT, FR)
    assert french.startswith(f"Sur 3 graines aléatoires, le CNN est en tête, sans écart significatif{NBSP}:")
    assert bold_winner(french, FR) is None

    english, french = seeds_verdict(SIX_SIGNIFICANT, EN), seeds_verdict(SIX_SIGNIFICANT, FR)
    assert english.startswith("**CNN wins across 6 seeds**: a mean test accuracy of 98.60 %")
    assert "**statistically significant**: a one-sample t-test of the per-seed gaps gives " \
           "p = 1 × 10⁻⁶" in english
    assert french.startswith(f"**Sur 6 graines aléatoires, le CNN l'emporte**{NBSP}: une exactitude "
                             f"moyenne de 98,60{NBSP}% sur les images de test")


def test_few_seeds_say_the_interval_is_wide_and_the_count_cannot_be_significant():
    text = seeds_verdict(THREE_NOT_SIGNIFICANT, EN)
    assert "With 3 seeds this interval is wide by construction: Student's t quantile is 4.30, against " \
           "1.96 with many seeds." in text
    assert "CNN is ahead on 2 of the 3 seeds (sign test: p = 1)." in text
    assert "Below 6 seeds such a count cannot reach p < 0.05: even 3 of 3 gives p = 0.25." in text
    assert "conditional on the fixed test set" in text and "fixed validation split" in text
    five = seeds([0.01] * 4 + [0.02], 0.001, (0.006, 0.018), 2.78)
    text = seeds_verdict(five, EN)
    assert "wide by construction" not in text and "even 5 of 5 gives p = 0.0625." in text
    text = seeds_verdict(SIX_SIGNIFICANT, EN)
    assert "wide by construction" not in text and "cannot reach" not in text
    assert "CNN is ahead on 6 of the 6 seeds (sign test: p = 0.0312)." in text
    french = seeds_verdict(THREE_NOT_SIGNIFICANT, FR)
    assert "le quantile de la loi de Student vaut 4,30, contre 1,96 avec de nombreuses graines" in french
    assert f"même 3 sur 3 donne p{NBSP}={NBSP}0,25." in french and f"p{NBSP}<{NBSP}0,05" in french


def test_one_seed_says_what_the_verdict_leaves_out():
    one = seeds([0.01], None, None, None)
    assert seeds_verdict(one, EN).startswith("This verdict covers the sampling of the test images only")
    assert seeds_verdict(one, FR).startswith("Ce verdict ne tient compte que de l'échantillonnage")


def test_seeds_table_shows_both_models_in_order_and_the_signed_gap():
    table = seeds_table(THREE_NOT_SIGNIFICANT, EN).splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    assert cells[0] == ["Seed", "Dense", "CNN", "CNN − Dense", "McNemar p"]
    assert cells[2] == ["0", "95.00 %", "93.00 %", f"{MINUS}2.00 points", "0.2"]


def test_french_sentences_never_contract_wrongly():
    """« de le » and « à le » are « du » and « au » in French: no template writes them."""
    text = " ".join([verdict(SIGNIFICANT, FR), verdict(NOT_SIGNIFICANT, FR),
                     seeds_verdict(THREE_NOT_SIGNIFICANT, FR), seeds_verdict(SIX_SIGNIFICANT, FR)])
    assert not re.search(r"\b(de|à) (le|les)\b", text), text


# --- calibration and per-class tests --------------------------------------------------------------

def calibrated(dense_ece, cnn_ece, interval):
    models = {name: ModelCalibration(ece=ece, brier=0.04, log_loss=0.09, confidence=0.98, accuracy=0.97,
                                     reliability=None)
              for name, ece in (("dense", dense_ece), ("cnn", cnn_ece))}
    return Calibration(first="dense", second="cnn", models=models, interval=interval, samples=2000, seed=42)


def test_the_calibration_sentence_comes_only_when_the_interval_of_the_gap_excludes_zero():
    (english,) = calibration_verdict(calibrated(0.0105, 0.0050, (-0.0079, -0.0028)), 3, EN)
    assert english == ("CNN is better calibrated: an expected calibration error of 0.50 % against 1.05 % for "
                       f"Dense, and the 95 % confidence interval of the gap CNN − Dense, {MINUS}0.79 to "
                       f"{MINUS}0.28 points, excludes 0 (seed 3's models; see Calibration).")
    (french,) = calibration_verdict(calibrated(0.0105, 0.0050, (-0.0079, -0.0028)), 3, FR)
    assert french.startswith(f"Le CNN est mieux calibré{NBSP}: une erreur de calibration attendue de "
                             f"0,50{NBSP}%, contre 1,05{NBSP}% pour le réseau dense, et l'intervalle de "
                             f"confiance à 95{NBSP}% de l'écart CNN − Dense, allant de {MINUS}0,79 à "
                             f"{MINUS}0,28{NBSP}point, exclut 0 ")
    # Dense better calibrated: named first, whatever the order of the models
    (dense,) = calibration_verdict(calibrated(0.004, 0.012, (0.003, 0.013)), 3, EN)
    assert dense.startswith("Dense is better calibrated: an expected calibration error of 0.40 % against "
                            "1.20 % for CNN")
    assert calibration_verdict(calibrated(0.0105, 0.0090, (-0.004, 0.001)), 3, EN) == []  # includes 0
    assert calibration_verdict(calibrated(0.01, 0.01, (0.0, 0.0)), 3, FR) == []


def class_tests(adjusted):
    """Three classes of 100 images; the CNN is ahead on each (only it right on 10, 5 and 1)."""
    return ClassTests(first="dense", second="cnn", images=[100, 100, 0], correct={"dense": [88, 95, 0],
                      "cnn": [98, 100, 0]}, intervals={"dense": [(0.80, 0.93), (0.89, 0.98), None],
                                                       "cnn": [(0.93, 0.99), (0.963, 1.0), None]},
                      only_right={"dense": [0, 0, 0], "cnn": [10, 5, 0]}, p_values=[0.002, 0.0625, 1.0],
                      adjusted=adjusted)


def test_class_tests_table_gives_compact_intervals_and_names_the_model_significantly_better():
    lines = class_tests_table(class_tests([0.006, 0.125, 1.0]), ("0", "1", "2"), EN).splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert cells[0] == ["Class", "Test images", "Dense recall (95 % CI)", "CNN recall (95 % CI)",
                        "Right by Dense only", "Right by CNN only", "McNemar p", "Holm p",
                        "Significantly better"]
    assert cells[2] == ["0", "100", "88.00 % (80.0–93.0)", "98.00 % (93.0–99.0)", "0", "10", "0.002", "0.006",
                        "CNN"]
    assert cells[3][2:4] == ["95.00 % (89.0–98.0)", "100.00 % (96.3–100.0)"] and cells[3][-1] == "—"
    assert cells[4][2:4] == ["—", "—"]  # a class without test images has no recall
    french = class_tests_table(class_tests([0.006, 0.125, 1.0]), ("0", "1", "2"), FR)
    assert f"88,00{NBSP}% (80,0–93,0)" in french and "Rappel (dense, IC à 95" in french


def test_class_tests_summary_lists_the_significant_classes_of_each_model_and_the_rest():
    assert class_tests_summary(class_tests([0.006, 0.125, 1.0]), ("0", "1", "2"), EN) == (
        "With Holm's correction, CNN is significantly better on class 0. The difference is not significant "
        "on classes 1 and 2.")
    assert class_tests_summary(class_tests([0.006, 0.02, 1.0]), ("0", "1", "2"), FR) == (
        "Avec la correction de Holm, le CNN est significativement meilleur sur les classes 0 et 1. L'écart "
        "n'est pas significatif sur la classe 2.")
    assert class_tests_summary(class_tests([0.06, 0.125, 1.0]), ("0", "1", "2"), EN) == (
        "With Holm's correction, the difference is significant on no class.")
    both = ClassTests(first="dense", second="cnn", images=[10, 10],
                      correct={"dense": [10, 0], "cnn": [0, 10]},
                      intervals={"dense": [None, None], "cnn": [None, None]},
                      only_right={"dense": [10, 0], "cnn": [0, 10]}, p_values=[0.002, 0.002],
                      adjusted=[0.004, 0.004])
    assert class_tests_summary(both, ("T-shirt", "Trouser"), FR) == (
        "Avec la correction de Holm, le CNN est significativement meilleur sur la classe Trouser. Le réseau "
        "dense est significativement meilleur sur la classe T-shirt.")


def test_lists_and_recall_cells_in_both_languages():
    assert listed(["1", "2", "3"], EN) == "1, 2 and 3" and listed(["1", "2"], FR) == "1 et 2"
    assert listed(["7"], EN) == "7"
    assert recall_with_interval(97, 100, (0.915, 0.99), FR) == f"97,00{NBSP}% (91,5–99,0)"
def robustness_of(counts, images=100):
    """A Robustness of Dense and CNN from {(transform, severity): (Dense, CNN) images right}."""
    import pandas as pd

    from dense_vs_cnn.evaluation.robustness import Robustness
    from dense_vs_cnn.evaluation.statistics import wilson_interval

    rows = [(transform, level, name, images, right) for (transform, level), both in counts.items()
            for name, right in zip(("dense", "cnn"), both, strict=True)]
    table = pd.DataFrame(rows, columns=["transform", "severity", "model", "images", "correct"])
    table["accuracy"] = table["correct"] / images
    bounds = [wilson_interval(correct, images) for correct in table["correct"]]
    table["low"], table["high"] = zip(*bounds, strict=True)
    return Robustness(table=table, models=("dense", "cnn"), seed=0)


def test_robustness_levels_take_their_unit_and_thickness_its_sign():
    from dense_vs_cnn.report.render import robustness_level

    assert [robustness_level(transform, level, EN) for transform, level in
            (("translation", 3), ("rotation", 15.0), ("rotation", 2.5), ("noise", 0.3), ("thickness", -1),
             ("thickness", 2.0))] == ["3 px", "15°", "2.5°", "σ = 0.3", f"{MINUS}1 px", "+2 px"]
    assert robustness_level("noise", 0.3, FR) == f"σ{NBSP}={NBSP}0,3"


def test_robustness_summary_names_the_model_that_loses_less_and_a_tie_as_a_tie():
    from dense_vs_cnn.report.render import robustness_summary

    # CNN loses 2 images of 100 under translation (Dense 30), both lose 3 under noise.
    result = robustness_of({("translation", 0): (97, 99), ("translation", 2): (67, 97),
                            ("noise", 0): (97, 99), ("noise", 0.2): (94, 96), ("noise", 0.4): (90, 80)})
    assert robustness_summary(result, EN) == (
        f"At each transform's middle severity, CNN loses less accuracy than Dense under translation (2 px: "
        f"{MINUS}2.00 points against {MINUS}30.00 points); both models lose as much under Gaussian noise "
        f"(σ = 0.2: {MINUS}3.00 points against {MINUS}3.00 points).")
    # the models' roles swap with the numbers: nothing is written in
    swapped = robustness_of({("translation", 0): (99, 97), ("translation", 2): (97, 67)})
    assert robustness_summary(swapped, FR).startswith(
        "À la sévérité médiane de chaque transformation, le réseau dense perd moins d'exactitude que le CNN "
        f"pour la translation (2{NBSP}px{NBSP}: {MINUS}2,00{NBSP}points contre {MINUS}30,00{NBSP}points).")


# --- the spatial-structure control ----------------------------------------------------------------

def control_of(wrong, images=2000):
    """A PermutedControl and the original head-to-head from {(model, pixels): range of the misclassified
    test images}, the same test images throughout (the real statistics, 20,000 resamples)."""
    import pandas as pd

    from dense_vs_cnn.evaluation.comparison import ModelResult, head_to_head, permuted_control

    actual = np.arange(images) % 10

    def predicted(model, pixels):
        classes = actual.copy()
        classes[wrong[model, pixels]] = (actual[wrong[model, pixels]] + 1) % 10
        return classes

    results = {name: ModelResult(test={"accuracy": float(np.mean(predicted(name, "original") == actual))},
                                 history=None, per_class=None,
                                 predictions=pd.DataFrame({"actual": actual,
                                                           "predicted": predicted(name, "original")}))
               for name in ("dense", "cnn")}
    permuted = pd.DataFrame({"actual": actual, **{name: predicted(name, "permuted") for name in results}})
    return (permuted_control(results, permuted, 20_000, 42, permutation_seed=0),
            head_to_head(results, 10, 20_000, 42, 3))


# Dense misses 60 of 2000 images, and 62 permuted (7 images lost, 5 won: within the noise); the CNN
# misses 20, a subset of Dense's (significantly ahead), and 200 permuted.
DENSE_STAYS = {("dense", "original"): range(60), ("dense", "permuted"): range(5, 67)}
CNN_LOSES = {**DENSE_STAYS, ("cnn", "original"): range(20), ("cnn", "permuted"): range(200)}


def test_the_permuted_sentence_says_the_cnn_relies_more_on_pixel_order_and_its_lead_is_reversed():
    from dense_vs_cnn.report.render import permuted_summary

    control, pair = control_of(CNN_LOSES)
    assert not control.changed("dense") and control.changed("cnn") and pair.significant and control.differs()
    assert control.accuracy("permuted", "cnn") == 0.9 and control.gap("cnn") == pytest.approx(-0.09)
    assert control.difference() == pytest.approx(-0.089)
    sentence = permuted_summary(control, pair, EN)
    assert re.fullmatch(
        rf"On permuted pixels, Dense changes by {MINUS}0\.10 points, too little for the test images to tell "
        rf"from no change \(95 % CI: {MINUS}0\.\d\d to \+0\.\d\d points; McNemar p = 0\.774\), and CNN "
        rf"loses 9\.00 points \(95 % CI of the change: {MINUS}\d+\.\d\d to {MINUS}\d\.\d\d points; "
        rf"McNemar p = 1\.31 × 10⁻⁵⁴\): CNN's change is 8\.90 points below Dense's \(95 % CI of the "
        rf"difference CNN − Dense: {MINUS}\d+\.\d\d to {MINUS}\d\.\d\d points\), so CNN relies on the "
        rf"order of the pixels more than Dense; without it, Dense is significantly ahead \(CNN − Dense: "
        rf"{MINUS}6\.90 points, 95 % CI {MINUS}\d\.\d\d to {MINUS}\d\.\d\d points\)\.",
        sentence), sentence
    assert "depends" not in sentence and "only" not in sentence  # no claim from one significant change alone
    french = permuted_summary(control, pair, FR)
    assert french.startswith(f"Sur des pixels permutés, le réseau dense varie de {MINUS}0,10{NBSP}point, "
                             "trop peu pour que les images de test distinguent cet écart de zéro")
    assert f"et le CNN perd 9,00{NBSP}points" in french and f"p de McNemar{NBSP}={NBSP}0,774" in french
    assert f"l'écart est plus bas de 8,90{NBSP}points pour le CNN que pour le réseau dense" in french
    assert "le CNN s'appuie davantage que le réseau dense sur l'ordre des pixels" in french
    assert f"{NNBSP}; sans cet ordre, le réseau dense est significativement en tête" in french
    assert not re.search(r"\b(de|à) (le|les)\b", french), french


def test_the_difference_of_the_changes_is_bootstrapped_over_the_same_images():
    # Recomputed by hand: resample the test images, keeping each image's four outcomes together.
    control, _ = control_of(CNN_LOSES)
    right = {key: ~np.isin(np.arange(2000), list(wrong)) for key, wrong in CNN_LOSES.items()}
    per_image = (right["cnn", "permuted"].astype(int) - right["cnn", "original"]) - \
        (right["dense", "permuted"].astype(int) - right["dense", "original"])
    assert per_image.mean() == pytest.approx(control.difference())
    draws = np.random.default_rng(0).integers(0, 2000, size=(4000, 2000))
    low, high = np.percentile(per_image[draws].mean(axis=1), [2.5, 97.5])
    assert control.difference_interval == pytest.approx((low, high), abs=0.002)


@pytest.mark.parametrize("cnn_permuted, ending", [
    (range(40), "so CNN relies on the order of the pixels more than Dense; without it, it keeps a "
                "significant lead over Dense"),
    (range(62), "so CNN relies on the order of the pixels more than Dense; without it, its lead over Dense "
                "is no longer significant"),
    (range(20), "too little for the test images to tell which model relies more on the order of the pixels."),
])
def test_the_lead_clause_follows_the_permuted_head_to_head(cnn_permuted, ending):
    from dense_vs_cnn.report.render import permuted_summary

    control, pair = control_of({**CNN_LOSES, ("cnn", "permuted"): cnn_permuted})
    sentence = permuted_summary(control, pair, EN)
    assert ending in sentence, sentence
    same = "and CNN classifies exactly as many test images correctly"
    assert (same in sentence) == (cnn_permuted == range(20))


def test_two_losses_alike_name_no_model_and_no_lead_clause_without_a_significant_lead():
    from dense_vs_cnn.report.render import permuted_summary

    # Both lose about as much: each change is significant, their difference is not.
    control, pair = control_of({**CNN_LOSES, ("dense", "permuted"): range(240)})
    sentence = permuted_summary(control, pair, EN)
    assert control.changed("dense") and control.changed("cnn") and not control.differs()
    assert sentence.startswith("On permuted pixels, Dense loses 9.00 points (95 % CI of the change: ")
    assert ", and CNN loses 9.00 points" in sentence
    assert sentence.endswith("too little for the test images to tell which model relies more on the order "
                             "of the pixels.")
    # a model that was not significantly ahead gets no word on its lead
    control, pair = control_of({("dense", "original"): range(20), ("dense", "permuted"): range(20),
                                ("cnn", "original"): range(18), ("cnn", "permuted"): range(200)})
    assert not pair.significant
    assert permuted_summary(control, pair, EN).endswith(", so CNN relies on the order of the pixels more "
                                                        "than Dense.")


def test_the_permuted_table_gives_the_four_accuracies_the_changes_and_the_gaps():
    from dense_vs_cnn.report.render import permuted_table

    control, _ = control_of(CNN_LOSES)
    lines = permuted_table(control, EN).splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert cells[0] == ["Pixels", "Dense", "CNN", "CNN − Dense"]
    assert [row[0] for row in cells[2:]] == ["Original order", "Permuted (seed 0)", "Permuted − original",
                                             "McNemar p, permuted against original"]
    from scipy import stats

    def wilson(right):  # recomputed with scipy, as the per-class table's intervals are
        interval = stats.binomtest(right, 2000).proportion_ci(method="wilson")
        return f"{100 * right / 2000:.2f} % ({100 * interval.low:.1f}–{100 * interval.high:.1f})"

    assert [cells[2][1], cells[3][1], cells[2][2], cells[3][2]] == [wilson(1940), wilson(1938), wilson(1980),
                                                                    wilson(1800)]
    assert re.fullmatch(rf"{MINUS}9\.00 points \({MINUS}\d+\.\d\d to {MINUS}\d\.\d\d\)", cells[4][2])
    assert cells[2][3].startswith("+2.00 points (") and cells[3][3].startswith(f"{MINUS}6.90 points (")
    assert cells[4][3].startswith(f"{MINUS}8.90 points (") and cells[5][3] == "—" and cells[5][1] == "0.774"


@pytest.mark.parametrize(("words", "claim"), [
    (EN, "the same params and data give the same bytes on the same kind of machine; on a CPU with another "
         "instruction set"),
    (FR, f"donnent les mêmes octets sur le même type de machine{NNBSP}; sur un processeur doté d'un "
         "autre jeu d'instructions")])
def test_reproducibility_promises_the_same_bytes_only_on_the_same_kind_of_machine(words, claim):
    """TensorFlow rounds differently on another CPU (README, "Determinism"): the report says so
    beside the versions, in each language."""
    reproducibility = {"dataset": "mnist", "files": [("t10k-labels-idx1-ubyte.gz", "27ae3e4e")],
                       "code_digest": "aa9a", "code_paths": ["stages"], "params": {"seeds": [3]},
                       "versions": {"Python": "3.11.7", "TensorFlow": "2.21.0"}}
    versions = next(part for part in reproducibility_section(reproducibility, words) if "`2.21.0`" in part)
    assert versions.startswith("Versions") and claim in versions
