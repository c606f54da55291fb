import matplotlib.image
import numpy as np
import pandas as pd

from dense_vs_cnn.report import figures

LABELS = {"accuracy": "Accuracy", "loss": "Loss", "epoch": "Epoch", "train": "train",
          "validation": "validation", "actual": "Actual", "predicted": "Predicted"}


def history(seed):
    values = np.random.default_rng(seed).random((3, 4))
    return pd.DataFrame({"epoch": range(3), "accuracy": values[:, 0], "val_accuracy": values[:, 1],
                         "loss": values[:, 2], "val_loss": values[:, 3]})


def draw_all(folder):
    rng = np.random.default_rng(0)
    names = tuple("ABCDEFGHIJ")
    figures.learning_curves({"Dense": history(1), "CNN": history(2)}, LABELS, folder / "curves.png")
    matrices = {"Dense": rng.integers(0, 500, (10, 10)), "CNN": rng.integers(0, 50, (10, 10))}
    figures.confusion_matrices(matrices, names, LABELS, folder / "confusion.png")
    titles = [f"{i} → {i + 1}" for i in range(40)]
    figures.image_grid(rng.random((40, 28, 28, 1)), titles, folder / "grid.png")
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_figures_are_valid_pngs_with_identical_bytes_on_every_run(tmp_path):
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = draw_all(tmp_path / "first")
    assert first == draw_all(tmp_path / "second")
    assert b"Software" not in b"".join(first.values())  # no matplotlib version in the metadata
    for name in first:
        height, width, _ = matplotlib.image.imread(tmp_path / "first" / name).shape
        assert height > 100 and width > 500, name


def test_grid_shows_at_most_grid_size_images_and_copes_with_none(tmp_path):
    figures.image_grid(np.zeros((0, 28, 28)), [], tmp_path / "empty.png")
    figures.image_grid(np.zeros((3, 28, 28)), ["a", "b", "c"], tmp_path / "few.png")
    full = matplotlib.image.imread(tmp_path / "few.png").shape[0] * figures.GRID_ROWS
    figures.image_grid(np.zeros((100, 28, 28)), ["x"] * 100, tmp_path / "many.png")
    assert matplotlib.image.imread(tmp_path / "many.png").shape[0] == full
