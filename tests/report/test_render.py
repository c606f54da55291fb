import string

from dense_vs_cnn.report.render import verdict
from dense_vs_cnn.report.strings import STRINGS


def analysis(accuracy, only_winner, only_loser, p_value):
    return {"winner": "cnn", "loser": "dense", "tie": accuracy["cnn"] == accuracy["dense"],
            "accuracy": accuracy, "interval": (0.012, 0.021), "samples": 1000, "images": 10_000, "seed": 7,
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


def test_verdict_is_one_paragraph_in_both_languages():
    for words in STRINGS.values():
        assert "\n" not in verdict(analysis({"cnn": 0.99, "dense": 0.97}, 30, 10, 0.001), words)


def placeholders(table):
    """The shape of a string table: its keys, list lengths and each string's {placeholders}."""
    if isinstance(table, dict):
        return {key: placeholders(value) for key, value in table.items()}
    if isinstance(table, list):
        return len(table)
    return sorted(field for _, field, _, _ in string.Formatter().parse(table) if field is not None)


def test_every_language_has_the_same_strings_and_placeholders():
    for language in STRINGS:
        assert placeholders(STRINGS[language]) == placeholders(STRINGS["en"]), language
