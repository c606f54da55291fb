"""End to end: `dvc plots show` and `dvc plots diff main` of a real tiny `dvc repro` (2 epochs),
read from DVC's JSON and rendered by a real headless Chromium with no network: what Vega draws
(the scales of each chart) and how the page lays out the report's PNGs."""

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.conftest import PROJECT, TINY_PARAMS, dvc, make_pipeline_repo, run

pytestmark = pytest.mark.e2e

# dvc.yaml's top-level plots: both models
PLOTS = ["Accuracy per epoch", "Loss per epoch", "Reliability (first seed)"]
# The stages' own plots: each seed's validation curve (one seed here), the first seed's
# confusion matrices, recall per class, reliability bins and accuracy on transformed test images.
STAGE_PLOTS = ["metrics/seed-3/dense_history.csv", "metrics/seed-3/cnn_history.csv",
               "metrics/dense_predictions.csv", "metrics/cnn_predictions.csv",
               "metrics/dense_per_class.csv", "metrics/cnn_per_class.csv",
               "metrics/dense_reliability.csv", "metrics/cnn_reliability.csv", "metrics/robustness.csv"]
FIGURES = ["confusion_matrices", "disagreements", "errors", "learning_curves", "reliability",
           "robustness"]
CHROMIUM = shutil.which("chromium")
MODEL_COLORS = {"Dense": (0x1F, 0x77, 0xB4), "CNN": (0xFF, 0x7F, 0x0E)}  # the report's tab:blue, tab:orange


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A project after `dvc repro` at 2 epochs per model, results committed on main."""
    repo = make_pipeline_repo(tmp_path_factory.mktemp("plots"),
                              {**TINY_PARAMS, "train_dense.epochs": 2, "train_cnn.epochs": 2})
    dvc("repro", cwd=repo)
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", "results"], cwd=repo)
    return repo


def shown_plots(repo, *arguments):
    return json.loads(dvc("plots", *arguments, "--json", cwd=repo).stdout)["data"]


def test_plots_show_draws_what_the_report_draws(repo):
    shown = shown_plots(repo, "show")
    # What the report has, and each stage's plot data drawn as its own chart.
    assert sorted(shown) == sorted(PLOTS + STAGE_PLOTS + [f"reports/figures/{name}.png" for name in FIGURES])
    for title, quantity in (("Accuracy per epoch", "Accuracy (%)"), ("Loss per epoch", "Loss")):
        (plot,) = shown[title]
        encoding = plot["content"]["spec"]["encoding"]
        assert (encoding["x"]["title"], encoding["y"]["title"]) == ("Epoch", quantity)
        epochs = {(row["filename"], row["field"], row["epoch"]) for row in plot["content"]["data"]["values"]}
        fields = ("accuracy", "val_accuracy") if quantity == "Accuracy (%)" else ("loss", "val_loss")
        assert epochs == {(f"{model}_history.csv", field, epoch) for model in ("dense", "cnn")
                          for field in fields for epoch in ("1", "2")}  # numbered from 1, as in the report
    for model, title in (("dense", "Dense confusion matrix"), ("cnn", "CNN confusion matrix")):
        (plot,) = shown[f"metrics/{model}_predictions.csv"]
        assert plot["content"]["title"]["text"] == title
        encoding = plot["content"]["spec"]["encoding"]
        # DVC's confusion template draws x on columns and y on rows.
        assert (encoding["x"]["field"], encoding["y"]["field"]) == ("predicted", "actual"), title
        assert (encoding["x"]["title"], encoding["y"]["title"]) == ("Predicted", "Actual"), title
        assert len(plot["content"]["data"]["values"]) == 1000, title  # one per test image


def test_plots_diff_main_shows_the_report_figures_of_each_revision(repo):
    shown = shown_plots(repo, "diff", "main")
    for name in FIGURES:
        images = shown[f"reports/figures/{name}.png"]
        assert sorted(revision for image in images for revision in image["revisions"]) == \
            ["main", "workspace"], name
    assert sorted(shown["Accuracy per epoch"][0]["revisions"]) == ["main", "workspace"]


def test_plots_pages_are_git_ignored(repo):
    dvc("plots", "show", cwd=repo)  # writes dvc_plots/
    assert (repo / "dvc_plots" / "index.html").is_file()
    assert run(["git", "status", "--porcelain"], cwd=repo).stdout == ""


def chromium(page, profile, *arguments):
    """Open `page` in headless Chromium that can resolve no host name: no network at all."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
               "--virtual-time-budget=10000", "--hide-scrollbars", *arguments, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def render(html, folder):
    """Chromium's DOM of `html` once its scripts ran, and a screenshot of it."""
    dom = chromium(html, folder / "profile", "--dump-dom")
    screenshot = folder / "screenshot.png"
    chromium(html, folder / "profile", "--window-size=1400,1000", f"--screenshot={screenshot}")
    return dom, screenshot


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_plots_diff_page_renders_without_network_where_dvc_default_page_is_blank(repo, tmp_path):
    from dvc_render.html import PAGE_HTML  # DVC's default page: Vega from cdn.jsdelivr.net

    (tmp_path / "cdn.html").write_text(PAGE_HTML, encoding="utf-8")
    pages = {"offline": [], "cdn": ["--html-template", str(tmp_path / "cdn.html")]}
    rendered = {}
    for name, template in pages.items():
        dvc("plots", "diff", "main", "-o", str(tmp_path / name), *template, cwd=repo)
        rendered[name] = render(tmp_path / name / "index.html", tmp_path / name)

    # Vega draws each chart on a canvas; on DVC's page it never loads.
    assert rendered["offline"][0].count("<canvas") == len(PLOTS + STAGE_PLOTS)
    assert rendered["cdn"][0].count("<canvas") == 0
    # The learning curves, at the top of the page, in the report's colour for each model.
    top = np.asarray(Image.open(rendered["offline"][1]).convert("RGB"))[:400]
    for model, color in MODEL_COLORS.items():
        assert (np.abs(top.astype(int) - color).sum(axis=2) < 30).sum() > 100, model
    for revision in ("main", "workspace"):
        for name in FIGURES:
            image = f"static/{revision}_reports_figures_{name}.png"
            assert f'src="{image}"' in rendered["offline"][0]
            assert (tmp_path / "offline" / image).is_file()


