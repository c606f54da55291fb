"""The one template of reports/report.md: Markdown that GitHub renders, in a chosen language.

`build_report` turns the results of both models, the head-to-head statistics and the
figure links into text; it reads no file and holds no date, so the same inputs always
give the same bytes. The words come from strings.py.
"""

import pandas as pd
import yaml

from dense_vs_cnn.report.figures import GRID_SIZE

MOST_CONFUSED_PAIRS = 5


def percent(fraction):
    return f"{100 * fraction:.2f} %"


def model_name(name, words):
    return words["model_names"].get(name, name)


def markdown_table(columns, index=None, align=None):
    """A GitHub table from {header: cells}; numbers are right-aligned."""
    table = pd.DataFrame(columns)
    if index is not None:
        table.index = pd.Index(index[1], name=index[0])
    extra = 0 if index is None else 1
    return table.to_markdown(index=index is not None, disable_numparse=True,
                             colalign=align or ["left"] * extra + ["right"] * len(columns))


def verdict(analysis, words):
    """One paragraph: the winner and its margin, the bootstrap interval, McNemar's test."""
    names = {role: model_name(analysis[role], words) for role in ("winner", "loser")}
    accuracy = {role: analysis["accuracy"][analysis[role]] for role in ("winner", "loser")}
    values = dict(names, winner_accuracy=percent(accuracy["winner"]),
                  loser_accuracy=percent(accuracy["loser"]),
                  points=100 * (accuracy["winner"] - accuracy["loser"]),
                  low=100 * analysis["interval"][0], high=100 * analysis["interval"][1],
                  samples=analysis["samples"], images=analysis["images"], seed=analysis["seed"],
                  p_value=f"{analysis['p_value']:.3g}", only_winner=analysis["only_winner"],
                  only_loser=analysis["only_loser"])
    test = "significant" if analysis["p_value"] < 0.05 else "not_significant"
    sentences = [words["tie" if analysis["tie"] else "verdict"], words["interval"], words[test],
                 words["discordant"]]
    return " ".join(sentence.format(**values) for sentence in sentences)


def comparison_table(results, words):
    def best_validation(history):
        best = history["val_accuracy"].idxmax()
        return f"{percent(history['val_accuracy'][best])} ({int(history['epoch'][best])})"

    def last_epoch_gap(history):
        last = history.iloc[-1]
        return words["points"].format(100 * (last["accuracy"] - last["val_accuracy"]))

    rows = {
        "test_accuracy": lambda r: percent(r["test"]["accuracy"]),
        "test_loss": lambda r: f"{r['test']['loss']:.4f}",
        "parameters": lambda r: f"{r['test']['parameters']:,}",
        "train_time": lambda r: f"{r['train']['train_seconds']:.1f} s",
        "epoch_time": lambda r: f"{r['train']['train_seconds'] / r['train']['epochs']:.1f} s",
        "throughput": lambda r: words["images_per_second"].format(r["inference"]["images_per_second"]),
        "best_val": lambda r: best_validation(r["history"]),
        "gap": lambda r: last_epoch_gap(r["history"]),
    }
    columns = {model_name(name, words): [cell(result) for cell in rows.values()]
               for name, result in results.items()}
    return markdown_table(columns, index=(words["criterion"], [words[row] for row in rows]))


def history_table(history, words):
    return markdown_table({
        words["columns"][0]: history["epoch"],
        words["columns"][1]: history["accuracy"].map(percent),
        words["columns"][2]: history["loss"].map("{:.4f}".format),
        words["columns"][3]: history["val_accuracy"].map(percent),
        words["columns"][4]: history["val_loss"].map("{:.4f}".format),
    })


def per_class_table(results, class_names, words):
    first = next(iter(results.values()))["per_class"]
    columns = {words["class"]: list(class_names), words["images"]: first["support"].tolist()}
    for name, result in results.items():
        table, model = result["per_class"], model_name(name, words)
        columns[words["class_accuracy"].format(model=model)] = table["recall"].map(percent).tolist()
        columns[words["class_precision"].format(model=model)] = table["precision"].map(percent).tolist()
        columns[words["class_f1"].format(model=model)] = table["f1"].map("{:.4f}".format).tolist()
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def confused_table(analysis, class_names, words):
    if not analysis["most_confused"]:
        return words["none_confused"]
    matrices = analysis["confusion"]
    columns = {words["confused_pair"]: [f"{class_names[i]} → {class_names[j]}"
                                        for i, j in analysis["most_confused"]]}
    for name, matrix in matrices.items():
        columns[model_name(name, words)] = [int(matrix[i, j]) for i, j in analysis["most_confused"]]
    return markdown_table(columns, align=["left"] + ["right"] * len(matrices))


def figure_section(figures, analysis, words):
    errors, disagreements = (
        {"shown": min(len(analysis[key]), GRID_SIZE), "total": len(analysis[key])}
        for key in ("errors", "disagreements")
    )
    captions = {
        "learning_curves": words["learning_curves"],
        "confusion_matrices": words["confusion_matrices"],
        "errors": words["errors"].format(model=model_name(analysis["winner"], words), **errors),
        "disagreements": words["disagreements"].format(**disagreements),
    }
    return [f"### {captions[key]}\n\n![{captions[key]}]({link})" for key, link in figures.items()]


def reproducibility_section(reproducibility, words):
    digests = markdown_table({words["file"]: [f"`{name}`" for name, _ in reproducibility["files"]],
                              "md5": [f"`{digest}`" for _, digest in reproducibility["files"]]},
                             align=["left", "left"])
    versions = ", ".join(f"{package} {version}" for package, version in reproducibility["versions"].items())
    params = yaml.safe_dump(reproducibility["params"], sort_keys=False, default_flow_style=None)
    return [f"## {words['reproducibility']}",
            words["data"].format(dataset=reproducibility["dataset"]), digests,
            words["code"].format(digest=reproducibility["code_digest"],
                                 paths=", ".join(f"`{path}`" for path in reproducibility["code_paths"])),
            words["versions"].format(versions=versions),
            words["params"], f"```yaml\n{params}```"]


def build_report(results, analysis, figures, reproducibility, class_names, words, metrics_dir):
    """The whole report: verdict, comparison, histories, figures, per class, reproducibility."""
    sections = [f"# {words['title'].format(dataset=reproducibility['dataset'].upper().replace('_', '-'))}",
                verdict(analysis, words), f"## {words['comparison']}", comparison_table(results, words)]
    for name, result in results.items():
        sections += [f"## {words['history'].format(model=model_name(name, words))}",
                     history_table(result["history"], words)]
    sections += [f"## {words['figures']}", *figure_section(figures, analysis, words)]
    sections += [f"## {words['per_class']}", per_class_table(results, class_names, words),
                 f"### {words['confused']}", confused_table(analysis, class_names, words)]
    sections += reproducibility_section(reproducibility, words)
    sections.append(f"<sub>{words['footer'].format(metrics=metrics_dir)}</sub>")
    return "\n\n".join(sections) + "\n"
