import json
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.statistics import per_class_metrics
from dense_vs_cnn.report.render import percent
from stages.compare import main as compare
from tests.conftest import PROJECT, set_params

IMAGES = 400


def write_results(folder, name, wrong, parameters, val_accuracies, images_per_second):
    """Metrics files as train and evaluate write them; `wrong`: indices of misclassified images."""
    folder.mkdir(exist_ok=True)
    actual = np.arange(IMAGES) % 10
    predicted = actual.copy()
    predicted[wrong] = (actual[wrong] + 1) % 10
    pd.DataFrame({"actual": actual, "predicted": predicted}).to_csv(folder / f"{name}_predictions.csv",
                                                                    index=False)
    per_class_metrics(actual, predicted, 10).to_csv(folder / f"{name}_per_class.csv", index=False,
                                                    float_format="%.6f")
    test = {"accuracy": float(np.mean(actual == predicted)), "loss": 0.0812 if name == "dense" else 0.0301,
            "parameters": parameters}
    (folder / f"{name}_test.json").write_text(json.dumps(test))
    (folder / f"{name}_inference.json").write_text(json.dumps({"images_per_second": images_per_second}))
    (folder / f"{name}_train.json").write_text(json.dumps({"train_seconds": 12.34, "epochs": 2}))
    epochs = len(val_accuracies)
    history = pd.DataFrame({"epoch": range(epochs), "accuracy": [0.9] * epochs, "loss": [0.3] * epochs,
                            "val_accuracy": val_accuracies, "val_loss": [0.2] * epochs})
    history.to_csv(folder / f"{name}_history.csv", index=False)


@pytest.fixture
def metrics(tmp_path):
    """Dense misses 10 images, the CNN 4; they share 2: 8 only the CNN gets right, 2 only Dense."""
    folder = tmp_path / "metrics"
    write_results(folder, "dense", [3, 14, 25, 36, 47, 58, 69, 70, 81, 92], 109_386, [0.96, 0.975], 8470)
    write_results(folder, "cnn", [3, 14, 100, 111], 225_034, [0.985, 0.983], 2717)
    images = np.random.default_rng(0).random((IMAGES, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "test_channel.npy", images)
    return folder


def run_compare(metrics, tmp_path):
    report = tmp_path / "reports" / "report.md"
    compare(["--metrics-dir", str(metrics), "--models", "dense", "cnn",
             "--test-images", str(tmp_path / "test_channel.npy"), "--code", str(PROJECT / "stages"),
             "--figures", str(tmp_path / "reports" / "figures"), "--report", str(report)])
    return report.read_text(encoding="utf-8")


def table_rows(report, header):
    """{first cell: other cells} of the Markdown table right after the line `header`."""
    lines = report.split(f"{header}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return {cells[0]: cells[1:] for cells in
            ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)}


def test_verdict_gives_winner_interval_and_mcnemar(metrics, tmp_path, tiny_params):
    report = run_compare(metrics, tmp_path)
    verdict = report.split("\n\n")[1]
    assert verdict.startswith(
        "**CNN wins**: 99.00 % test accuracy against 97.50 % for Dense, 1.50 points better.")
    # 8 discordant images for the CNN, 2 for Dense: p = 2 * (1 + 10 + 45) / 2**10 = 0.109375.
    assert "**not statistically significant**" in verdict and "p = 0.109 " in verdict
    assert "8 test images are classified correctly by CNN only, 2 by Dense only." in verdict
    low, high = map(float, re.search(r"is ([+-][\d.]+) to ([+-][\d.]+) points", verdict).groups())
    assert low < 1.5 < high and "1,000 resamples of the 400 test images, seed 42" in verdict


