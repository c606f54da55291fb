"""The report's figures, drawn with matplotlib and saved as PNG files that GitHub shows.

Headless (matplotlib's Figure drawn on an Agg canvas, never pyplot or a window) and
byte-reproducible: the same inputs give the same PNG bytes, because the PNG metadata
holds no software version or date. Labels come in already translated, and every number
drawn (tick labels, counts) is written by the report language's NumberFormat (numbers.py).
Sized to be read where GitHub shows them, about 880 px wide: no text under 8 px there.
"""

from pathlib import Path

import numpy as np

from dense_vs_cnn.core.files import atomic_path
from dense_vs_cnn.evaluation.calibration import BINS

GRID_COLUMNS, GRID_ROWS = 8, 4  # digit grids: the first 32 images, in test-set order
GRID_SIZE = GRID_COLUMNS * GRID_ROWS
MODEL_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
RIGHT, WRONG = "\u2713", "\u2717"  # ✓ and ✗, in matplotlib's own DejaVu Sans
# Font sizes in points at 100 dpi. GitHub shows a figure W inches wide at about 880 px, so
# a font of S points is S * 100 / 72 * 880 / (100 * W) px there: 9 points on the 13-inch
# confusion matrices is 8.5 px, 8 points on the 10.4-inch grids is 9.4 px.
COUNT_FONT, GRID_FONT = 9, 8


def tick_labels(numbers):
    """matplotlib's usual tick labels (same ticks, same decimals), in `numbers`' format."""
    from matplotlib.ticker import ScalarFormatter

    class Formatter(ScalarFormatter):
        def __call__(self, value, position=None):
            return numbers.localize(super().__call__(value, position))

    # No offset or "1e-3" multiplier above the axis: every label carries its whole value.
    formatter = Formatter(useOffset=False, useLocale=False)
    formatter.set_scientific(False)
    return formatter


