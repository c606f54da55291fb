import json
import re
import shutil
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.calibration import brier_score, expected_calibration_error, log_loss
from dense_vs_cnn.evaluation.statistics import per_class_metrics, wilson_interval
from stages.compare import main as compare
from tests.conftest import PROJECT, TINY_PARAMS, run, set_params

IMAGES = 400
NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"  # narrow no-break space, no-break space, minus sign


def percent(fraction):
    return f"{100 * fraction:.2f} %"


def french(value, decimals=0, sign=""):
    """`value` as French writes it: 109 386, 0,0812, +1,38, −7,50."""
    return f"{value:{sign},.{decimals}f}".replace(",", NNBSP).replace(".", ",").replace("-", MINUS)


def signed(text):
    """A printed signed number (+1.50, −0,25) as a float."""
    return float(text.replace(MINUS, "-").replace(",", "."))


def french_percent(fraction):
    return f"{french(100 * fraction, 2)}{NBSP}%"


def update_json(path, key, value):
    content = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**content, key: value}))


COSTS = {"dense": {"inference_flops": 218_816, "training_flops": 656_448, "model_bytes": 1_337_504},
         "cnn": {"inference_flops": 5_262_080, "training_flops": 15_786_240, "model_bytes": 2_734_120}}


# Each model's probability for the class it predicts, on every image: Dense is overconfident.
CONFIDENCE = {"dense": 0.9999, "cnn": 0.99}


def probabilities_of(predicted, confidence):
    """Class probabilities whose argmax is `predicted`, with `confidence` there and the rest shared."""
    values = np.full((len(predicted), 10), (1 - confidence) / 9, dtype=np.float32)
    values[np.arange(len(predicted)), predicted] = confidence
    return values


def write_results(folder, name, wrong, parameters, val_accuracies, seed=3):
    """Metrics files as train and evaluate write them; `wrong`: indices of misclassified images."""
    data = folder.parent / "data"
    for path in (folder / f"seed-{seed}", data / "probabilities"):
        path.mkdir(parents=True, exist_ok=True)
    actual = np.arange(IMAGES) % 10
    predicted = actual.copy()
    predicted[wrong] = (actual[wrong] + 1) % 10
    probabilities = probabilities_of(predicted, CONFIDENCE[name])
    np.save(data / "probabilities" / f"{name}_seed{seed}.npy", probabilities)
    test = {"accuracy": float(np.mean(actual == predicted)), "loss": log_loss(probabilities, actual),
            "parameters": parameters, **COSTS[name]}
    if seed == 3:  # the first seed's models: the single-run files
        pd.DataFrame({"actual": actual, "predicted": predicted}).to_csv(folder / f"{name}_predictions.csv",
                                                                        index=False)
        per_class_metrics(actual, predicted, 10).to_csv(folder / f"{name}_per_class.csv", index=False,
                                                        float_format="%.6f")
        update_json(folder / "test.json", name, test)
    scores = json.loads((data / "scores.json").read_text()) if (data / "scores.json").exists() else {}
    update_json(data / "scores.json", str(seed), {**scores.get(str(seed), {}), name: test})
    all_seeds = pd.read_csv(data / "predictions.csv") if (data / "predictions.csv").exists() else \
        pd.DataFrame({"actual": actual})
    all_seeds[f"{name}_seed{seed}"] = predicted
    all_seeds.to_csv(data / "predictions.csv", index=False)
    epochs = len(val_accuracies)
    history = pd.DataFrame({"epoch": range(1, epochs + 1), "accuracy": [0.9] * epochs, "loss": [0.3] * epochs,
                            "val_accuracy": val_accuracies, "val_loss": [0.2] * epochs})
    history.to_csv(folder / f"seed-{seed}" / f"{name}_history.csv", index=False)


# Images classified correctly of 200, per (transform, severity): (Dense, CNN). At the middle severity
# the CNN loses less under translation (2 px) and rotation (10°), Dense under thickness (+1 px), and
# both lose 5 images under noise (σ = 0.2). Severity 0 is the same images under every transform.
ROBUSTNESS = {("translation", 1): (150, 190), ("translation", 2): (100, 180), ("translation", 3): (60, 160),
              ("rotation", 10): (180, 190), ("rotation", 20): (150, 170), ("noise", 0.2): (185, 191),
              ("thickness", -1): (170, 180), ("thickness", 1): (188, 190), ("thickness", 2): (180, 185)}
UNCHANGED = (190, 196)


def write_robustness(folder):
    """metrics/robustness.csv as the robustness stage writes it."""
    rows = []
    for transform in dict.fromkeys(transform for transform, _ in ROBUSTNESS):
        levels = sorted([0, *(level for name, level in ROBUSTNESS if name == transform)])
        for level in levels:
            counts = UNCHANGED if level == 0 else ROBUSTNESS[(transform, level)]
            rows += [(transform, level, name, 200, count)
                     for name, count in zip(("dense", "cnn"), counts, strict=True)]
    table = pd.DataFrame(rows, columns=["transform", "severity", "model", "images", "correct"])
    table["accuracy"] = table["correct"] / table["images"]
    table["low"], table["high"] = zip(*map(wilson_interval, table["correct"], table["images"]), strict=True)
    table.to_csv(folder / "robustness.csv", index=False, float_format="%.6g")


def write_metrics(tmp_path):
    """Dense misses 10 images, the CNN 4; they share 2: 8 only the CNN gets right, 2 only Dense."""
    folder = tmp_path / "metrics"
    write_results(folder, "dense", [3, 14, 25, 36, 47, 58, 69, 70, 81, 92], 109_386, [0.96, 0.975])
    write_results(folder, "cnn", [3, 14, 100, 111], 225_034, [0.985, 0.983])
    write_robustness(folder)
    images = np.random.default_rng(0).integers(0, 256, (IMAGES, 28, 28, 1), dtype=np.uint8)
    np.save(tmp_path / "test_channel.npy", images)
    return folder