def test_report_numbers_equal_the_metrics_files(metrics, tmp_path, tiny_params):
    report = run_compare(metrics, tmp_path)
    test = {name: json.loads((metrics / f"{name}_test.json").read_text()) for name in ("dense", "cnn")}
    rows = table_rows(report, "## Comparison")
    assert rows["Test accuracy"] == [percent(test["dense"]["accuracy"]), percent(test["cnn"]["accuracy"])]
    assert rows["Test loss"] == ["0.0812", "0.0301"]
    assert rows["Parameters"] == ["109,386", "225,034"]
    assert rows["Training time"] == ["12.3 s", "12.3 s"]
    assert rows["Time per epoch"] == ["6.2 s", "6.2 s"]
    assert rows["Inference throughput"] == ["8,470 images/s", "2,717 images/s"]
    assert rows["Best validation accuracy (epoch)"] == ["97.50 % (2)", "98.50 % (1)"]
    assert rows["Train − validation accuracy gap, last epoch"] == ["-7.50 points", "-8.30 points"]
    assert "## Per-epoch history: CNN" in report

    per_class = table_rows(report, "## Per class")
    for name, offset in (("dense", 1), ("cnn", 4)):
        expected = pd.read_csv(metrics / f"{name}_per_class.csv")
        for digit, row in expected.iterrows():
            cells = per_class[str(digit)]
            assert int(cells[0]) == row["support"]
            assert cells[offset:offset + 3] == [percent(row["recall"]), percent(row["precision"]),
                                                f"{row['f1']:.4f}"]
    confused = table_rows(report, "### Most confused pairs")
    # Ranked by the count summed over both models, ties in class order.
    assert list(confused) == ["0 → 1", "1 → 2", "3 → 4", "4 → 5", "2 → 3"]
    assert confused["0 → 1"] == ["1", "1"] and confused["2 → 3"] == ["1", "0"]


def test_every_image_link_is_a_real_png(metrics, tmp_path, tiny_params):
    report = run_compare(metrics, tmp_path)
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert links == ["figures/learning_curves.png", "figures/confusion_matrices.png", "figures/errors.png",
                     "figures/disagreements.png"]
    for link in links:
        path = tmp_path / "reports" / link
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, link
        height, width, _ = matplotlib.image.imread(path).shape
        assert height > 100 and width > 500, link


def test_rerun_gives_identical_bytes(metrics, tmp_path, tiny_params):
    first = run_compare(metrics, tmp_path)
    pictures = {path.name: path.read_bytes() for path in (tmp_path / "reports" / "figures").iterdir()}
    assert run_compare(metrics, tmp_path) == first
    assert {path.name: path.read_bytes() for path in (tmp_path / "reports" / "figures").iterdir()} == pictures


def test_french_report(metrics, tmp_path, tiny_params):
    set_params(tiny_params, {"compare.language": "fr"})
    report = run_compare(metrics, tmp_path)
    assert "**CNN l'emporte**" in report and "| Précision test" in report
    assert "n'est pas statistiquement significatif" in report and "## Reproductibilité" in report


def test_predictions_on_different_images_are_refused(metrics, tmp_path, tiny_params):
    predictions = pd.read_csv(metrics / "cnn_predictions.csv")
    predictions.iloc[:-1].to_csv(metrics / "cnn_predictions.csv", index=False)
    with pytest.raises(PipelineError, match="not on the same test images"):
        run_compare(metrics, tmp_path)


def test_missing_metrics_say_how_to_build_them(metrics, tmp_path, tiny_params):
    (metrics / "dense_per_class.csv").unlink()
    with pytest.raises(PipelineError, match=r"dense_per_class.csv is missing: run `dvc repro`"):
        run_compare(metrics, tmp_path)


def set_cell(path, column, row, value):
    frame = pd.read_csv(path)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(("file", "edit", "problem"), [
    ("cnn_predictions.csv", lambda path: set_cell(path, "predicted", 40, 12),
     ", line 42: predicted = 12 is not a whole number from 0 to 9"),
    ("dense_predictions.csv", lambda path: set_cell(path, "predicted", 0, -3),
     ", line 2: predicted = -3 is not a whole number from 0 to 9"),
    ("cnn_predictions.csv", lambda path: set_cell(path, "predicted", 7, "eight"),
     ", line 9: predicted = 'eight' is not a whole number from 0 to 9"),
    ("dense_history.csv", lambda path: path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n"),
     " has no rows, only a header"),
    ("cnn_history.csv", lambda path: path.write_text(""),
     " is not a readable CSV table (No columns to parse"),
    ("cnn_test.json", lambda path: path.write_text('{"accuracy": NaN, "loss": 0.03, "parameters": 225034}'),
     ": accuracy = nan is not a number from 0 to 1"),
    ("dense_test.json", lambda path: path.write_text('{"accuracy": "97 %", "loss": 0.08, "parameters": 1}'),
     ": accuracy = '97 %' is not a number from 0 to 1"),
])
def test_hand_edited_inputs_are_named_and_nothing_is_written(metrics, tmp_path, tiny_params, file, edit,
                                                             problem):
    """Metrics are git-tracked: a pull request can edit them. Each gave a traceback or "nan %"."""
    edit(metrics / file)
    with pytest.raises(PipelineError) as error:
        run_compare(metrics, tmp_path)
    assert str(error.value).startswith(f"{metrics / file}{problem}"), str(error.value)
    assert not (tmp_path / "reports").exists()
