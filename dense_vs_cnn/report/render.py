"""The one template of reports/report.md: Markdown that GitHub renders, in a chosen language.

`build_report` turns the results of both models, the head-to-head statistics and the
figure links into text; it reads no file and holds no date, so the same inputs always
give the same bytes. The words come from strings.py, and every number is written by the
language's NumberFormat (numbers.py): `words["numbers"]`, called `numbers` below.
"""

import pandas as pd
import yaml

from dense_vs_cnn.report.figures import GRID_SIZE

MOST_CONFUSED_PAIRS = 5


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
    numbers = words["numbers"]
    names = {role: model_name(analysis[role], words) for role in ("winner", "loser")}
    accuracy = {role: analysis["accuracy"][analysis[role]] for role in ("winner", "loser")}
    low, high = (100 * bound for bound in analysis["interval"])
    values = dict(names, winner_accuracy=numbers.percent(accuracy["winner"]),
                  loser_accuracy=numbers.percent(accuracy["loser"]),
                  points=numbers.quantity(100 * (accuracy["winner"] - accuracy["loser"]), words["points"], 2),
                  # the unit after the interval's upper bound agrees with it: "+1,36 à +1,97 point"
                  low=numbers.number(low, 2, sign=True),
                  high=numbers.quantity(high, words["points"], 2, sign=True),
                  samples=numbers.number(analysis["samples"]), images=numbers.number(analysis["images"]),
                  seed=analysis["seed"],  # a name, like a file name, not a quantity: never grouped
                  p_value=numbers.significant(analysis["p_value"]),
                  only_winner=numbers.quantity(analysis["only_winner"], words["only_one_right"]),
                  only_loser=numbers.number(analysis["only_loser"]))
    test = "significant" if analysis["p_value"] < 0.05 else "not_significant"
    sentences = [words["tie" if analysis["tie"] else "verdict"], words["interval"], words[test],
                 words["discordant"]]
    return " ".join(sentence.format(**values) for sentence in sentences)


def seeds_verdict(seeds, words):
    """The paragraph on training randomness: across seeds, or what one seed leaves out."""
    if len(seeds["seeds"]) == 1:
        return words["one_seed"].format(seed=seeds["seeds"][0])
    numbers = words["numbers"]
    winner, loser = seeds["winner"], seeds["loser"]
    low, high = (100 * bound for bound in seeds["interval"])
    return words["seeds_verdict"].format(
        winner=model_name(winner, words), loser=model_name(loser, words),
        count=numbers.number(len(seeds["seeds"])), wins=numbers.number(seeds["wins"]),
        winner_mean=numbers.percent(seeds["mean"][winner]), loser_mean=numbers.percent(seeds["mean"][loser]),
        winner_sd=numbers.quantity(100 * seeds["sd"][winner], words["points"], 2),
        loser_sd=numbers.quantity(100 * seeds["sd"][loser], words["points"], 2),
        mean_gap=numbers.quantity(100 * seeds["mean_gap"], words["points"], 2),
        low=numbers.number(low, 2, sign=True), high=numbers.quantity(high, words["points"], 2, sign=True))


def seeds_table(seeds, words):
    """One row per seed: each model's test accuracy, the gap in points, McNemar's p."""
    numbers = words["numbers"]
    winner, loser = seeds["winner"], seeds["loser"]
    rows = seeds["per_seed"]
    columns = {words["seed"]: [str(row["seed"]) for row in rows]}
    for name in (winner, loser):
        columns[model_name(name, words)] = [numbers.percent(row["accuracy"][name]) for row in rows]
    gap = words["seed_gap"].format(winner=model_name(winner, words), loser=model_name(loser, words))
    columns[gap] = [numbers.quantity(100 * row["gap"], words["points"], 2, sign=True) for row in rows]
    columns[words["seed_p_value"]] = [numbers.significant(row["p_value"]) for row in rows]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def comparison_table(results, words):
    numbers = words["numbers"]

    def best_validation(history):
        best = history["val_accuracy"].idxmax()
        accuracy, epoch = history["val_accuracy"][best], history["epoch"][best]
        return f"{numbers.percent(accuracy)} ({numbers.number(epoch)})"

    def last_epoch_gap(history):
        last = history.iloc[-1]
        gap = 100 * (last["accuracy"] - last["val_accuracy"])
        return numbers.quantity(gap, words["points"], 2, sign=True)

    rows = {
        "test_accuracy": lambda r: numbers.percent(r["test"]["accuracy"]),
        "test_loss": lambda r: numbers.number(r["test"]["loss"], 4),
        "parameters": lambda r: numbers.number(r["test"]["parameters"]),
        "train_time": lambda r: numbers.quantity(r["train"]["train_seconds"], words["seconds"], 1),
        "epoch_time": lambda r: numbers.quantity(r["train"]["train_seconds"] / r["train"]["epochs"],
                                                 words["seconds"], 1),
        "throughput": lambda r: numbers.quantity(r["inference"]["images_per_second"],
                                                 words["images_per_second"]),
        "best_val": lambda r: best_validation(r["history"]),
        "gap": lambda r: last_epoch_gap(r["history"]),
    }
    columns = {model_name(name, words): [cell(result) for cell in rows.values()]
               for name, result in results.items()}
    return markdown_table(columns, index=(words["criterion"], [words[row] for row in rows]))