@pytest.fixture
def metrics(tmp_path):
    return write_metrics(tmp_path)


@pytest.fixture(scope="module")
def report_of(tmp_path_factory):
    """{language: (report, folder)}: compare run once per language on write_metrics' files at tiny
    params, for the tests that only read what it wrote (folder: metrics/, data/, reports/, params.yaml)."""
    made = {}
    for language in ("en", "fr"):
        folder = tmp_path_factory.mktemp(f"report-{language}")
        shutil.copy(PROJECT / "params.yaml", folder / "params.yaml")
        set_params(folder / "params.yaml", {**TINY_PARAMS, "compare.language": language})
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            made[language] = run_compare(write_metrics(folder), folder), folder
    return made


def compare_arguments(metrics, tmp_path):
    return ["--metrics-dir", str(metrics), "--history", str(metrics / "seed-3" / "{model}_history.csv"),
            "--scores", str(tmp_path / "data" / "scores.json"),
            "--predictions", str(tmp_path / "data" / "predictions.csv"),
            "--probabilities", str(tmp_path / "data" / "probabilities" / "{model}_seed3.npy"),
            "--models", "dense", "cnn", "--robustness", str(metrics / "robustness.csv"),
            "--permuted", str(tmp_path / "data" / "permuted" / "predictions.csv"),
            "--test-images", str(tmp_path / "test_channel.npy"), "--code", str(PROJECT / "stages"),
            "--figures", str(tmp_path / "reports" / "figures"),
            "--report", str(tmp_path / "reports" / "report.md")]


def run_compare(metrics, tmp_path):
    compare(compare_arguments(metrics, tmp_path))
    return (tmp_path / "reports" / "report.md").read_text(encoding="utf-8")


def table_rows(report, header):
    """{first cell: other cells} of the first Markdown table after the line `header`."""
    paragraphs = report.split(f"{header}\n\n", 1)[1].split("\n\n")
    lines = next(paragraph for paragraph in paragraphs if paragraph.startswith("|")).splitlines()[2:]
    return {cells[0]: cells[1:] for cells in
            ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)}


def test_verdict_gives_the_model_ahead_interval_and_mcnemar(report_of):
    report, tmp_path = report_of["en"]
    tiny_params = tmp_path / "params.yaml"
    verdict = report.split("\n\n")[1]
    # 8 discordant images for the CNN, 2 for Dense: p = 2 * (1 + 10 + 45) / 2**10 = 0.109375: no winner.
    assert verdict.startswith("CNN is ahead, not significantly: 99.00 % test accuracy against 97.50 % for "
                              "Dense. The gap CNN − Dense is +1.50 points, with a 95 % confidence interval "
                              "of ")
    assert "**" + "CNN wins" not in report
    assert "**not statistically significant**" in verdict and "p = 0.109 " in verdict
    assert "8 test images are classified correctly by CNN only, 2 by Dense only." in verdict
    low, high = map(signed, re.search(r"interval of ([+−][\d.]+) to ([+−][\d.]+) points", verdict).groups())
    samples = yaml.safe_load(tiny_params.read_text())["compare"]["bootstrap_samples"]
    assert low < 1.5 < high and f"{samples:,} resamples of the 400 test images, seed 42" in verdict
    assert "The error rate falls from 2.50 % for Dense to 1.00 % for CNN, 60 % fewer errors." in verdict


@pytest.mark.parametrize(("language", "win", "ahead"), [
    ("en", "**CNN wins**: 99.00 % test accuracy", "CNN is ahead, not significantly: 99.00 % test accuracy"),
    ("fr", "**Le CNN l'emporte**\u00a0: une exactitude de 99,00\u00a0%",
     "Le CNN est en tête, sans écart significatif\u00a0: une exactitude de 99,00\u00a0%"),
])
def test_the_headline_names_a_winner_only_when_mcnemar_and_the_bootstrap_support_it(
        report_of, metrics, tmp_path, tiny_params, language, win, ahead):
    assert report_verdict(report_of[language][0]).startswith(ahead)  # write_metrics' files: p = 0.109
    set_params(tiny_params, {"compare.language": language})
    # Dense now misses 30 more images, which the CNN gets right: p = 2 * 56 / 2**40, interval above 0.
    write_results(metrics, "dense", [3, 14, 25, 36, 47, 58, 69, 70, 81, 92, *range(200, 230)], 109_386,
                  [0.96, 0.975])
    verdict = report_verdict(run_compare(metrics, tmp_path))
    assert verdict.startswith(win)
    assert "**statistically significant**" in verdict or "**statistiquement significatif**" in verdict


def report_verdict(report):
    return report.split("\n\n")[1]


