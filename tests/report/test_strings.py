import re
import string

from dense_vs_cnn.report.numbers import NumberFormat
from dense_vs_cnn.report.strings import STRINGS


def placeholders(table):
    """The shape of a string table: its keys, list lengths and each string's {placeholders}, a
    capital aside: {Ahead} and {ahead} are the same model, starting a sentence or not."""
    if isinstance(table, dict):
        return {key: placeholders(value) for key, value in table.items()}
    if isinstance(table, list | tuple):
        return [placeholders(value) for value in table]
    if isinstance(table, NumberFormat):
        return "NumberFormat"
    return sorted(field.lower() for _, field, _, _ in string.Formatter().parse(table) if field is not None)


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
    assert not [text for text in french if re.search(r" [:;%?!=<]|[=<] ", text)]
    assert "**{Ahead} l'emporte**\u00a0: " in STRINGS["fr"]["verdict_win"]
    assert "l'intervalle exclut 0\u202f;" in STRINGS["fr"]["significant"]
    assert "p\u00a0<\u00a00,05" in STRINGS["fr"]["seeds_count_floor"]


def test_french_names_each_metric_with_its_own_word():
    """Accuracy is « exactitude », precision « précision », recall « rappel »: « précision »
    names precision only, and never accuracy as the notebook did."""
    french = STRINGS["fr"]
    precision = [text for text in texts(french) if "récision" in text]
    assert precision == [french["class_precision"]]
    assert french["class_recall"].startswith("Rappel") and french["class_f1"] == "Score F1 ({model})"
    for key in ("verdict_win", "verdict_ahead", "tie", "test_accuracy", "last_val", "best_val", "gap"):
        assert "exactitude" in french[key].lower(), key
    assert french["labels"]["accuracy"].startswith("Exactitude") and "Exactitude" in french["columns"][1]


def test_english_per_class_table_says_recall_not_accuracy():
    english = STRINGS["en"]
    assert english["class_recall"] == "{model} recall"
    headers = english["class_recall"] + english["class_precision"] + english["class_f1"]
    assert "accuracy" not in headers.lower()


# Placeholders naming a model in a sentence, as render.py fills them.
MODEL_PLACEHOLDERS = r"\{(ahead|behind|first|second|better|worse|Ahead|Behind|Better|model|Model)\}"


def test_french_puts_no_de_or_a_before_a_model_and_models_take_their_article():
    """« de le CNN » must be « du CNN »: the templates avoid « de » and « à » before a model."""
    french = texts(STRINGS["fr"])
    assert not [text for text in french if re.search(rf"\b(de|à|d') ?{MODEL_PLACEHOLDERS}", text)]
    models = STRINGS["fr"]["models"]
    assert models["cnn"]["the"] == "le CNN" and models["dense"]["the"] == "le réseau dense"
    assert models["cnn"]["name"] == "CNN" and models["dense"]["name"] == "Dense"  # table headers
    assert models["dense"]["label"] == "dense"  # « Score F1 (dense) »


def test_a_bold_winner_is_only_in_the_winning_headlines():
    for language, words in STRINGS.items():
        bold = {key for key, text in words.items() if isinstance(text, str)
                and re.search(r"\*\*[^*]*(wins|l'emporte)[^*]*\*\*", text)}
        assert bold == {"verdict_win", "seeds_win"}, language
