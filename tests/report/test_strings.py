import re
import string

from dense_vs_cnn.report.numbers import NumberFormat
from dense_vs_cnn.report.strings import STRINGS


def placeholders(table):
    """The shape of a string table: its keys, list lengths and each string's {placeholders}."""
    if isinstance(table, dict):
        return {key: placeholders(value) for key, value in table.items()}
    if isinstance(table, list | tuple):
        return [placeholders(value) for value in table]
    if isinstance(table, NumberFormat):
        return "NumberFormat"
    return sorted(field for _, field, _, _ in string.Formatter().parse(table) if field is not None)


def texts(table):
    """Every string of a table, nested ones included."""
    if isinstance(table, dict | list | tuple):
        return [text for value in (table.values() if isinstance(table, dict) else table)
                for text in texts(value)]
    return [table] if isinstance(table, str) else []


def test_every_language_has_the_same_strings_and_placeholders():
    for language in STRINGS:
        assert placeholders(STRINGS[language]) == placeholders(STRINGS["en"]), language


def test_french_has_no_breakable_space_before_its_high_punctuation():
    french = texts(STRINGS["fr"])
    assert not [text for text in french if re.search(r" [:;%?!=]|= ", text)]
    assert "**{winner} l'emporte**\u00a0: " in STRINGS["fr"]["verdict"]
    assert "(inférieur à 0,05)\u202f;" in STRINGS["fr"]["significant"]


def test_french_names_each_metric_with_its_own_word():
    """Accuracy is « exactitude », precision « précision », recall « rappel »: « précision »
    names precision only, and never accuracy as the notebook did."""
    french = STRINGS["fr"]
    precision = [text for text in texts(french) if "récision" in text]
    assert precision == [french["class_precision"]]
    assert french["class_accuracy"].startswith("Rappel")
    for key in ("verdict", "tie", "test_accuracy", "best_val", "gap"):
        assert "exactitude" in french[key].lower(), key
    assert french["labels"]["accuracy"].startswith("Exactitude") and "Exactitude" in french["columns"][1]
