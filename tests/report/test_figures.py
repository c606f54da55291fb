import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from dense_vs_cnn.evaluation.calibration import BINS, reliability_table
from dense_vs_cnn.report import figures
from dense_vs_cnn.report.numbers import ENGLISH, FRENCH
from dense_vs_cnn.report.strings import STRINGS

LABELS = STRINGS["en"]["labels"]


def history(seed):
    values = np.random.default_rng(seed).random((3, 4))
    return pd.DataFrame({"epoch": range(3), "accuracy": values[:, 0], "val_accuracy": values[:, 1],
                         "loss": values[:, 2], "val_loss": values[:, 3]})


def reliability_tables():
    """The bins of two models on 2,000 random images: Dense overconfident, the CNN calibrated."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 2000)
    tables = {}
    for model, sharpness in (("Dense", 3.0), ("CNN", 1.0)):
        logits = sharpness * (rng.normal(size=(2000, 10)) + 4 * np.eye(10)[labels])
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        tables[model] = reliability_table(probabilities, labels)
    return tables


def draw_all(folder):
    rng = np.random.default_rng(0)
    names = tuple("ABCDEFGHIJ")
    figures.learning_curves({"Dense": history(1), "CNN": history(2)}, LABELS, ENGLISH, folder / "curves.png")
    matrices = {"Dense": rng.integers(0, 500, (10, 10)), "CNN": rng.integers(0, 50, (10, 10))}
    figures.confusion_matrices(matrices, names, LABELS, ENGLISH, folder / "confusion.png")
    titles = [f"{i} → {i + 1}" for i in range(40)]
    figures.image_grid(rng.random((40, 28, 28, 1)), titles, folder / "grid.png")
    figures.reliability_diagram(reliability_tables(), BINS, LABELS, ENGLISH, folder / "reliability.png")
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


def test_a_figure_is_drawn_once_as_it_is_saved_and_gives_the_bytes_of_savefig(tmp_path, monkeypatch):
    """save_png draws once, laying the figure out as it draws; savefig draws twice (first without
    rendering, to lay it out) and writes the same bytes."""
    from matplotlib.figure import Figure

    draws, draw = [], Figure.draw

    def counted(figure, renderer):
        draws.append(renderer)
        return draw(figure, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    matrices = {"Dense": np.arange(100).reshape(10, 10), "CNN": np.arange(100).reshape(10, 10).T}
    figures.confusion_matrices(matrices, tuple("ABCDEFGHIJ"), LABELS, ENGLISH, tmp_path / "once.png")
    assert len(draws) == 1

    def savefig(figure, path):
        figure.savefig(path, format="png", metadata={"Software": None})

    monkeypatch.setattr(figures, "save_png", savefig)
    figures.confusion_matrices(matrices, tuple("ABCDEFGHIJ"), LABELS, ENGLISH, tmp_path / "savefig.png")
    assert len(draws) == 3
    assert (tmp_path / "once.png").read_bytes() == (tmp_path / "savefig.png").read_bytes()


def tick_texts(axis):
    axis.figure.canvas.draw()  # tick labels are computed when drawn
    return [label.get_text() for label in axis.get_ticklabels() if label.get_text()]


@pytest.mark.parametrize(("numbers", "loss_tick", "other"), [(ENGLISH, "0.25", ","), (FRENCH, "0,25", ".")])
def test_learning_curves_show_accuracy_in_percent_and_ticks_in_the_report_language(
        tmp_path, numbers, loss_tick, other):
    histories = {"Dense": history(1)}
    figure = figures.learning_curves(histories, LABELS, numbers, tmp_path / "curves.png")
    accuracy, loss = figure.axes
    train_line = accuracy.get_lines()[0]
    assert np.allclose(train_line.get_ydata(), 100 * histories["Dense"]["accuracy"])
    assert accuracy.get_title() == "Accuracy (%)"
    loss.set_ylim(0, 0.3)
    assert loss_tick in tick_texts(loss.yaxis)
    assert not any(other in text for text in tick_texts(loss.yaxis) + tick_texts(accuracy.yaxis))


def test_confusion_colours_errors_on_a_shared_linear_scale_with_the_diagonal_apart(tmp_path):
    dense = np.diag([1113, 950]) + np.array([[0, 14], [5, 0]])
    cnn = np.diag([1120, 960]) + np.array([[0, 3], [2, 0]])
    figure = figures.confusion_matrices({"Dense": dense, "CNN": cnn}, ("0", "1"), STRINGS["fr"]["labels"],
                                        FRENCH, tmp_path / "confusion.png")
    *matrices, bar = figure.axes
    assert bar.get_ylabel() == "Erreurs (nombre d'images)"
    for axes, counts in zip(matrices, (dense, cnn), strict=True):
        image = axes.get_images()[0]
        assert type(image.norm).__name__ == "Normalize"  # linear, not log
        assert (image.norm.vmin, image.norm.vmax) == (0, 14)  # the most errors of both models
        assert image.get_array().mask.tolist() == [[True, False], [False, True]]  # diagonal apart
        assert {text.get_text() for text in axes.texts} == {f"{count:,}".replace(",", "\u202f")
                                                            for count in counts.flat if count}
    # 5 errors and 14 errors get clearly different colours: a linear scale, not a log one
    colors = [image.to_rgba(count) for image, count in ((matrices[0].get_images()[0], 5),
                                                        (matrices[0].get_images()[0], 14))]
    assert np.abs(np.subtract(colors[0], colors[1])).max() > 0.3
    ticks = tick_texts(bar.yaxis)
    assert ticks[0] == "0" and all(text.isdigit() for text in ticks)  # whole numbers of errors


GITHUB_WIDTH = 880  # px: the width GitHub shows a wider PNG at, in a repository's Markdown file


def shown_px(text, figure):
    """A text's font size in pixels once GitHub has scaled the figure to its width."""
    width = figure.get_figwidth() * figure.dpi
    return text.get_fontsize() * figure.dpi / 72 * min(1, GITHUB_WIDTH / width)


