"""digits-predict on digits drawn with Pillow and on real MNIST test images saved as PNG."""

import os
import re
import struct
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.scoring import score
from dense_vs_cnn.model.saving import load_model
from dense_vs_cnn.predict.cli import main as predict
from tests.conftest import PROJECT, in_this_process, run


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


def test_bad_files_are_reported_and_the_rest_classified(project, tmp_path, capsys):
    draw_digits(tmp_path / "drawn")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    result = in_this_process(predict, [str(tmp_path / "drawn" / "digit_0.png"), str(tmp_path / "empty.png"),
                             str(tmp_path / "notes.png")], project, capsys)
    assert result.returncode == 1
    assert "digit_0.png  cnn: " in result.stdout
    assert "error: 2 of 3 files could not be classified" in result.stderr
    assert "empty.png: the file is empty" in result.stderr and "notes.png: not an image" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_says_how_to_train_it(tmp_path, monkeypatch):
    draw_digits(tmp_path / "drawn")
    for name in ("params.yaml", "dvc.yaml"):  # a project, not trained
        (tmp_path / name).write_text((PROJECT / name).read_text())
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


@pytest.mark.parametrize("model", [[], ["--model", "all"]])
def test_outside_a_project_it_says_so(tmp_path, monkeypatch, model):
    draw_digits(tmp_path / "drawn")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(PipelineError) as error:
        predict([str(tmp_path / "drawn"), *model])
    assert str(error.value) == (
        f"{tmp_path / 'elsewhere'} is not a project folder (no params.yaml, no models/): run digits-predict "
        "from the project's root, where `dvc repro` trains the models, or pass --model PATH.keras")


def crafted_dds(path):
    """A DirectDraw Surface header with no known pixel format: Pillow raises NotImplementedError."""
    path.write_bytes(struct.pack("<4sI", b"DDS ", 124) + struct.pack("<3I", 0, 32, 32) + bytes(108))


def test_undecodable_files_fifos_and_odd_names_do_not_stop_the_rest(project, tmp_path):
    """One crafted file used to abort the folder, a FIFO to hang, a newline in a name to forge a line.
    The console script in its own process, as a user runs it: a hang would time out, not stall the tests."""
    draw_digits(tmp_path / "drawn")
    crafted_dds(tmp_path / "drawn" / "a_crafted.dds")  # sorted first: everything after it must still run
    (tmp_path / "drawn" / "digit_3.jpg").rename(tmp_path / "drawn" / "evil\nerror: forged.jpg")
    os.mkfifo(tmp_path / "pipe.png")
    command = [sys.executable, "-m", "dense_vs_cnn.predict.cli", str(tmp_path / "drawn"),
               str(tmp_path / "pipe.png")]
    result = run(command, cwd=project, check=False, env={"PYTHONPATH": str(PROJECT)}, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10  # the ten drawn digits, one line each, and no forged one
    escaped = str(tmp_path / "drawn" / "evil\\nerror: forged.jpg  cnn: ")
    assert sum(line.startswith(escaped) for line in lines) == 1
    assert "error: 2 of 12 files could not be classified:" in result.stderr
    assert "a_crafted.dds: cannot decode this image (NotImplementedError: Unknown pixel format flags 0)" \
        in result.stderr
    assert "pipe.png: a FIFO (named pipe), not a regular file: refused without reading it" in result.stderr
    assert "Traceback" not in result.stderr


def test_another_projects_params_do_not_matter_with_dataset(project, tmp_path, capsys):
    draw_digits(tmp_path / "drawn")
    other = tmp_path / "other"
    other.mkdir()
    (other / "params.yaml").write_text("seed: [1, 2\n")  # not even YAML
    (other / "models").symlink_to(project / "models")
    arguments = [str(tmp_path / "drawn" / "digit_0.png")]
    result = in_this_process(predict, [*arguments, "--dataset", "mnist"], other, capsys)
    assert result.returncode == 0, result.stderr
    assert "digit_0.png  cnn: " in result.stdout
    without = in_this_process(predict, arguments, other, capsys)
    assert without.returncode == 1
    assert without.stderr.startswith("error: params.yaml is not valid YAML")
    assert without.stderr.rstrip().endswith("(read for the class names: pass --dataset to leave it aside)")