def new_figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save_png(figure, path):
    """Write `figure` to `path` atomically, without metadata that would change between runs.

    Agg's print_png draws the figure once, laying it out as it draws; savefig would draw it twice,
    first without rendering, only to lay it out: the same bytes for more work.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with atomic_path(path) as temporary:
        FigureCanvasAgg(figure).print_png(temporary, metadata={"Software": None})


def learning_curves(histories, labels, numbers, path):
    """Accuracy (in percent, as the report's tables) and loss per epoch, training (solid) and
    validation (dashed), all models on the same axes. `histories`: {model label: the
    train stage's history frame}; `labels`: axis words; `numbers`: a NumberFormat. Returns the
    figure."""
    figure = new_figure(10, 4)
    for axes, metric, scale in zip(figure.subplots(1, 2), ("accuracy", "loss"), (100, 1), strict=True):
        for color, (model, history) in zip(MODEL_COLORS, histories.items(), strict=False):
            epochs = history["epoch"]
            axes.plot(epochs, scale * history[metric], color=color, marker="o",
                      label=f"{model}, {labels['train']}")
            axes.plot(epochs, scale * history[f"val_{metric}"], color=color, marker="o", linestyle="--",
                      label=f"{model}, {labels['validation']}")
        axes.set(title=labels[metric], xlabel=labels["epoch"])
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.xaxis.set_major_formatter(tick_labels(numbers))
        axes.yaxis.set_major_formatter(tick_labels(numbers))
        axes.grid(alpha=0.3)
        axes.legend()
    save_png(figure, path)
    return figure


def confusion_matrices(matrices, class_names, labels, numbers, path):
    """One annotated confusion matrix per model, side by side. `matrices`: {model: counts}.

    Colour shows the errors only, on a linear scale shared by every model, with its colour
    bar: the diagonal's counts (hundreds or thousands) would otherwise squash the errors
    (a handful) into one pale shade, and a log scale makes 5 errors look like 14. The
    diagonal is drawn apart, in grey, with its counts written on it. Returns the figure.
    """
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    figure = new_figure(6 * len(matrices) + 1, 5.5)
    all_axes = np.atleast_1d(figure.subplots(1, len(matrices)))
    diagonal = np.eye(len(class_names), dtype=bool)
    most = max(1, *(counts[~diagonal].max() for counts in matrices.values()))
    colors = colormaps["Reds"].with_extremes(bad="0.88")  # masked cells: the diagonal
    for axes, (model, counts) in zip(all_axes, matrices.items(), strict=True):
        image = axes.imshow(np.ma.masked_array(counts, mask=diagonal), cmap=colors, vmin=0, vmax=most)
        for (row, column), count in np.ndenumerate(counts):
            if count:
                dark = not diagonal[row, column] and count > most / 2
                axes.text(column, row, numbers.number(count), ha="center", va="center", fontsize=COUNT_FONT,
                          color="white" if dark else "black")
        ticks = range(len(class_names))
        axes.set_xticks(ticks, class_names, rotation=45 if max(map(len, class_names)) > 2 else 0)
        axes.set_yticks(ticks, class_names)
        axes.set(title=model, xlabel=labels["predicted"], ylabel=labels["actual"])
    figure.colorbar(image, ax=all_axes, label=labels["errors"], shrink=0.8,
                    ticks=MaxNLocator(integer=True), format=tick_labels(numbers))
    save_png(figure, path)
    return figure


def reliability_diagram(tables, bins, labels, numbers, path):
    """Calibration, all models on the same axes: above, the accuracy against the mean confidence of
    the images in each confidence bin, beside the diagonal of a model exactly as sure as it is right;
    below, the test images in each bin (log scale: most are in the last one). `tables`: {model
    label: its calibration.reliability_table, non-empty bins only}; `bins`: how many in [0, 1].
    Returns the figure."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure = new_figure(10, 6.5)
    above, below = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    above.plot([0, 100], [0, 100], color="0.6", linestyle="--", label=labels["calibrated"])
    width = 100 / bins / (len(tables) + 1)  # the bars of a bin side by side, a gap between bins
    for number, (color, (model, table)) in enumerate(zip(MODEL_COLORS, tables.items(), strict=False)):
        above.plot(100 * table["confidence"], 100 * table["accuracy"], color=color, marker="o", label=model,
                   clip_on=False)  # the last bin's point sits in the corner
        centres = 50 * (table["low"] + table["high"]) + (number - (len(tables) - 1) / 2) * width
        below.bar(centres, table["images"], width=width, color=color, label=model)
    above.set(ylabel=labels["bin_accuracy"], xlim=(0, 100), ylim=(0, 100))
    below.set(xlabel=labels["confidence"], ylabel=labels["bin_images"], yscale="log")
    below.set_ylim(bottom=0.5)  # a bin of 1 image shows
    below.set_xticks(np.linspace(0, 100, bins + 1), minor=True)  # the bins' edges
    for axes in (above, below):
        axes.xaxis.set_major_formatter(tick_labels(numbers))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
    above.yaxis.set_major_formatter(tick_labels(numbers))
    below.grid(alpha=0.3, which="minor", axis="x")
    below.yaxis.set_major_formatter(FuncFormatter(lambda value, position: numbers.number(value)))
    below.yaxis.set_minor_formatter(NullFormatter())
    save_png(figure, path)
    return figure


def image_grid(images, titles, path):
    """Up to GRID_SIZE grayscale images, each under its (short) title of one or more lines.
    Returns the figure."""
    from matplotlib.figure import Figure

    count = min(len(images), GRID_SIZE)
    rows = max(1, -(-count // GRID_COLUMNS))
    lines = max((title.count("\n") + 1 for title in titles[:count]), default=1)
    cell, heading, margin = 1.3, 0.15 * lines, 0.08  # inches: a cell, its title (0.15 a line), a margin
    width, height = GRID_COLUMNS * cell, rows * (cell + heading)
    figure = Figure(figsize=(width, height), dpi=100)
    # One axes in inches, top down, holding every image: eight times faster to draw than
    # one axes per image, each laid out by matplotlib.
    axes = figure.add_axes((0, 0, 1, 1))
    axes.axis("off")
    side = cell - 2 * margin
    for index in range(count):
        row, column = divmod(index, GRID_COLUMNS)
        left, top = column * cell + margin, row * (cell + heading) + heading + margin
        axes.imshow(np.squeeze(images[index]), cmap="gray_r", vmin=0, vmax=1,
                    extent=(left, left + side, top + side, top))
        axes.text(left + side / 2, top - 0.02, titles[index], ha="center", va="bottom", fontsize=GRID_FONT)
    axes.set(xlim=(0, width), ylim=(height, 0))  # after imshow, which sets them to its last image
    save_png(figure, path)
    return figure


def disagreement_titles(actual, predicted, names, indices):
    """Per image: its class, then each model's prediction marked right (✓) or wrong (✗), one a line.
    `actual`: class names by image; `predicted`: {model: class names by image}; `names`: {model:
    display name}."""
    def line(model, i):
        return f"{names[model]} {predicted[model][i]} {RIGHT if predicted[model][i] == actual[i] else WRONG}"

    return ["\n".join([actual[i], *(line(model, i) for model in predicted)]) for i in indices]


def robustness_curves(robustness, names, words, numbers, path):
    """Accuracy (in percent) against severity, one panel per transform (two a row, sharing the
    accuracy axis), one line per model with its 95 % Wilson interval shaded. `robustness`: a
    Robustness (evaluation/robustness.py); `names`: {model: display name}; `words`: the report
    language's table (its `transforms` give each panel's title and axis). Returns the figure."""
    transforms = robustness.transforms
    columns = min(2, len(transforms))
    rows = -(-len(transforms) // columns)
    figure = new_figure(10, 3.6 * rows)
    grid = list(figure.subplots(rows, columns, squeeze=False, sharey=True).flat)
    for index, (axes, transform) in enumerate(zip(grid, transforms, strict=False)):
        for color, model in zip(MODEL_COLORS, robustness.models, strict=False):
            curve = robustness.curve(transform, model)
            axes.fill_between(curve["severity"], 100 * curve["low"], 100 * curve["high"], color=color,
                              alpha=0.2, linewidth=0)
            axes.plot(curve["severity"], 100 * curve["accuracy"], color=color, marker="o", label=names[model])
        forms = words["transforms"][transform]
        axes.set(title=forms["name"], xlabel=forms["axis"],
                 ylabel=words["labels"]["accuracy"] if index % columns == 0 else "")  # once a row
        axes.set_xticks(robustness.levels(transform))
        axes.xaxis.set_major_formatter(tick_labels(numbers))
        axes.yaxis.set_major_formatter(tick_labels(numbers))
        axes.yaxis.set_tick_params(labelleft=True)  # every panel its own labels: they are read apart
        axes.grid(alpha=0.3)
    for axes in grid[len(transforms):]:  # an odd number of transforms leaves a cell empty
        axes.axis("off")
    grid[0].legend()
    save_png(figure, path)
    return figure


def draw_report_figures(comparison, images, words, folder):
    """Write the report's PNGs into `folder` (five, and the robustness curves when the comparison has
    them); return {figure: path} in report order.

    `comparison`: a Comparison (evaluation/comparison.py); `words`: the report language's
    table (model names, axis words, number format).
    """
    results, pair, class_names = comparison.results, comparison.pair, comparison.class_names
    names = {name: words["models"].get(name, {"name": name})["name"] for name in results}
    labels, numbers = words["labels"], words["numbers"]
    paths = {key: Path(folder, f"{key}.png")
             for key in ("learning_curves", "confusion_matrices", "errors", "disagreements", "reliability")}
    learning_curves({names[name]: result.history for name, result in results.items()},
                    labels, numbers, paths["learning_curves"])
    confusion_matrices({names[name]: matrix for name, matrix in pair.confusion.items()},
                       class_names, labels, numbers, paths["confusion_matrices"])
    actual = results[pair.ahead].predictions["actual"].map(class_names.__getitem__)
    predicted = {name: result.predictions["predicted"].map(class_names.__getitem__)
                 for name, result in results.items()}
    errors = pair.errors[:GRID_SIZE]
    image_grid(images[errors], [f"{actual[i]} → {predicted[pair.ahead][i]}" for i in errors],
               paths["errors"])
    disagreements = pair.disagreements[:GRID_SIZE]
    image_grid(images[disagreements], disagreement_titles(actual, predicted, names, disagreements),
               paths["disagreements"])
    calibration = comparison.calibration
    reliability_diagram({names[name]: model.reliability for name, model in calibration.models.items()},
                        BINS, labels, numbers, paths["reliability"])
    if comparison.robustness is not None:
        paths["robustness"] = Path(folder, "robustness.png")
        robustness_curves(comparison.robustness, names, words, numbers, paths["robustness"])
    return paths