def test_confusion_counts_are_larger_than_7_px_at_githubs_width(tmp_path):
    matrices = {"Dense": np.diag([1113] * 10) + 1, "CNN": np.diag([1129] * 10) + 2}
    figure = figures.confusion_matrices(matrices, tuple("0123456789"), LABELS, ENGLISH, tmp_path / "c.png")
    counts = [text for axes in figure.axes for text in axes.texts]
    assert len(counts) == 200 and min(shown_px(text, figure) for text in counts) > 8
    figure.canvas.draw()
    for axes in figure.axes[:2]:  # each count fits in its cell: "1,113" narrower than a column
        cell = axes.get_window_extent().width / 10
        assert max(text.get_window_extent().width for text in axes.texts) < cell


def test_grid_titles_are_larger_than_7_px_at_githubs_width(tmp_path):
    figure = figures.image_grid(np.zeros((3, 28, 28)), ["5\nDense 6 ✗\nCNN 5 ✓"] * 3, tmp_path / "g.png")
    titles = [text for axes in figure.axes for text in axes.texts]
    assert [title.get_text() for title in titles] == ["5\nDense 6 ✗\nCNN 5 ✓"] * 3
    assert min(shown_px(title, figure) for title in titles) > 8


def test_disagreement_titles_mark_which_model_is_right():
    actual = pd.Series(["5", "0", "2"])
    predicted = {"dense": pd.Series(["6", "0", "8"]), "cnn": pd.Series(["5", "6", "7"])}
    titles = figures.disagreement_titles(actual, predicted, {"dense": "Dense", "cnn": "CNN"}, [0, 1, 2])
    assert titles == ["5\nDense 6 ✗\nCNN 5 ✓", "0\nDense 0 ✓\nCNN 6 ✗", "2\nDense 8 ✗\nCNN 7 ✗"]