def test_report_numbers_equal_the_metrics_files(report_of):
    report, tmp_path = report_of["en"]
    metrics = tmp_path / "metrics"
    test = json.loads((metrics / "test.json").read_text())
    rows = table_rows(report, "## Comparison")
    assert rows["Test accuracy"] == [percent(test["dense"]["accuracy"]), percent(test["cnn"]["accuracy"])]
    assert rows["Test loss"] == [f"{test[name]['loss']:.4f}" for name in ("dense", "cnn")]
    assert rows["Parameters"] == ["109,386", "225,034"]
    assert rows["Floating-point operations per image, inference (forward pass)"] == ["218,816", "5,262,080"]
    assert rows["Floating-point operations per image, one training step (forward + backward)"] == [
        f"{test[name]['training_flops']:,}" for name in ("dense", "cnn")]
    assert rows["Model size on disk"] == ["1.34 MB", "2.73 MB"]
    assert rows["Validation accuracy, last epoch (the model scored)"] == ["97.50 %", "98.30 %"]
    assert rows["Best validation accuracy (epoch)"] == ["97.50 % (2)", "98.50 % (1)"]
    assert rows["Training accuracy (mean over the last epoch) − validation accuracy"] == [
        f"{MINUS}7.50 points", f"{MINUS}8.30 points"]
    assert not [row for row in rows if re.search(r"time|throughput", row, re.IGNORECASE)]  # no timing
    assert "a multiply-add counts as 2 operations" in report and "3 × the forward pass" in report
    assert "The models scored on the test set are those of the last epoch" in report
    assert "running average over the epoch's batches" in report
    assert "## Per-epoch history: CNN" in report

    per_class = table_rows(report, "## Per class")
    for name, offset in (("dense", 1), ("cnn", 4)):
        expected = pd.read_csv(metrics / f"{name}_per_class.csv")
        for digit, row in expected.iterrows():
            cells = per_class[str(digit)]
            assert int(cells[0]) == row["support"]
            assert cells[offset:offset + 3] == [percent(row["recall"]), percent(row["precision"]),
                                                percent(row["f1"])]  # F1 in percent too: one form
    assert re.search(r"\|\s+Dense recall\s+\|\s+Dense precision\s+\|\s+Dense F1\s+\|", report)
    assert "accuracy" not in report.split("## Per class")[1].split("##")[0]
    assert "### Most confused pairs, each model ranked by its own count\n" in report
    # Each model ranked by its own counts; every pair tied at the cut (the 5th) is shown.
    dense, cnn = table_rows(report, "#### Dense"), table_rows(report, "#### CNN")
    assert list(dense) == [f"{i} → {(i + 1) % 10}" for i in range(10)]  # ten errors, one per pair: all tied
    assert dense["2 → 3"] == ["1", "0"] and dense["0 → 1"] == ["1", "1"]
    assert list(cnn) == ["0 → 1", "1 → 2", "3 → 4", "4 → 5"] and cnn["1 → 2"] == ["1", "1"]


