import json

import pandas as pd
import pytest

from stages.compare import STRINGS, verdict
from stages.compare import main as compare
from tests.conftest import set_params


def write_results(folder, name, accuracy, loss, parameters, val_accuracies):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}_test.json").write_text(
        json.dumps({"accuracy": accuracy, "loss": loss, "parameters": parameters}))
    (folder / f"{name}_train.json").write_text(json.dumps({"train_seconds": 12.34, "epochs": 2}))
    epochs = len(val_accuracies)
    history = pd.DataFrame({"epoch": range(epochs), "accuracy": [0.9] * epochs, "loss": [0.3] * epochs,
                            "val_accuracy": val_accuracies, "val_loss": [0.2] * epochs})
    history.to_csv(folder / f"{name}_history.csv", index=False)


@pytest.fixture
def metrics(tmp_path):
    folder = tmp_path / "metrics"
    write_results(folder, "dense", 0.9752, 0.0812, 109_386, [0.96, 0.975])
    write_results(folder, "cnn", 0.9902, 0.0301, 225_034, [0.985, 0.983])
    return folder


def run_compare(metrics, tmp_path):
    report = tmp_path / "report.md"
    compare(["--metrics-dir", str(metrics), "--models", "dense", "cnn", "--report", str(report)])
    return report.read_text()


def test_report_holds_the_numbers_and_the_verdict(metrics, tmp_path, tiny_params):
    report = run_compare(metrics, tmp_path)
    assert "**CNN wins**: 99.02 % test accuracy against 97.52 % for Dense, 1.50 points better." in report
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
            for line in report.splitlines() if line.startswith("| ")}
    assert rows["Test accuracy"] == ["97.52 %", "99.02 %"]
    assert rows["Test loss"] == ["0.0812", "0.0301"]
    assert rows["Parameters"] == ["109,386", "225,034"]
    assert rows["Training time"] == ["12.3 s", "12.3 s"]
    assert rows["Best validation accuracy (epoch)"] == ["97.50 % (2)", "98.50 % (1)"]
    assert "## Per-epoch history: CNN" in report


def test_rerun_gives_identical_bytes(metrics, tmp_path, tiny_params):
    assert run_compare(metrics, tmp_path) == run_compare(metrics, tmp_path)


def test_french_report(metrics, tmp_path, tiny_params):
    set_params(tiny_params, {"compare.language": "fr"})
    report = run_compare(metrics, tmp_path)
    assert "**CNN l'emporte**" in report and "| Précision test" in report


def test_tie_is_not_called_a_win():
    results = {name: {"test": {"accuracy": 0.98}} for name in ("dense", "cnn")}
    assert verdict(results, STRINGS["en"]).startswith("**Tie**")


def test_both_languages_have_the_same_strings():
    assert set(STRINGS["en"]) == set(STRINGS["fr"])