def history_table(history, words):
    numbers = words["numbers"]
    return markdown_table({
        words["columns"][0]: history["epoch"].map(numbers.number),
        words["columns"][1]: history["accuracy"].map(numbers.percent),
        words["columns"][2]: history["loss"].map(lambda loss: numbers.number(loss, 4)),
        words["columns"][3]: history["val_accuracy"].map(numbers.percent),
        words["columns"][4]: history["val_loss"].map(lambda loss: numbers.number(loss, 4)),
    })


def per_class_table(results, class_names, words):
    numbers = words["numbers"]
    first = next(iter(results.values()))["per_class"]
    columns = {words["class"]: list(class_names), words["images"]: [*map(numbers.number, first["support"])]}
    for name, result in results.items():
        table, model = result["per_class"], model_name(name, words)
        columns[words["class_accuracy"].format(model=model)] = [*map(numbers.percent, table["recall"])]
        columns[words["class_precision"].format(model=model)] = [*map(numbers.percent, table["precision"])]
        columns[words["class_f1"].format(model=model)] = [numbers.number(f1, 4) for f1 in table["f1"]]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def confused_table(analysis, class_names, words):
    if not analysis["most_confused"]:
        return words["none_confused"]
    matrices = analysis["confusion"]
    columns = {words["confused_pair"]: [f"{class_names[i]} → {class_names[j]}"
                                        for i, j in analysis["most_confused"]]}
    for name, matrix in matrices.items():
        columns[model_name(name, words)] = [words["numbers"].number(matrix[i, j])
                                            for i, j in analysis["most_confused"]]
    return markdown_table(columns, align=["left"] + ["right"] * len(matrices))


def figure_section(figures, analysis, words):
    errors, disagreements = (
        {"shown": words["numbers"].number(min(len(analysis[key]), GRID_SIZE)),
         "total": words["numbers"].number(len(analysis[key]))}
        for key in ("errors", "disagreements")
    )
    captions = {
        "learning_curves": words["learning_curves"],
        "confusion_matrices": words["confusion_matrices"],
        "errors": words["errors"].format(model=model_name(analysis["winner"], words), **errors),
        "disagreements": words["disagreements"].format(**disagreements),
    }
    notes = {"confusion_matrices": f"\n\n{words['confusion_note']}"}  # what the colours mean
    return [f"### {captions[key]}\n\n![{captions[key]}]({link}){notes.get(key, '')}"
            for key, link in figures.items()]


def reproducibility_section(reproducibility, words):
    digests = markdown_table({words["file"]: [f"`{name}`" for name, _ in reproducibility["files"]],
                              "md5": [f"`{digest}`" for _, digest in reproducibility["files"]]},
                             align=["left", "left"])
    # versions in code spans: names, not decimal numbers, in every language
    versions = ", ".join(f"{package} `{version}`" for package, version in reproducibility["versions"].items())
    params = yaml.safe_dump(reproducibility["params"], sort_keys=False, default_flow_style=None)
    return [f"## {words['reproducibility']}",
            words["data"].format(dataset=reproducibility["dataset"]), digests,
            words["code"].format(digest=reproducibility["code_digest"],
                                 paths=", ".join(f"`{path}`" for path in reproducibility["code_paths"])),
            words["versions"].format(versions=versions),
            words["params"], f"```yaml\n{params}```"]


def build_report(results, analysis, seeds, figures, reproducibility, class_names, words, metrics_dir):
    """The whole report: verdicts, seeds, comparison, histories, figures, per class, reproducibility.

    `analysis`: the first seed's models head to head; `seeds`: every seed (across_seeds).
    """
    first_seed = seeds["seeds"][0]
    sections = [f"# {words['title'].format(dataset=reproducibility['dataset_name'])}"]
    if len(seeds["seeds"]) == 1:
        sections += [verdict(analysis, words) + " " + seeds_verdict(seeds, words)]
    else:
        sections += [seeds_verdict(seeds, words),
                     words["first_seed"].format(seed=first_seed) + " " + verdict(analysis, words),
                     f"## {words['seeds']}", seeds_table(seeds, words)]
    sections += [f"## {words['comparison']}", words["single_run"].format(seed=first_seed),
                 comparison_table(results, words)]
    for name, result in results.items():
        sections += [f"## {words['history'].format(model=model_name(name, words))}",
                     history_table(result["history"], words)]
    sections += [f"## {words['figures']}", *figure_section(figures, analysis, words)]
    sections += [f"## {words['per_class']}", per_class_table(results, class_names, words),
                 f"### {words['confused']}", confused_table(analysis, class_names, words)]
    sections += reproducibility_section(reproducibility, words)
    sections.append(f"<sub>{words['footer'].format(metrics=metrics_dir)}</sub>")
    return "\n\n".join(sections) + "\n"
