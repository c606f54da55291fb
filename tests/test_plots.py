"""dvc.yaml's `plots:` agree with the report, and `dvc plots` pages need no internet: checks of
the configuration (dvc.yaml, .dvc/plots/, .dvc/config). tests/e2e/test_plots.py renders them."""

import configparser
import importlib.util
import json
import re

import yaml
from matplotlib import colormaps
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


def template(name):
    return json.loads((TEMPLATES / f"{name}.json").read_text())


def stage_plots(stage):
    plots = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"][stage]["plots"]
    return {path: props for entry in plots for path, props in entry.items()}


def test_learning_curves_name_epochs_and_quantities_and_use_the_project_template():
    labels = STRINGS["en"]["labels"]
    for name, quantity in (("Accuracy per epoch", labels["accuracy"]), ("Loss per epoch", labels["loss"])):
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
    names = {model: words["name"] for model, words in STRINGS["en"]["models"].items()}  # table names
    lookup = next(step for step in CURVES["transform"] if "lookup" in step)["from"]["data"]["values"]
    assert {row["model_id"]: row["name"] for row in lookup} == names
    # The report gives the models MODEL_COLORS in its order (compare --models dense cnn); fixed here
    # too, so that a plot of one model has that model's colour.
    assert encoding["color"]["scale"]["domain"] == [names["dense"], names["cnn"]]
    assert encoding["color"]["scale"]["range"] == [to_hex(color) for color in MODEL_COLORS[:2]]
    assert encoding["strokeDash"]["scale"]["domain"] == ["train", "validation"]


def test_accuracy_is_drawn_in_percent_as_the_report_prints_it():
    """A column named like accuracy holds fractions (0.92-1.00): the curves multiply it by 100."""
    for name in ("learning_curves", "one_model_curve"):
        spec = template(name)
        assert spec["spec"]["encoding"]["y"]["field"] == "value", name
        (percent,) = [step["calculate"] for step in spec["transform"] if step.get("as") == "value"]
        assert "'accuracy') >= 0 ? 100 : 1" in percent and "<DVC_METRIC_Y>" in percent, name
    assert PLOTS["Accuracy per epoch"]["y_label"] == STRINGS["en"]["labels"]["accuracy"] == "Accuracy (%)"
    for model in ("dense", "cnn"):
        plot = stage_plots(f"train_{model}")[f"metrics/seed-${{item.seed}}/{model}_history.csv"]
        assert (plot["template"], plot["y"], plot["y_label"]) == \
            ("one_model_curve", "val_accuracy", "Validation accuracy (%)")


def test_a_one_model_panel_has_no_legend_listing_both_models():
    encoding = template("one_model_curve")["spec"]["encoding"]
    assert encoding["color"]["legend"] is None and "strokeDash" not in encoding
    # Still the model's own colour of the report, as in the learning curves.
    assert encoding["color"]["scale"] == CURVES["spec"]["encoding"]["color"]["scale"]


def test_confusion_matrices_put_actual_classes_on_rows_and_colour_only_the_errors():
    """Coloured on 0 to the largest count, the diagonal (hundreds or thousands per class) leaves every
    error (a handful) in one pale shade: as in the report, colour is for the errors only."""
    for title, model in (("Dense confusion matrix", "dense"), ("CNN confusion matrix", "cnn")):
        plot = stage_plots("evaluate")[f"metrics/{model}_predictions.csv"]
        assert (plot["template"], plot["title"], plot["cache"]) == ("confusion_errors", title, False)
        assert (plot["x"], plot["y"]) == ("predicted", "actual")  # x on columns, y on rows
        assert (plot["x_label"], plot["y_label"]) == ("Predicted", "Actual")
    spec = template("confusion_errors")
    steps = {step["as"]: step["calculate"] for step in spec["spec"]["transform"] if "calculate" in step}
    assert steps["correct"] == "datum['<DVC_METRIC_X>'] == datum['<DVC_METRIC_Y>']"
    assert steps["errors"] == "datum.correct ? 0 : datum.images"  # the diagonal adds nothing to the scale
    cells = spec["spec"]["layer"][0]["encoding"]["color"]
    assert cells["field"] == "errors" and cells["condition"] == {"test": "datum.correct", "value": "#e0e0e0"}
    assert (cells["scale"]["domainMin"], cells["scale"]["nice"]) == (0, False)  # 0 to the most errors
    assert cells["title"] == STRINGS["en"]["labels"]["errors"]
    reds = [to_hex(colormaps["Reds"](0.0)), to_hex(colormaps["Reds"](1.0))]
    assert [cells["scale"]["range"][0], cells["scale"]["range"][-1]] == reds  # the report's colours


def test_recall_per_class_is_in_percent_on_an_axis_that_tells_classes_apart():
    for model in ("dense", "cnn"):
        plot = stage_plots("evaluate")[f"metrics/{model}_per_class.csv"]
        assert (plot["template"], plot["x"], plot["y"]) == ("per_class_percent", "recall", "class")
        assert plot["x_label"] == "Recall (accuracy on the class's images, %)"
    spec = template("per_class_percent")
    assert spec["transform"] == [{"calculate": "100 * toNumber(datum['<DVC_METRIC_X>'])", "as": "percent"}]
    x = spec["spec"]["encoding"]["x"]
    assert x["field"] == "percent" and x["scale"]["zero"] is False and x["scale"]["domainMax"] == 100
    assert [layer["mark"]["type"] for layer in spec["spec"]["layer"]] == ["point", "text"]  # no bars


def test_panels_are_headed_by_their_revision_alone():
    """DVC's own templates head each revision's panel with a stray "rev" title; these name the revision."""
    for path in TEMPLATES.glob("*.json"):
        if path.stem == "robustness":  # one panel per transform: its revisions are told apart by row
            continue
        assert json.loads(path.read_text())["facet"]["column"] == \
            {"field": "rev", "type": "nominal", "sort": [], "title": None}, path.name


def test_every_plot_uses_a_template_of_the_project():
    """DVC's built-in templates (confusion, bar_horizontal, linear) lack all of the above."""
    used = {plot["template"] for plot in PLOTS.values()}
    used |= {plot["template"] for stage in ("train_dense", "train_cnn", "evaluate", "robustness")
             for plot in stage_plots(stage).values()}
    assert used == {path.stem for path in TEMPLATES.glob("*.json")}


def test_reliability_bins_are_plots_of_evaluate_and_drawn_together():
    evaluate = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]["evaluate"]
    plots = {path: props for entry in evaluate["plots"] for path, props in entry.items()}
    for model in ("dense", "cnn"):
        plot = plots[f"metrics/{model}_reliability.csv"]
        assert (plot["cache"], plot["x"], plot["y"]) == (False, "confidence", "accuracy")
    together = PLOTS["Reliability (first seed)"]
    assert together["x"] == "confidence"
    assert together["y"] == {f"metrics/{model}_reliability.csv": "accuracy" for model in ("dense", "cnn")}


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


def test_image_plots_share_the_window_width_instead_of_overflowing_it():
    """DVC lays the revisions' PNGs side by side at full size (1,300 px each): the page shrinks them."""
    tail = builder().TAIL
    assert "div:has(> div > img) { display: flex;" in tail
    assert "div:has(> img) { flex: 1 1 0; min-width: 0; }" in tail
    assert "div:has(> img) > img { max-width: 100%; height: auto; }" in tail
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
