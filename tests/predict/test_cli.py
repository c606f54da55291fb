"""digits-predict on digits drawn with Pillow and on real MNIST test images saved as PNG."""

import re
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from dense_vs_cnn.evaluation.scoring import score
from dense_vs_cnn.model.saving import load_model
from dense_vs_cnn.predict.cli import main as predict
from tests.conftest import PROJECT, run


def draw_digits(folder):
    """Digits 0-9 drawn in a font, half dark on light PNG, half light on dark JPEG, various sizes."""
    folder.mkdir()
    font = ImageFont.load_default(size=160)
    for digit in range(10):
        dark_on_light = digit % 2 == 0
        paper, ink = (235, 20) if dark_on_light else (30, 220)
        image = Image.new("L", (260 + 40 * digit, 300), paper)
        ImageDraw.Draw(image).text((40 + 10 * digit, 50), str(digit), fill=ink, font=font,
                                   stroke_width=2, stroke_fill=ink)
        image.save(folder / f"digit_{digit}.{'png' if dark_on_light else 'jpg'}")


def predictions(output):
    """{file name: {model: predicted class}} from digits-predict's output."""
    rows = {}
    for line in output.splitlines():
        path, *columns = re.split(r"\s{2,}", line.strip())
        cells = (re.match(r"(\w+): (\S+) \(", column).groups() for column in columns)
        rows[path.rsplit("/", 1)[-1]] = dict(cells)
    return rows


def test_drawn_digits_are_classified(project, tmp_path, monkeypatch, capsys):
    draw_digits(tmp_path / "drawn")
    monkeypatch.chdir(project)
    predict([str(tmp_path / "drawn"), "--model", "all"])
    output = capsys.readouterr().out
    print(output)
    rows = predictions(output)
    assert sorted(rows) == sorted(path.name for path in (tmp_path / "drawn").iterdir())
    assert all(set(models) == {"cnn", "dense"} for models in rows.values())
    correct = sum(models["cnn"] == name[len("digit_")] for name, models in rows.items())
    # Font digits are not handwriting (a closed 9 looks like an 8): most, not all. Chance: 1.
    assert correct >= 7, output


def test_agrees_with_evaluate_on_real_mnist_png(project, real_mnist_sample, tmp_path, monkeypatch, capsys):
    images, labels = real_mnist_sample
    (tmp_path / "png").mkdir()
    for index, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / "png" / f"{index:03d}.png")
    monkeypatch.chdir(project)
    predict([str(tmp_path / "png")])  # default model: models/seed-3/cnn.keras
    predicted = [int(models["cnn"]) for _, models in sorted(predictions(capsys.readouterr().out).items())]
    model = load_model(project / "models" / "seed-3" / "cnn.keras")
    _, _, evaluated = score(model, images[..., np.newaxis] / 255.0,
                         labels, batch_size=100)
    assert len(predicted) == len(images)
    assert np.mean(np.array(predicted) == evaluated) >= 0.98


def test_bad_files_are_reported_and_the_rest_classified(project, tmp_path):
    draw_digits(tmp_path / "drawn")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    result = run([sys.executable, "-m", "dense_vs_cnn.predict.cli", str(tmp_path / "drawn" / "digit_0.png"),
                  str(tmp_path / "empty.png"), str(tmp_path / "notes.png")],
                 cwd=project, check=False, env={"PYTHONPATH": str(PROJECT)})
    assert result.returncode == 1
    assert "digit_0.png  cnn: " in result.stdout
    assert "error: 2 of 3 files could not be classified" in result.stderr
    assert "empty.png: the file is empty" in result.stderr and "notes.png: not an image" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_says_how_to_train_it(tmp_path, monkeypatch):
    from dense_vs_cnn.core.errors import PipelineError

    draw_digits(tmp_path / "drawn")
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text())  # a project, not trained
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineError, match="models/seed-3/cnn.keras is missing: run `dvc repro`"):
        predict([str(tmp_path / "drawn"), "--dataset", "mnist"])


def test_an_artifact_name_is_the_model_dvc_yaml_names(project, tmp_path, monkeypatch, capsys):
    draw_digits(tmp_path / "drawn")
    monkeypatch.chdir(project)
    predict([str(tmp_path / "drawn"), "--model", "dense"])
    by_name = capsys.readouterr().out
    predict([str(tmp_path / "drawn"), "--model", "models/seed-3/dense.keras"])
    assert by_name == capsys.readouterr().out
    assert set(model for row in predictions(by_name).values() for model in row) == {"dense"}