# Draws each chart of `dvc plots show --json` with the offline page's Vega, then writes the domain
# of its x, y and colour scales into <pre id="domains"> (the charts are canvases: their DOM says nothing).
SCALES = """<pre id="domains"></pre><script>
const specs = SPECS;
Promise.all(Object.entries(specs).map(([name, spec]) =>
  vegaEmbed(document.body.appendChild(document.createElement("div")), spec).then(({view}) =>
    [name, Object.fromEntries(["x", "y", "color"].map(channel => {
      try { return [channel, view.scale(channel).domain()]; } catch (error) { return [channel, null]; }
    }))])
)).then(entries => {
  document.getElementById("domains").textContent = JSON.stringify(Object.fromEntries(entries));
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_the_charts_read_as_the_report_errors_in_colour_and_percent_axes(repo, tmp_path):
    specs = {name: plots[0]["content"] for name, plots in shown_plots(repo, "show").items()
             if plots[0]["type"] == "vega"}
    page = (PROJECT / ".dvc" / "plots" / "offline.html").read_text(encoding="utf-8")
    script = SCALES.replace("SPECS", json.dumps(specs).replace("</", "<\\/"))
    (tmp_path / "scales.html").write_text(page.replace("{refresh_tag}", "").replace("{plot_divs}", script),
                                          encoding="utf-8")
    dom = chromium(tmp_path / "scales.html", tmp_path / "profile", "--dump-dom")
    domains = json.loads(re.search(r'<pre id="domains">(.*?)</pre>', dom, re.DOTALL).group(1))
    for model in ("dense", "cnn"):
        table = pd.read_csv(repo / "metrics" / f"{model}_predictions.csv")
        counts = pd.crosstab(table["actual"], table["predicted"]).to_numpy().copy()
        np.fill_diagonal(counts, 0)
        # Colour runs from 0 to the most errors in one cell, not to the diagonal's hundreds.
        assert domains[f"metrics/{model}_predictions.csv"]["color"] == [0, counts.max()], model
        recall = 100 * pd.read_csv(repo / "metrics" / f"{model}_per_class.csv")["recall"]
        low, high = domains[f"metrics/{model}_per_class.csv"]["x"]
        assert high == 100 and 0 < low <= recall.min() and recall.min() - low < 10, (low, recall.min())
        curve = domains[f"metrics/seed-3/{model}_history.csv"]["y"]
        assert 1 < curve[0] <= curve[1] <= 100, curve  # percent, not a fraction
    low, high = domains["Accuracy per epoch"]["y"]
    assert 1 < low < high <= 100  # percent
    assert domains["Loss per epoch"]["y"][1] < 10  # loss as it is


# Once the page has loaded, writes where its images end into <pre id="layout">.
LAYOUT = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const layout = {width: document.documentElement.scrollWidth,
                  loaded: images.every(image => image.naturalWidth > 0),
                  rights: images.map(image => Math.round(image.getBoundingClientRect().right))};
  document.body.insertAdjacentHTML("beforeend", `<pre id="layout">${JSON.stringify(layout)}</pre>`);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_both_revisions_figures_fit_a_1400_pixel_window(repo, tmp_path):
    """DVC puts each revision's PNG (1,000 to 1,300 px wide) side by side at full size: the second
    one was cut off. The page shrinks them to share the width."""
    dvc("plots", "diff", "main", "-o", str(tmp_path / "diff"), cwd=repo)
    page = tmp_path / "diff" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT + "</body>"), encoding="utf-8")
    dom = chromium(page, tmp_path / "profile", "--window-size=1400,1000", "--dump-dom")
    layout = json.loads(re.search(r'<pre id="layout">(\{.*?)</pre>', dom).group(1))  # not the script's
    assert layout["loaded"] and len(layout["rights"]) == 2 * len(FIGURES)
    assert layout["width"] <= 1400 and max(layout["rights"]) <= 1400, layout
