"""dvc.yaml's `plots:` agree with the report, and `dvc plots` pages need no internet: checks of
the configuration (dvc.yaml, .dvc/plots/, .dvc/config). tests/e2e/test_plots.py renders them."""

import configparser
import importlib.util
import json
import re

import yaml
from matplotlib.colors import to_hex

from dense_vs_cnn.report.figures import MODEL_COLORS
from dense_vs_cnn.report.strings import STRINGS
from tests.conftest import PROJECT

PLOTS = {name: plot for entry in yaml.safe_load((PROJECT / "dvc.yaml").read_text())["plots"]
         for name, plot in entry.items()}
TEMPLATES = PROJECT / ".dvc" / "plots"
CURVES = json.loads((TEMPLATES / "learning_curves.json").read_text())


def builder():
    """.ci/build_plots_page.py, the script that writes the offline page."""
    spec = importlib.util.spec_from_file_location("build_plots_page", PROJECT / ".ci" / "build_plots_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_learning_curves_name_epochs_and_quantities_and_use_the_project_template():
    for name, quantity in (("Accuracy per epoch", "Accuracy"), ("Loss per epoch", "Loss")):
        plot = PLOTS[name]
        assert (plot["template"], plot["x"], plot["x_label"], plot["y_label"]) == \
            ("learning_curves", "epoch", "Epoch", quantity)
        # The first seed's histories: the report's learning curves.
        assert set(plot["y"]) == {"metrics/seed-${seeds[0]}/dense_history.csv",
                                  "metrics/seed-${seeds[0]}/cnn_history.csv"}
    x_axis = CURVES["spec"]["encoding"]["x"]["axis"]
    assert x_axis["format"] == "d"  # whole epochs: no 0.5 ticks


def test_learning_curves_use_the_report_colours_and_model_names():
    encoding = CURVES["spec"]["encoding"]
    names = STRINGS["en"]["model_names"]
    lookup = next(step for step in CURVES["transform"] if "lookup" in step)["from"]["data"]["values"]
    assert {row["model_id"]: row["name"] for row in lookup} == names
    # The report gives the models MODEL_COLORS in its order (compare --models dense cnn); fixed here
    # too, so that a plot of one model has that model's colour.
    assert encoding["color"]["scale"]["domain"] == [names["dense"], names["cnn"]]
    assert encoding["color"]["scale"]["range"] == [to_hex(color) for color in MODEL_COLORS[:2]]
    assert encoding["strokeDash"]["scale"]["domain"] == ["train", "validation"]


def test_confusion_matrices_put_actual_classes_on_rows_as_the_report_does():
    # DVC's confusion template draws x on columns and y on rows.
    evaluate = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]["evaluate"]
    plots = {path: props for entry in evaluate["plots"] for path, props in entry.items()}
    for title, model in (("Dense confusion matrix", "dense"), ("CNN confusion matrix", "cnn")):
        plot = plots[f"metrics/{model}_predictions.csv"]
        assert (plot["template"], plot["title"], plot["cache"]) == ("confusion", title, False)
        assert (plot["x"], plot["y"]) == ("predicted", "actual")
        assert (plot["x_label"], plot["y_label"]) == ("Predicted", "Actual")


def test_report_figures_are_image_plots_of_compare():
    compare = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]["compare"]
    assert {"reports/figures": {"cache": False}} in compare["plots"]
    assert not any("reports/figures" in out for out in compare.get("outs", []))


def test_dvc_pages_use_the_offline_page_which_loads_nothing_from_the_network():
    config = configparser.ConfigParser()
    config.read(PROJECT / ".dvc" / "config")
    page_path = PROJECT / ".dvc" / config["plots"]["html_template"]  # DVC reads it relative to .dvc
    page = page_path.read_text(encoding="utf-8")
    assert "{plot_divs}" in page and "{scripts}" not in page  # {scripts} is where DVC puts the CDN tags
    assert not re.search(r"<script[^>]*\bsrc=", page)  # every script inline: the browser check shows it


def test_offline_page_is_exactly_what_the_builder_writes_from_the_pinned_npm_builds():
    build = builder()
    page = build.PAGE.read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert build.page(scripts) == page  # nothing edited by hand; CI re-downloads and compares bytes
    for script, (name, version) in zip(scripts, build.PACKAGES.items(), strict=True):
        assert f'"{version}"' in script, name  # each build names its own version


def test_robustness_plot_draws_accuracy_against_severity_per_transform_in_the_report_colours():
    robustness = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]["robustness"]
    plots = {path: props for entry in robustness["plots"] for path, props in entry.items()}
    plot = plots["metrics/robustness.csv"]
    assert (plot["template"], plot["x"], plot["y"]) == ("robustness", "severity", "accuracy")
    assert plot["cache"] is False
    template = json.loads((TEMPLATES / "robustness.json").read_text())
    assert template["facet"]["column"]["field"] == "transform"  # one panel per transform
    assert template["facet"]["column"]["sort"] == ["translation", "rotation", "noise", "thickness"]
    names = {model: forms["name"] for model, forms in STRINGS["en"]["models"].items()}
    lookup = next(step for step in template["transform"] if "lookup" in step)["from"]["data"]["values"]
    assert {row["model"]: row["name"] for row in lookup} == names
    color = template["spec"]["encoding"]["color"]["scale"]
    assert color["domain"] == [names["dense"], names["cnn"]]
    assert color["range"] == [to_hex(color) for color in MODEL_COLORS[:2]]