def test_every_image_link_is_a_real_png(report_of):
    report, tmp_path = report_of["en"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert links == ["figures/learning_curves.png", "figures/confusion_matrices.png", "figures/errors.png",
                     "figures/disagreements.png", "figures/reliability.png",
                     "figures/robustness.png"]
    for link in links:
        path = tmp_path / "reports" / link
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, link
        height, width, _ = matplotlib.image.imread(path).shape
        assert height > 100 and width > 500, link


# The stage as dvc runs it (`python -m stages.compare`), noting, as the process exits, how many
# objects its __main__ block froze (gc.freeze: the exit then walks none of them).
AS_A_STAGE = ("import atexit, gc, runpy, sys; "
              "atexit.register(lambda: print('frozen objects:', gc.get_freeze_count())); "
              "sys.argv[0] = 'compare'; runpy.run_module('stages.compare', run_name='__main__')")


def test_a_rerun_as_a_stage_process_gives_identical_bytes_and_freezes_before_it_exits(metrics, tmp_path,
                                                                                     tiny_params):
    first = run_compare(metrics, tmp_path)
    pictures = {path.name: path.read_bytes() for path in (tmp_path / "reports" / "figures").iterdir()}
    shutil.rmtree(tmp_path / "reports")  # what the process writes, not what the first run left
    rerun = run([sys.executable, "-c", AS_A_STAGE, *compare_arguments(metrics, tmp_path)], cwd=tmp_path,
                env={"PYTHONPATH": str(PROJECT)})
    assert (tmp_path / "reports" / "report.md").read_text(encoding="utf-8") == first
    assert {path.name: path.read_bytes() for path in (tmp_path / "reports" / "figures").iterdir()} == pictures
    assert int(re.search(r"frozen objects: (\d+)", rerun.stdout).group(1)) > 100_000, rerun.stdout


def test_french_report_numbers_equal_the_metrics_files_in_french(report_of):
    report, tmp_path = report_of["fr"]
    metrics, tiny_params = tmp_path / "metrics", tmp_path / "params.yaml"
    models = ("dense", "cnn")
    test = json.loads((metrics / "test.json").read_text())
    scores = json.loads((tmp_path / "data" / "scores.json").read_text())["3"]
    history = {name: pd.read_csv(metrics / "seed-3" / f"{name}_history.csv") for name in models}

    verdict = report.split("\n\n")[1]
    points = 100 * (test["cnn"]["accuracy"] - test["dense"]["accuracy"])
    assert verdict.startswith(
        f"Le CNN est en tête, sans écart significatif{NBSP}: une exactitude de "
        f"{french_percent(test['cnn']['accuracy'])} sur les images de test, contre "
        f"{french_percent(test['dense']['accuracy'])} pour le réseau dense. L'écart CNN − Dense est de "
        f"{french(points, 2, '+')}{NBSP}point, ")  # 1,50: singular below 2
    samples = yaml.safe_load(tiny_params.read_text())["compare"]["bootstrap_samples"]
    assert f"(bootstrap apparié{NBSP}: {french(samples)} rééchantillonnages des {IMAGES} images de test" \
        in verdict
    assert f"p{NBSP}={NBSP}0,109 (supérieur ou égal à 0,05)" in verdict
    assert f"8{NBSP}images de test ne sont bien classées que par le CNN, 2 que par le réseau " \
           "dense." in verdict
    assert f"Le taux d'erreur passe de 2,50{NBSP}% pour le réseau dense à 1,00{NBSP}% pour le CNN, soit " \
           f"60{NBSP}% d'erreurs en moins." in verdict
    low, high = re.search(rf"allant de ([+−]\d+,\d\d) à ([+−]\d+,\d\d){NBSP}points? ", verdict).groups()
    assert signed(low) < points < signed(high)
    assert not re.search(r"\b(de|à) les?\b", report)  # « du », « au »: never « de le »

    rows = table_rows(report, "## Comparaison")
    accuracies = [french_percent(test[name]["accuracy"]) for name in models]
    assert rows["Exactitude sur le jeu de test"] == accuracies
    assert rows["Perte sur le jeu de test"] == [french(test[name]["loss"], 4) for name in models]
    assert rows["Nombre de paramètres"] == [french(test[name]["parameters"]) for name in models]
    assert rows["Nombre de paramètres"] == [f"109{NNBSP}386", f"225{NNBSP}034"]
    assert rows["Opérations en virgule flottante par image, inférence (propagation avant)"] == [
        french(scores[name]["inference_flops"]) for name in models]
    assert rows["Opérations en virgule flottante par image, une étape d'entraînement (propagation avant et "
                "arrière)"] == [french(scores[name]["training_flops"]) for name in models]
    assert rows["Taille du modèle sur disque"] == [f"{french(scores[name]['model_bytes'] / 1e6, 2)}{NBSP}Mo"
                                                   for name in models]
    validation = [history[name]["val_accuracy"] for name in models]
    assert rows["Meilleure exactitude en validation (époque)"] == [
        f"{french_percent(accuracy.max())} ({accuracy.idxmax() + 1})" for accuracy in validation]
    last = [history[name].iloc[-1] for name in models]
    gaps = [100 * (epoch["accuracy"] - epoch["val_accuracy"]) for epoch in last]
    assert rows["Exactitude d'entraînement (moyenne sur la dernière époque) − exactitude en validation"] == [
        f"{french(gap, 2, '+')}{NBSP}points" for gap in gaps]  # −7,50 and −8,30: plural from 2 on
    assert [cell[0] for cell in (rows["Exactitude d'entraînement (moyenne sur la dernière époque) − "
                                      "exactitude en validation"])] == [MINUS, MINUS]

    epochs = table_rows(report, f"## Historique par époque{NBSP}: CNN")
    for epoch, row in history["cnn"].iterrows():
        assert epochs[str(epoch + 1)] == [french_percent(row["accuracy"]), french(row["loss"], 4),
                                          french_percent(row["val_accuracy"]), french(row["val_loss"], 4)]

    per_class = table_rows(report, "## Résultats par classe")
    assert re.search(r"\|\s+Rappel \(dense\)\s+\|\s+Précision \(dense\)\s+\|\s+Score F1 \(dense\)\s+\|",
                     report)
    for name, offset in (("dense", 1), ("cnn", 4)):
        expected = pd.read_csv(metrics / f"{name}_per_class.csv")
        for digit, row in expected.iterrows():
            cells = per_class[str(digit)]
            assert cells[0] == french(row["support"])
            assert cells[offset:offset + 3] == [french_percent(row["recall"]),
                                                french_percent(row["precision"]), french_percent(row["f1"])]
    assert "classes réelles en lignes, classes prédites en colonnes" in report
    assert f"### Images de test que le CNN classe mal{NBSP}:" in report
    assert "## Reproductibilité" in report and f"Versions{NBSP}: Python `" in report


def test_french_report_holds_no_english_formatted_number(report_of):
    report = report_of["fr"][0]
    # Code is not prose: the params block, file names, digests and versions stay as written.
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", report, flags=re.DOTALL))
    assert "| Exactitude sur le jeu de test " in prose and "est en tête" in prose  # text and tables are left
    assert not re.findall(r"(?<![\d,])[1-9]\d{0,2},\d{3}(?!\d)", prose)  # 1,000: English thousands
    assert not re.findall(r"\d\.\d", prose)  # 99.00: English decimals
    assert not re.findall(r"\d [%\d]", prose)  # 99,00 % or 1 000 with a space that may break a line
    assert not re.findall(r" [:;%=]", prose)  # French puts a no-break space before : ; % =


def test_title_is_the_datasets_display_name(metrics, tmp_path, tiny_params):
    set_params(tiny_params, {"data.dataset": "fashion_mnist"})
    report = run_compare(metrics, tmp_path)
    assert report.startswith("# Fashion-MNIST: dense network vs convolutional network\n")
    assert "| T-shirt/top " in report  # class names follow the dataset too


def test_predictions_on_different_images_are_refused(metrics, tmp_path, tiny_params):
    predictions = pd.read_csv(metrics / "cnn_predictions.csv")
    predictions.iloc[:-1].to_csv(metrics / "cnn_predictions.csv", index=False)
    with pytest.raises(PipelineError, match="not on the same test images"):
        run_compare(metrics, tmp_path)


def test_missing_metrics_say_how_to_build_them(metrics, tmp_path, tiny_params):
    (metrics / "dense_per_class.csv").unlink()
    with pytest.raises(PipelineError, match=r"dense_per_class.csv is missing: run `dvc repro`"):
        run_compare(metrics, tmp_path)


def test_several_seeds_give_the_interval_across_seeds_and_a_table(metrics, tmp_path, tiny_params):
    write_results(metrics, "dense", [3, 14, 25, 36, 47, 58], 109_386, [0.96, 0.975], seed=5)
    write_results(metrics, "cnn", [3, 14, 100, 111, 120], 225_034, [0.985, 0.983], seed=5)
    set_params(tiny_params, {"seeds": [3, 5]})
    report = run_compare(metrics, tmp_path)
    verdict = report.split("\n\n")[1]
    # Dense 97.50 % then 98.50 %, CNN 99.00 % then 98.75 %: gaps 1.50 and 0.25 points.
    assert verdict.startswith("CNN is ahead across 2 seeds, not significantly: a mean test accuracy of "
                              "98.88 % (standard deviation 0.18 points) against 98.00 % (0.71 points) for "
                              "Dense. The mean gap CNN − Dense is +0.88 points, with a 95 % confidence "
                              "interval of "
                              f"{MINUS}7.07 to +8.82 points (Student's t interval over the 2 seeds).")
    assert "**not statistically significant**: a one-sample t-test of the per-seed gaps gives p = 0.395" \
        in verdict
    assert "With 2 seeds this interval is wide by construction: Student's t quantile is 12.71" in verdict
    assert "CNN is ahead on 2 of the 2 seeds (sign test: p = 0.5)." in verdict
    assert "Below 6 seeds such a count cannot reach p < 0.05: even 2 of 2 gives p = 0.5." in verdict
    assert "randomness of training" in verdict and "conditional on the fixed test set" in verdict
    assert report.split("\n\n")[2].startswith(
        "The results that follow are those of seed 3's models alone: their interval covers the sampling of "
        "the test images, not the randomness of training. CNN is ahead, not significantly: 99.00 %")
    rows = table_rows(report, "## Seeds")
    assert rows == {"3": ["97.50 %", "99.00 %", "+1.50 points", "0.109"],
                    "5": ["98.50 %", "98.75 %", "+0.25 points", "1"]}
    assert "| Seed   |   Dense |     CNN |   CNN − Dense |   McNemar p |" in report
    assert "those of seed 3's models" in report


def test_every_seeds_scores_are_checked(metrics, tmp_path, tiny_params):
    write_results(metrics, "dense", [3, 14], 109_386, [0.96, 0.975], seed=5)
    write_results(metrics, "cnn", [3], 225_034, [0.985, 0.983], seed=5)
    set_params(tiny_params, {"seeds": [3, 5]})
    path = tmp_path / "data" / "scores.json"
    scores = json.loads(path.read_text())
    scores["5"]["cnn"]["accuracy"] = 99.5  # a percentage where a fraction belongs
    path.write_text(json.dumps(scores))
    with pytest.raises(PipelineError, match=r"scores.json: accuracy = 99.5 is not a number from 0 to 1"):
        run_compare(metrics, tmp_path)


def test_one_seed_says_what_the_verdict_leaves_out(report_of):
    verdict = report_of["en"][0].split("\n\n")[1]
    assert verdict.endswith("This verdict covers the sampling of the test images only, not the randomness of "
                            "training: each model was trained once, with seed 3. "
                            "`dvc exp run -S 'seeds=[0,1,2,3,4]'` measures it too, by training each model "
                            "with five seeds.")


def set_cell(path, column, row, value):
    frame = pd.read_csv(path)
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


def set_score(path, model, value, key="accuracy"):
    """Edit one model's entry of seed 3 in scores.json; None removes the key."""
    scores = json.loads(path.read_text())
    if value is None:
        del scores["3"][model][key]
    else:
        scores["3"][model][key] = value
    path.write_text(json.dumps(scores).replace('"nan"', "NaN"))


@pytest.mark.parametrize(("file", "edit", "problem"), [
    ("metrics/cnn_predictions.csv", lambda path: set_cell(path, "predicted", 40, 12),
     ", line 42: predicted = 12 is not a whole number from 0 to 9"),
    ("metrics/dense_predictions.csv", lambda path: set_cell(path, "predicted", 0, -3),
     ", line 2: predicted = -3 is not a whole number from 0 to 9"),
    ("metrics/cnn_predictions.csv", lambda path: set_cell(path, "predicted", 7, "eight"),
     ", line 9: predicted = 'eight' is not a whole number from 0 to 9"),
    ("metrics/seed-3/dense_history.csv",
     lambda path: path.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n"),
     " has no rows, only a header"),
    ("metrics/seed-3/cnn_history.csv", lambda path: path.write_text(""),
     " is not a readable CSV table (No columns to parse"),
    ("data/scores.json", lambda path: set_score(path, "cnn", "nan"),
     ": accuracy = nan is not a number from 0 to 1"),
    ("data/scores.json", lambda path: set_score(path, "dense", "97 %"),
     ": accuracy = '97 %' is not a number from 0 to 1"),
    ("data/predictions.csv", lambda path: set_cell(path, "cnn_seed3", 3, 10),
     ", line 5: cnn_seed3 = 10 is not a whole number from 0 to 9"),
    ("data/scores.json", lambda path: set_score(path, "cnn", -1, "model_bytes"),
     ": model_bytes = -1 is not a whole number >= 0"),
    ("data/scores.json", lambda path: set_score(path, "dense", 2.5, "inference_flops"),
     ": inference_flops = 2.5 is not a whole number >= 0"),
    ("data/scores.json", lambda path: set_score(path, "dense", None, "training_flops"),
     ": training_flops is missing"),
])
def test_hand_edited_inputs_are_named_and_nothing_is_written(metrics, tmp_path, tiny_params, file, edit,
                                                             problem):
    """Metrics are git-tracked: a pull request can edit them. Each gave a traceback or "nan %"."""
    edit(tmp_path / file)
    with pytest.raises(PipelineError) as error:
        run_compare(metrics, tmp_path)
    assert str(error.value).startswith(f"{tmp_path / file}{problem}"), str(error.value)
    assert not (tmp_path / "reports").exists()


def first_seed_probabilities(tmp_path, name):
    return np.load(tmp_path / "data" / "probabilities" / f"{name}_seed3.npy", allow_pickle=False)


def test_calibration_numbers_are_those_of_the_saved_probabilities(report_of):
    report, tmp_path = report_of["en"]
    metrics = tmp_path / "metrics"
    actual = pd.read_csv(metrics / "dense_predictions.csv")["actual"].to_numpy()
    rows = table_rows(report, "## Calibration")
    comparison = table_rows(report, "## Comparison")
    for column, name in enumerate(("dense", "cnn")):
        probabilities = first_seed_probabilities(tmp_path, name)
        # Dense: 99.99 % sure of every image, right on 97.50 %; the CNN 99 % sure, right on 99 %.
        assert rows["Expected calibration error (15 equal-width confidence bins)"][column] == \
            percent(expected_calibration_error(probabilities, actual))
        assert rows["Mean confidence (the highest probability)"][column] == percent(CONFIDENCE[name])
        assert rows["Test accuracy"][column] == comparison["Test accuracy"][column]
        assert rows["Brier score (sum over the classes, mean over the images)"][column] == \
            f"{brier_score(probabilities, actual):.4f}"
        assert rows["Negative log-likelihood (the test loss)"][column] == comparison["Test loss"][column]
    assert rows["Expected calibration error (15 equal-width confidence bins)"] == ["2.49 %", "0.00 %"]
    section = report.split("## Calibration\n\n")[1].split("\n## ")[0]
    assert "Seed 3's models, on the 400 test images:" in section
    assert "(paired bootstrap: 2,000 resamples of the test images, seed 42), which excludes 0." in section
    assert "The gap in expected calibration error CNN − Dense is −2.49 points" in section
    caption = "Reliability diagram (accuracy against confidence, per confidence bin)"
    assert f"![{caption}](figures/reliability.png)" in section


def test_the_verdict_says_which_model_is_better_calibrated_only_when_clearly(report_of, metrics, tmp_path,
                                                                            tiny_params):
    sentence = ("CNN is better calibrated: an expected calibration error of 0.00 % against 2.49 % for Dense, "
                "and the 95 % confidence interval of the gap CNN − Dense, ")
    paragraphs = report_of["en"][0].split("\n\n")  # write_metrics' files
    assert paragraphs[2].startswith(sentence) and paragraphs[2].endswith("excludes 0 (seed 3's models; see "
                                                                         "Calibration).")
    assert paragraphs[3] == "## Comparison"
    # Both models as sure as each other on every image and as often right: no difference to report.
    actual = np.arange(IMAGES) % 10
    for name in ("dense", "cnn"):
        predicted = pd.read_csv(metrics / f"{name}_predictions.csv")["predicted"].to_numpy()
        probabilities = probabilities_of(predicted, 0.9)
        np.save(tmp_path / "data" / "probabilities" / f"{name}_seed3.npy", probabilities)
        set_score(tmp_path / "data" / "scores.json", name, log_loss(probabilities, actual), key="loss")
    report = run_compare(metrics, tmp_path)
    assert "better calibrated" not in report and report.split("\n\n")[2] == "## Comparison"
    assert "which includes 0." in report


def test_french_calibration_reads_as_french(report_of):
    report, tmp_path = report_of["fr"]
    assert report.split("\n\n")[2].startswith(
        f"Le CNN est mieux calibré{NBSP}: une erreur de calibration attendue de 0,00{NBSP}%, contre "
        f"2,49{NBSP}% pour le réseau dense, ")
    rows = table_rows(report, "## Calibration")
    assert rows["Score de Brier (somme sur les classes, moyenne sur les images)"] == [
        french(brier_score(first_seed_probabilities(tmp_path, name), np.arange(IMAGES) % 10), 4)
        for name in ("dense", "cnn")]
    assert f"de [0{NNBSP}; 1/15[ à [14/15{NNBSP}; 1]" in report
    assert "![Diagramme de fiabilité" in report


def printed_p(text):
    """A p-value as the report prints it (0.109, 3.64 × 10⁻¹²) as a float."""
    mantissa, _, power = text.partition(" × 10")
    exponent = power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(mantissa) * 10 ** int(exponent or 0)


def holm_by_hand(p_values):
    """Holm's adjusted p-values, the textbook loop: written apart from statistics.holm on purpose."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def test_per_class_intervals_and_tests_recomputed_independently(metrics, tmp_path, tiny_params):
    from scipy import stats

    # Dense also misses every 2 but one (38 more images, which the CNN gets right): significant there only.
    write_results(metrics, "dense", [3, 14, 25, 36, 47, 58, 69, 70, 81, 92, *range(12, 400, 10)], 109_386,
                  [0.96, 0.975])
    report = run_compare(metrics, tmp_path)
    rows = table_rows(report, "### Recall per class with its 95 % interval, and McNemar's test per class")
    frames = {name: pd.read_csv(metrics / f"{name}_predictions.csv") for name in ("dense", "cnn")}
    actual = frames["dense"]["actual"].to_numpy()
    right = {name: frame["predicted"].to_numpy() == actual for name, frame in frames.items()}
    p_values = []
    for digit in range(10):
        images = actual == digit
        only = {name: int((right[name] & ~right[other] & images).sum())
                for name, other in (("dense", "cnn"), ("cnn", "dense"))}
        p_values.append(stats.binomtest(only["cnn"], only["cnn"] + only["dense"]).pvalue
                        if only["cnn"] + only["dense"] else 1.0)
        cells = rows[str(digit)]
        assert cells[0] == str(images.sum())
        for cell, name in zip(cells[1:3], ("dense", "cnn"), strict=True):
            hits = int((right[name] & images).sum())
            interval = stats.binomtest(hits, int(images.sum())).proportion_ci(method="wilson")
            low, high = 100 * interval.low, 100 * interval.high
            assert cell == f"{percent(hits / images.sum())} ({low:.1f}–{high:.1f})"
        assert cells[3:5] == [str(only["dense"]), str(only["cnn"])]
        assert printed_p(cells[5]) == pytest.approx(p_values[-1], rel=5e-3)
    adjusted = holm_by_hand(p_values)
    assert [printed_p(rows[str(digit)][6]) for digit in range(10)] == pytest.approx(adjusted, rel=5e-3)
    assert rows["2"][5:7] == ["3.64 × 10⁻¹²", "3.64 × 10⁻¹¹"]  # 2 / 2**39, 39 images only the CNN gets right
    assert [digit for digit in range(10) if adjusted[digit] < 0.05] == [2]
    assert [rows[str(digit)][7] for digit in range(10)] == ["—", "—", "CNN", *["—"] * 7]
    assert ("With Holm's correction, CNN is significantly better on class 2. The difference is not "
            "significant on classes 0, 1, 3, 4, 5, 6, 7, 8 and 9.") in report


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda values: values[:-1], "float32 values of shape (399, 10), expected floats of shape (400, 10)"),
    (lambda values: values[:, ::-1], "its most probable class is not the predicted class on 400 test images "
                                     "(image 0 first)"),
    (lambda values: np.where(values > 0.5, 0.6, values).astype(np.float32),
     "its negative log-likelihood is 0.573741, not the test loss 0.077974"),
    (lambda values: values.astype(np.int64), "int64 values of shape (400, 10)"),
    (lambda values: values * np.nan, "it holds values that are not probabilities (numbers from 0 to 1)"),
])
def test_probabilities_from_another_run_are_refused(metrics, tmp_path, tiny_params, edit, problem):
    path = tmp_path / "data" / "probabilities" / "cnn_seed3.npy"
    np.save(path, edit(np.load(path)))
    with pytest.raises(PipelineError) as error:
        run_compare(metrics, tmp_path)
    assert str(error.value).startswith(f"{path}: {problem}"), str(error.value)
    predictions, scores = metrics / "cnn_predictions.csv", tmp_path / "data" / "scores.json"
    assert str(error.value).endswith(f", so it does not go with {predictions} and {scores}: "
                                     "run `dvc checkout` to restore the one that does, or `dvc repro`")
    assert not (tmp_path / "reports").exists()


def test_missing_probabilities_say_how_to_build_them(metrics, tmp_path, tiny_params):
    (tmp_path / "data" / "probabilities" / "dense_seed3.npy").unlink()
    with pytest.raises(PipelineError, match=r"dense_seed3.npy is missing: run `dvc repro` to build it"):
        run_compare(metrics, tmp_path)
    (tmp_path / "data" / "probabilities" / "dense_seed3.npy").write_bytes(b"not an array")
    damaged = r"dense_seed3.npy is not a valid .npy array \(.*\): run `dvc repro -f evaluate`"
    with pytest.raises(PipelineError, match=damaged):
        run_compare(metrics, tmp_path)
def table_lines(report, header):
    """The cells of each row of the first Markdown table after the line `header`, in order."""
    paragraphs = report.split(f"{header}\n\n", 1)[1].split("\n\n")
    lines = next(paragraph for paragraph in paragraphs if paragraph.startswith("|")).splitlines()[2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def with_interval(correct, language="en"):
    """An accuracy of 200 images with its Wilson interval, as the robustness table writes it."""
    low, high = (100 * float(bound) for bound in wilson_interval(correct, 200))
    if language == "en":
        return f"{percent(correct / 200)} ({low:.1f}–{high:.1f})"
    return f"{french_percent(correct / 200)} ({french(low, 1)}–{french(high, 1)})"


def test_robustness_section_says_which_model_loses_less_and_shows_the_csv_numbers(report_of):
    report = report_of["en"][0]
    section = report.split("## Robustness: transformed test images\n\n")[1].split("\n## ")[0]
    intro = section.split("\n\n")[0]
    assert intro.startswith("Seed 3's models on transformed copies of 200 test images drawn at random "
                            "(seed 0)")
    assert "the 95 % Wilson interval of each accuracy." in intro
    assert intro.endswith(
        f"At each transform's middle severity, CNN loses less accuracy than Dense under translation (2 px: "
        f"{MINUS}8.00 points against {MINUS}45.00 points) and rotation (10°: {MINUS}3.00 points against "
        f"{MINUS}5.00 points); both models lose as much under Gaussian noise (σ = 0.2: {MINUS}2.50 points "
        f"against {MINUS}2.50 points); Dense loses less accuracy than CNN under stroke thickness (+1 px: "
        f"{MINUS}1.00 points against {MINUS}3.00 points).")
    assert "![Accuracy against severity, one panel per transform](figures/robustness.png)" in section
    rows = table_lines(report, "## Robustness: transformed test images")
    expected = [("None (images unchanged)", "0", UNCHANGED),
                ("Translation", "2 px", ROBUSTNESS["translation", 2]),
                ("Translation", "3 px", ROBUSTNESS["translation", 3]),
                ("Rotation", "10°", ROBUSTNESS["rotation", 10]),
                ("Rotation", "20°", ROBUSTNESS["rotation", 20]),
                ("Gaussian noise", "σ = 0.2", ROBUSTNESS["noise", 0.2]),
                ("Stroke thickness", "+1 px", ROBUSTNESS["thickness", 1]),
                ("Stroke thickness", "+2 px", ROBUSTNESS["thickness", 2])]
    assert rows == [[transform, level, with_interval(dense), with_interval(cnn),
                     f"{(cnn - dense) / 2:+.2f} points".replace("-", MINUS)]
                    for transform, level, (dense, cnn) in expected]
    assert "| Transform               |   Severity |               Dense |" in report
    assert "robustness:\n  translation: [1, 2, 3, 4, 5, 6]\n" in report  # the params in the footer
    assert "  images: 1000\n  seed: 0\n" in report


def test_robustness_section_in_french(report_of):
    report = report_of["fr"][0]
    header = f"## Robustesse{NBSP}: images de test transformées"
    section = report.split(f"{header}\n\n")[1].split("\n## ")[0]
    assert section.startswith("Les modèles de la graine 3, évalués sur des copies transformées de 200 images")
    points = f"{NBSP}points"
    assert (f"À la sévérité médiane de chaque transformation, le CNN perd moins d'exactitude que le réseau "
            f"dense pour la translation (2{NBSP}px{NBSP}: {MINUS}8,00{points} contre {MINUS}45,00{points}) "
            f"et la rotation (10°{NBSP}: {MINUS}3,00{points} contre {MINUS}5,00{points}){NNBSP}; les deux "
            f"modèles perdent autant pour le bruit gaussien (σ{NBSP}={NBSP}0,2{NBSP}: {MINUS}2,50{points} "
            f"contre {MINUS}2,50{points}){NNBSP}; le réseau dense perd moins d'exactitude que le CNN pour "
            f"l'épaisseur du trait (+1{NBSP}px{NBSP}: {MINUS}1,00{NBSP}point contre {MINUS}3,00{points}).") \
        in section
    rows = table_lines(report, header)
    assert rows[0] == ["Aucune (images inchangées)", "0", with_interval(190, "fr"), with_interval(196, "fr"),
                       f"+3,00{NBSP}points"]
    assert rows[-1][:2] == ["Épaisseur du trait", f"+2{NBSP}px"]


def test_a_hand_edited_robustness_table_is_named_and_nothing_is_written(metrics, tmp_path, tiny_params):
    set_cell(metrics / "robustness.csv", "accuracy", 4, "high")
    with pytest.raises(PipelineError) as error:
        run_compare(metrics, tmp_path)
    assert str(error.value).startswith(f"{metrics / 'robustness.csv'}, line 6: accuracy = 'high' is not a "
                                       "number from 0 to 1; the file was edited or damaged")
    assert not (tmp_path / "reports").exists()


PERMUTED_WRONG = {"dense": [3, 14, 25, 36, 47, 58, 69, 70, 81, 92, 200, 201],
                  "cnn": list(range(0, IMAGES, 5))}


def write_permuted(tmp_path, wrong=PERMUTED_WRONG):
    """data/permuted/predictions.csv as the permuted stage writes it."""
    actual = np.arange(IMAGES) % 10
    columns = {"actual": actual}
    for name, indices in wrong.items():
        columns[name] = actual.copy()
        columns[name][indices] = (actual[indices] + 1) % 10
    path = tmp_path / "data" / "permuted" / "predictions.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def test_the_permuted_section_comes_only_when_the_control_ran(report_of, metrics, tmp_path, tiny_params):
    report = report_of["en"][0]  # off by default: write_metrics writes no permuted predictions to read
    assert "permuted" not in report.split("## Reproducibility")[0].lower()
    assert "analysis: {permuted_pixels: false, permutation_seed: 0}\n" in report  # the params footer
    set_params(tiny_params, {"analysis.permuted_pixels": True, "analysis.permutation_seed": 4})
    write_permuted(tmp_path)
    report = run_compare(metrics, tmp_path)
    section = report.split("## Spatial structure: permuted pixels\n\n")[1].split("\n## ")[0]
    assert section.startswith("Seed 3's two architectures were trained again, with the same recipe and "
                              "seed, on images whose pixels were all moved by one fixed random permutation "
                              "(seed 4, ")
    # Dense: 2 images lost of 400, none won (McNemar p = 0.5); the CNN: 78 lost, 2 won.
    dense_p, cnn_p = stats.binomtest(0, 2).pvalue, stats.binomtest(2, 80).pvalue
    assert f"On permuted pixels, Dense changes by {MINUS}0.50 points, too little for the test images to " \
           f"tell from no change (95 % CI: " in section
    assert f"McNemar p = {dense_p:.3g}), and CNN loses 19.00 points (95 % CI of the change: " in section
    assert f"McNemar p = {cnn_p:.3g}".replace("e-", " × 10⁻") not in section  # written as a power of ten
    # the difference of the two changes, −18.50 points, decides; the CNN's lead was not significant
    assert "): CNN's change is 18.50 points below Dense's (95 % CI of the difference CNN − Dense: " in section
    assert section.split("\n\n")[0].endswith(", so CNN relies on the order of the pixels more than Dense.")
    rows = table_rows(report, "## Spatial structure: permuted pixels")
    accuracy = {("dense", "original"): 390, ("cnn", "original"): 396, ("dense", "permuted"): 388,
                ("cnn", "permuted"): 320}

    def cell(right):
        interval = stats.binomtest(right, IMAGES).proportion_ci(method="wilson")
        return f"{percent(right / IMAGES)} ({100 * interval.low:.1f}–{100 * interval.high:.1f})"

    assert rows["Original order"][:2] == [cell(accuracy["dense", "original"]),
                                          cell(accuracy["cnn", "original"])]
    assert rows["Permuted (seed 4)"][:2] == [cell(accuracy["dense", "permuted"]),
                                             cell(accuracy["cnn", "permuted"])]
    assert [value.split(" (")[0] for value in rows["Permuted − original"][:2]] == [
        f"{MINUS}0.50 points", f"{MINUS}19.00 points"]
    assert rows["McNemar p, permuted against original"][0] == f"{dense_p:.3g}"
    assert rows["Permuted (seed 4)"][2].startswith(f"{MINUS}17.00 points (")  # CNN − Dense, permuted
    assert "analysis: {permuted_pixels: true, permutation_seed: 4}\n" in report


def test_the_permuted_section_in_french(metrics, tmp_path, tiny_params):
    set_params(tiny_params, {"analysis.permuted_pixels": True, "compare.language": "fr"})
    write_permuted(tmp_path)
    report = run_compare(metrics, tmp_path)
    section = report.split(f"## Structure spatiale{NBSP}: pixels permutés\n\n")[1].split("\n## ")[0]
    assert f"Sur des pixels permutés, le réseau dense varie de {MINUS}0,50{NBSP}point, trop peu pour que " \
           "les images de test distinguent cet écart de zéro" in section
    assert f"et le CNN perd 19,00{NBSP}points (IC à 95{NBSP}% de l'écart{NBSP}: " in section
    assert section.split("\n\n")[0].endswith(f"{NBSP}: le CNN s'appuie davantage que le réseau dense sur "
                                              "l'ordre des pixels.")
    rows = table_rows(report, f"## Structure spatiale{NBSP}: pixels permutés")
    assert rows["Permutés (graine 0)"][0].startswith(f"{french_percent(388 / IMAGES)} (")
    assert rows["Permutés − ordre d'origine"][1].startswith(f"{MINUS}19,00{NBSP}points ({MINUS}")


def test_permuted_predictions_that_are_stale_or_on_other_images_are_refused(metrics, tmp_path, tiny_params):
    set_params(tiny_params, {"analysis.permuted_pixels": True})
    path = write_permuted(tmp_path)
    path.write_text("actual,dense,cnn\n")  # what the stage writes when off: run with the flag on, not repro'd
    with pytest.raises(PipelineError, match=f"{path} has no rows, only a header"):
        run_compare(metrics, tmp_path)
    frame = pd.read_csv(write_permuted(tmp_path))
    frame.iloc[:-1].to_csv(path, index=False)
    with pytest.raises(PipelineError, match="the predictions on permuted pixels are not on the test images"):
        run_compare(metrics, tmp_path)
    assert not (tmp_path / "reports").exists()
