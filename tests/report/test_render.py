from dense_vs_cnn.report.render import verdict
from dense_vs_cnn.report.strings import STRINGS

NNBSP, NBSP = "\u202f", "\u00a0"  # narrow no-break space, no-break space


def analysis(accuracy, only_winner, only_loser, p_value, interval=(0.012, 0.021)):
    return {"winner": "cnn", "loser": "dense", "tie": accuracy["cnn"] == accuracy["dense"],
            "accuracy": accuracy, "interval": interval, "samples": 1000, "images": 10_000, "seed": 7,
            "p_value": p_value, "only_winner": only_winner, "only_loser": only_loser}


def test_significant_gap_gives_p_value_counts_and_interval():
    text = verdict(analysis({"cnn": 0.9887, "dense": 0.9712}, 222, 47, 2.27e-28), STRINGS["en"])
    assert text.startswith(
        "**CNN wins**: 98.87 % test accuracy against 97.12 % for Dense, 1.75 points better.")
    assert "(CNN minus Dense) is +1.20 to +2.10 points" in text
    assert "1,000 resamples of the 10,000 test images, seed 7" in text
    assert "**statistically significant**" in text and "p = 2.27e-28 (below 0.05)" in text
    assert "222 test images are classified correctly by CNN only, 47 by Dense only." in text


def test_tie_is_not_called_a_win():
    text = verdict(analysis({"cnn": 0.98, "dense": 0.98}, 3, 3, 1.0), STRINGS["en"])
    assert text.startswith("**Tie**") and "**not statistically significant**" in text and "p = 1 " in text


def test_french_verdict_reads_as_french():
    text = verdict(analysis({"cnn": 0.9887, "dense": 0.9712}, 222, 47, 2.27e-28), STRINGS["fr"])
    assert text == (
        f"**CNN l'emporte**{NBSP}: 98,87{NBSP}% d'exactitude sur les images de test, contre "
        f"97,12{NBSP}% pour Dense, soit 1,75{NBSP}point de plus. L'intervalle de confiance à "
        f"95{NBSP}% de l'écart (CNN moins Dense) va de +1,20 à +2,10{NBSP}points (bootstrap "
        f"apparié{NBSP}: 1{NNBSP}000 rééchantillonnages des 10{NNBSP}000 images de test, "
        f"tirés avec la graine 7). "
        f"L'écart est **statistiquement significatif**{NBSP}: le test exact de McNemar sur les "
        f"prédictions appariées donne p{NBSP}={NBSP}2,27{NBSP}×{NBSP}10⁻²⁸ (inférieur à 0,05){NNBSP}; "
        f"222{NBSP}images de test ne sont bien classées que par CNN, 47 que par Dense.")


def test_french_point_and_image_are_singular_below_two():
    text = verdict(analysis({"cnn": 0.75, "dense": 0.73}, 1, 0, 1.0, interval=(-0.005, 0.019)),
                   STRINGS["fr"])
    assert f"soit 2,00{NBSP}points de plus" in text and f"va de -0,50 à +1,90{NBSP}point (" in text
    assert f"1{NBSP}image de test n'est bien classée que par CNN, 0 que par Dense." in text
    assert f"p{NBSP}={NBSP}1 (supérieur ou égal à 0,05){NNBSP};" in text


def test_verdict_is_one_paragraph_in_both_languages():
    for words in STRINGS.values():
        assert "\n" not in verdict(analysis({"cnn": 0.99, "dense": 0.97}, 30, 10, 0.001), words)