def test_grid_shows_at_most_grid_size_images_and_copes_with_none(tmp_path):
    figures.image_grid(np.zeros((0, 28, 28)), [], tmp_path / "empty.png")
    figures.image_grid(np.zeros((3, 28, 28)), ["a", "b", "c"], tmp_path / "few.png")
    full = matplotlib.image.imread(tmp_path / "few.png").shape[0] * figures.GRID_ROWS
    figures.image_grid(np.zeros((100, 28, 28)), ["x"] * 100, tmp_path / "many.png")
    assert matplotlib.image.imread(tmp_path / "many.png").shape[0] == full


@pytest.mark.parametrize(("numbers", "words", "thousand"), [(ENGLISH, "en", "1,000"),
                                                            (FRENCH, "fr", "1\u202f000")])
def test_reliability_diagram_shows_accuracy_against_confidence_and_the_images_per_bin(
        tmp_path, numbers, words, thousand):
    tables = reliability_tables()
    labels = STRINGS[words]["labels"]
    figure = figures.reliability_diagram(tables, BINS, labels, numbers, tmp_path / "reliability.png")
    above, below = figure.axes
    diagonal, *curves = above.get_lines()
    assert diagonal.get_label() == labels["calibrated"] and list(diagonal.get_xdata()) == [0, 100]
    for line, (model, table) in zip(curves, tables.items(), strict=True):
        assert line.get_label() == model
        assert np.allclose(line.get_xdata(), 100 * table["confidence"])  # in percent, as the report
        assert np.allclose(line.get_ydata(), 100 * table["accuracy"])
    bars = {container.get_label(): [bar.get_height() for bar in container] for container in below.containers}
    assert bars == {model: table["images"].tolist() for model, table in tables.items()}
    assert below.get_yscale() == "log" and below.get_ylim()[0] < 1  # a bin of one image shows
    assert below.get_xlabel() == labels["confidence"] and above.get_ylabel() == labels["bin_accuracy"]
    below.set_ylim(0.5, 2000)
    assert thousand in tick_texts(below.yaxis)  # counts written in the report's language
    assert min(shown_px(text, figure) for text in [*above.get_yticklabels(), below.xaxis.label]) > 8
def test_robustness_curves_draw_one_panel_per_transform_one_line_per_model_in_percent(tmp_path):
    from matplotlib.colors import to_rgba

    from tests.report.test_render import robustness_of

    result = robustness_of({("translation", 0): (97, 99), ("translation", 2): (67, 97),
                            ("rotation", 0): (97, 99), ("rotation", 10): (94, 96),
                            ("noise", 0): (97, 99), ("noise", 0.2): (90, 80)})
    names = {"dense": "Dense", "cnn": "CNN"}
    figure = figures.robustness_curves(result, names, STRINGS["fr"], FRENCH, tmp_path / "robustness.png")
    panels = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in panels] == ["Translation", "Rotation", "Bruit gaussien"]
    assert not figure.axes[3].axison  # three transforms in a 2x2 grid: the fourth cell is left empty
    translation = panels[0]
    assert translation.get_xlabel() == "Décalage (pixels)" and translation.get_ylabel() == "Exactitude (%)"
    lines = translation.get_lines()
    assert [line.get_label() for line in lines] == ["Dense", "CNN"]
    colors = [to_rgba(color) for color in figures.MODEL_COLORS[:2]]
    assert [to_rgba(line.get_color()) for line in lines] == colors
    assert lines[1].get_ydata().tolist() == [99, 97] and lines[0].get_xdata().tolist() == [0, 2]
    assert "0,2" in tick_texts(panels[2].xaxis)  # the report language's decimals
    texts = [text for axes in panels for text in (axes.title, axes.xaxis.label, *axes.get_xticklabels())]
    assert min(shown_px(text, figure) for text in texts) > 8
    first = (tmp_path / "robustness.png").read_bytes()
    figures.robustness_curves(result, names, STRINGS["fr"], FRENCH, tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == first
