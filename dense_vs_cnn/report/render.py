"""The one template of reports/report.md: Markdown that GitHub renders, in a chosen language.

`build_report` turns a `Comparison` (both models' results, the head-to-head and across-seeds
statistics) and the figure links into text; it reads no file and holds no date, so the
same inputs always give the same bytes. The words come from strings.py, and every number
is written by the language's NumberFormat (numbers.py): `words["numbers"]`, called
`numbers` below. Every gap is the second model of `--models` minus the first ("CNN −
Dense"), and a headline names a winner only when its test supports it.
"""

import pandas as pd
import yaml

from dense_vs_cnn.evaluation.calibration import BINS
from dense_vs_cnn.evaluation.statistics import ALPHA, normal_quantile, seeds_for_a_sign
from dense_vs_cnn.report.figures import GRID_SIZE

MOST_CONFUSED_PAIRS = 5
FEW_SEEDS = 5  # below this, the t interval is wide by construction: say so


def model_forms(name, words):
    """A model's names: `name` (tables, figures), `the` (sentences), `label` (in a header)."""
    return words["models"].get(name, {"name": name, "the": name, "label": name})


def model_name(name, words):
    return model_forms(name, words)["name"]


def capitalized(text):
    return text[:1].upper() + text[1:]


def roles(words, **models):
    """Placeholders for models by role: {ahead} in a sentence, {Ahead} starting one, {ahead_name}."""
    values = {}
    for role, name in models.items():
        forms = model_forms(name, words)
        values.update({role: forms["the"], role.capitalize(): capitalized(forms["the"]),
                       f"{role}_name": forms["name"]})
    return values


def markdown_table(columns, index=None, align=None):
    """A GitHub table from {header: cells}; numbers are right-aligned."""
    table = pd.DataFrame(columns)
    if index is not None:
        table.index = pd.Index(index[1], name=index[0])
    extra = 0 if index is None else 1
    return table.to_markdown(index=index is not None, disable_numparse=True,
                             colalign=align or ["left"] * extra + ["right"] * len(columns))


def points(value, words, sign=False):
    return words["numbers"].quantity(100 * value, words["points"], 2, sign=sign)


def interval_bounds(interval, words):
    """(low, high) in points; the unit after the upper bound agrees with it: "+1,36 à +1,97 point"."""
    low, high = (100 * bound for bound in interval)
    return words["numbers"].number(low, 2, sign=True), words["numbers"].quantity(high, words["points"], 2,
                                                                                  sign=True)


def verdict(pair, words):
    """One paragraph on one seed's models: the headline, the gap and its bootstrap interval,
    McNemar's test, the images only one model gets right, the relative fall in errors."""
    numbers = words["numbers"]
    ahead, behind = pair.ahead, pair.behind
    low, high = interval_bounds(pair.interval, words)
    excludes = pair.interval[0] > 0 or pair.interval[1] < 0
    errors = {name: 1 - accuracy for name, accuracy in pair.accuracy.items()}
    values = dict(
        roles(words, ahead=ahead, behind=behind, first=pair.first, second=pair.second),
        ahead_accuracy=numbers.percent(pair.accuracy[ahead]),
        behind_accuracy=numbers.percent(pair.accuracy[behind]),
        gap=points(pair.gap, words, sign=True), low=low, high=high,
        samples=numbers.number(pair.samples), images=numbers.number(pair.images),
        seed=pair.seed,  # a name, like a file name, not a quantity: never grouped
        p_value=numbers.significant(pair.p_value),
        p_reading=words["p_below" if pair.p_value < ALPHA else "p_above"],
        interval_reading=words["excludes_zero" if excludes else "includes_zero"],
        joined=words["but" if excludes != (pair.p_value < ALPHA) else "and"],
        only_ahead=numbers.quantity(pair.only_right[ahead], words["only_one_right"]),
        only_behind=numbers.number(pair.only_right[behind]),
        behind_errors=numbers.percent(errors[behind]), ahead_errors=numbers.percent(errors[ahead]),
        fewer=numbers.percent(1 - errors[ahead] / errors[behind], 0) if errors[behind] else "")
    headline = "tie" if pair.tie else "verdict_win" if pair.significant else "verdict_ahead"
    sentences = [words[headline], words["interval"],
                 words["significant" if pair.significant else "not_significant"], words["discordant"]]
    if not pair.tie:
        sentences.append(words["relative"])
    return " ".join(sentence.format(**values) for sentence in sentences)


def seeds_verdict(seeds, words):
    """The paragraph on training randomness: across seeds, or what one seed leaves out."""
    count = len(seeds.seeds)
    if count == 1:
        return words["one_seed"].format(seed=seeds.seeds[0])
    numbers = words["numbers"]
    low, high = interval_bounds(seeds.interval, words)
    values = dict(
        roles(words, ahead=seeds.ahead, behind=seeds.behind, first=seeds.first, second=seeds.second),
        count=numbers.number(count), ahead_on=numbers.number(seeds.ahead_on),
        ahead_mean=numbers.percent(seeds.mean[seeds.ahead]),
        behind_mean=numbers.percent(seeds.mean[seeds.behind]),
        ahead_sd=points(seeds.sd[seeds.ahead], words), behind_sd=points(seeds.sd[seeds.behind], words),
        mean_gap=points(seeds.mean_gap, words, sign=True), low=low, high=high,
        p_value=numbers.significant(seeds.p_value), quantile=numbers.number(seeds.t_quantile, 2),
        normal=numbers.number(normal_quantile(), 2), sign_p=numbers.significant(seeds.sign_p),
        floor=numbers.significant(seeds.sign_floor), needed=numbers.number(seeds_for_a_sign()))
    headline = "seeds_tie" if seeds.tie else "seeds_win" if seeds.significant else "seeds_ahead"
    sentences = [words[headline], words["seeds_interval"],
                 words["seeds_significant" if seeds.significant else "seeds_not_significant"]]
    if count < FEW_SEEDS:
        sentences.append(words["seeds_few"])
    if not seeds.tie:
        sentences.append(words["seeds_count"])
    if seeds.sign_floor >= ALPHA:
        sentences.append(words["seeds_count_floor"])
    sentences.append(words["seeds_covers"])
    return " ".join(sentence.format(**values) for sentence in sentences)


def seeds_table(seeds, words):
    """One row per seed: each model's test accuracy, the gap (second − first), McNemar's p."""
    numbers = words["numbers"]
    rows = seeds.per_seed
    columns = {words["seed"]: [str(row.seed) for row in rows]}
    for name in (seeds.first, seeds.second):
        columns[model_name(name, words)] = [numbers.percent(row.accuracy[name]) for row in rows]
    gap = f"{model_name(seeds.second, words)} − {model_name(seeds.first, words)}"
    columns[gap] = [points(row.gap, words, sign=True) for row in rows]
    columns[words["seed_p_value"]] = [numbers.significant(row.p_value) for row in rows]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def comparison_table(results, words):
    numbers = words["numbers"]

    def best_validation(history):
        best = history["val_accuracy"].idxmax()
        accuracy, epoch = history["val_accuracy"][best], history["epoch"][best]
        return f"{numbers.percent(accuracy)} ({numbers.number(epoch)})"

    def last_epoch_gap(history):
        last = history.iloc[-1]
        return points(last["accuracy"] - last["val_accuracy"], words, sign=True)

    rows = {
        "test_accuracy": lambda r: numbers.percent(r.test["accuracy"]),
        "test_loss": lambda r: numbers.number(r.test["loss"], 4),
        "parameters": lambda r: numbers.number(r.test["parameters"]),
        "inference_flops": lambda r: numbers.number(r.test["inference_flops"]),
        "training_flops": lambda r: numbers.number(r.test["training_flops"]),
        "model_bytes": lambda r: numbers.quantity(r.test["model_bytes"] / 1e6, words["megabytes"], 2),
        "last_val": lambda r: numbers.percent(r.history["val_accuracy"].iloc[-1]),
        "best_val": lambda r: best_validation(r.history),
        "gap": lambda r: last_epoch_gap(r.history),
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
    """Recall, precision and F1 of each model per class, all in percent."""
    numbers = words["numbers"]
    first = next(iter(results.values())).per_class
    columns = {words["class"]: list(class_names), words["images"]: [*map(numbers.number, first["support"])]}
    for name, result in results.items():
        table, label = result.per_class, model_forms(name, words)["label"]
        for metric in ("recall", "precision", "f1"):
            columns[words[f"class_{metric}"].format(model=label)] = [*map(numbers.percent, table[metric])]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def listed(items, words):
    """"1, 2 and 3" in the report's language."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + words["and_list"] + items[-1]


def recall_with_interval(correct, images, interval, words):
    """A recall and its interval, compact enough for a table cell: "98.06 % (97.1–98.7)"."""
    numbers = words["numbers"]
    if interval is None:
        return "—"
    low, high = (numbers.number(100 * bound, 1) for bound in interval)
    return f"{numbers.percent(correct / images)} ({low}–{high})"


def class_tests_table(tests, class_names, words):
    """Per class: each model's recall with its Wilson interval, the images only one model gets
    right, McNemar's p, Holm's adjusted p, and the model significantly better, if one is."""
    numbers = words["numbers"]
    models = (tests.first, tests.second)
    columns = {words["class"]: list(class_names), words["images"]: [*map(numbers.number, tests.images)]}
    for name in models:
        columns[words["class_recall_interval"].format(model=model_forms(name, words)["label"])] = [
            recall_with_interval(*cells, words) for cells in
            zip(tests.correct[name], tests.images, tests.intervals[name], strict=True)]
    for name in models:
        columns[words["class_only_right"].format(model=model_forms(name, words)["label"])] = [
            *map(numbers.number, tests.only_right[name])]
    columns[words["seed_p_value"]] = [*map(numbers.significant, tests.p_values)]
    columns[words["class_holm"]] = [*map(numbers.significant, tests.adjusted)]
    columns[words["class_better"]] = [model_name(tests.better(index), words) if tests.better(index) else "—"
                                      for index in range(len(class_names))]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 2) + ["left"])


def class_tests_summary(tests, class_names, words):
    """Which classes each model is significantly better on, after Holm's correction, and the rest."""
    def classes(indices):
        singular, plural = words["classes_word"]
        names = listed([class_names[i] for i in indices], words)
        return f"{singular if len(indices) == 1 else plural} {names}"

    better = {name: [i for i in range(len(class_names)) if tests.better(i) == name]
              for name in (tests.second, tests.first)}
    rest = [i for i in range(len(class_names)) if tests.better(i) is None]
    found = [(name, indices) for name, indices in better.items() if indices]
    sentences = [words["class_significant" if number == 0 else "class_significant_too"].format(
        **roles(words, model=name), classes=classes(indices)) for number, (name, indices) in enumerate(found)]
    if not sentences:
        return words["class_none_significant"]
    if rest:
        sentences.append(words["class_not_significant"].format(classes=classes(rest)))
    return " ".join(sentences)


def class_tests_section(tests, class_names, words):
    """The per-class tests: their table, what they mean, and which classes are significant."""
    return [f"### {words['class_tests']}", class_tests_table(tests, class_names, words),
            words["class_tests_note"].format(count=words["numbers"].number(len(class_names))),
            class_tests_summary(tests, class_names, words)]


def confused_tables(pair, class_names, words):
    """Per model, its most confused pairs ranked by its own count, with both models' counts."""
    sections = [words["confused_note"].format(count=words["numbers"].number(MOST_CONFUSED_PAIRS))]
    for ranked in (pair.first, pair.second):
        pairs = pair.most_confused[ranked]
        sections.append(f"#### {model_name(ranked, words)}")
        if not pairs:
            sections.append(words["none_confused"])
            continue
        columns = {words["confused_pair"]: [f"{class_names[i]} → {class_names[j]}" for i, j in pairs]}
        for name, matrix in pair.confusion.items():
            columns[model_name(name, words)] = [words["numbers"].number(matrix[i, j]) for i, j in pairs]
        sections.append(markdown_table(columns, align=["left"] + ["right"] * len(pair.confusion)))
    return sections


def figure_section(figures, pair, words):
    errors, disagreements = (
        {"shown": words["numbers"].number(min(len(indices), GRID_SIZE)),
         "total": words["numbers"].number(len(indices))}
        for indices in (pair.errors, pair.disagreements)
    )
    captions = {
        "learning_curves": words["learning_curves"],
        "confusion_matrices": words["confusion_matrices"],
        "errors": words["errors"].format(model=model_forms(pair.ahead, words)["the"], **errors),
        "disagreements": words["disagreements"].format(**disagreements),
    }
    # what the lines and the colours mean
    notes = {"learning_curves": [words["learning_curves_note"]],
             "confusion_matrices": [words["confusion_note"]]}
    return ["\n\n".join([f"### {captions[key]}", f"![{captions[key]}]({link})", *notes.get(key, [])])
            for key, link in figures.items() if key in captions]  # the others are in their own section


def calibration_verdict(calibration, seed, words):
    """The verdict's sentence on calibration, only when the models clearly differ: [] or [sentence]."""
    if not calibration.clearly_different:
        return []
    numbers = words["numbers"]
    low, high = interval_bounds(calibration.interval, words)
    better, worse = calibration.better, calibration.worse
    return [words["calibration_verdict"].format(
        **roles(words, better=better, worse=worse, first=calibration.first, second=calibration.second),
        better_ece=numbers.percent(calibration.models[better].ece),
        worse_ece=numbers.percent(calibration.models[worse].ece), low=low, high=high, seed=seed)]


def calibration_section(calibration, figures, seed, images, words):
    """Both models' ECE, mean confidence, accuracy, Brier score and log-likelihood, the bootstrap
    interval of the ECE gap, and the reliability diagram."""
    numbers = words["numbers"]
    rows = {
        "ece": lambda model: numbers.percent(model.ece),
        "mean_confidence": lambda model: numbers.percent(model.confidence),
        "test_accuracy": lambda model: numbers.percent(model.accuracy),
        "brier": lambda model: numbers.number(model.brier, 4),
        "log_likelihood": lambda model: numbers.number(model.log_loss, 4),
    }
    columns = {model_name(name, words): [cell(model) for cell in rows.values()]
               for name, model in calibration.models.items()}
    headers = [words[row].format(bins=numbers.number(BINS)) for row in rows]
    low, high = interval_bounds(calibration.interval, words)
    gap = words["calibration_gap"].format(
        **roles(words, first=calibration.first, second=calibration.second),
        gap=points(calibration.gap, words, sign=True), low=low, high=high,
        samples=numbers.number(calibration.samples), seed=calibration.seed,
        interval_reading=words["excludes_zero" if calibration.clearly_different else "includes_zero"])
    notes = " ".join(note.format(bins=numbers.number(BINS), last=numbers.number(BINS - 1))
                     for note in words["calibration_notes"])
    caption = words["reliability"]
    return [f"## {words['calibration']}",
            words["calibration_intro"].format(seed=seed, images=numbers.number(images)),
            markdown_table(columns, index=(words["criterion"], headers)), gap, notes,
            f"### {caption}", f"![{caption}]({figures['reliability']})", words["reliability_note"]]


SIGNED_LEVELS = ("thickness",)  # severities with a direction: +1 px thicker, −1 px thinner


def robustness_level(transform, level, words):
    """A severity with its unit, this language's way: "3 px", "15°", "σ = 0.3", "+1 px"."""
    numbers = words["numbers"]
    value = numbers.number(level, sign=True) if transform in SIGNED_LEVELS else numbers.significant(level)
    return words["transforms"][transform]["level"].format(level=value)


def strongest(levels):
    """The severity farthest from 0 (the first of a tie)."""
    return max(levels, key=abs)


def and_list(items, words):
    """"a, b and c" in the report's language."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + words["robustness_and"] + items[-1]


def robustness_summary(robustness, words):
    """One sentence: at each transform's middle severity, which model loses less accuracy, and how much."""
    first, second = robustness.models
    groups = {}  # {the model that loses less, None for as much: clauses}, in the transforms' order
    for transform in robustness.transforms:
        lost = {name: robustness.lost(transform, name) for name in (first, second)}  # in images: exact
        less, more = (first, second) if lost[first] <= lost[second] else (second, first)
        groups.setdefault(None if lost[first] == lost[second] else less, []).append(
            words["robustness_clause"].format(
                transform=words["transforms"][transform]["the"],
                level=robustness_level(transform, robustness.middle(transform), words),
                less_change=points(robustness.change(transform, less), words, sign=True),
                more_change=points(robustness.change(transform, more), words, sign=True)))
    parts = []
    for less, clauses in groups.items():
        if less is None:
            parts.append(words["robustness_tie"].format(transforms=and_list(clauses, words)))
        else:
            other = second if less == first else first
            parts.append(words["robustness_less"].format(transforms=and_list(clauses, words),
                                                         less=model_forms(less, words)["the"],
                                                         more=model_forms(other, words)["the"]))
    return words["robustness_sentence"].format(parts=words["robustness_separator"].join(parts))


def robustness_table(robustness, words):
    """The unchanged images, then each transform's middle and strongest severity: each model's
    accuracy with its interval, and the gap (second − first)."""
    numbers = words["numbers"]
    first, second = robustness.models
    # (transform, severity, where to read it): severity 0 is the same images under every transform
    rows = [(words["robustness_unchanged"], "0", robustness.transforms[0], 0)]
    for transform in robustness.transforms:
        for level in dict.fromkeys([robustness.middle(transform), strongest(robustness.levels(transform))]):
            rows.append((words["transforms"][transform]["name"], robustness_level(transform, level, words),
                         transform, level))
    scores = {name: [robustness.row(transform, level, name) for _, _, transform, level in rows]
              for name in (first, second)}
    columns = {words["robustness_transform"]: [row[0] for row in rows],
               words["robustness_severity"]: [row[1] for row in rows]}
    for name, cells in scores.items():
        columns[model_name(name, words)] = [
            f"{numbers.percent(accuracy)} ({numbers.number(100 * low, 1)}–{numbers.number(100 * high, 1)})"
            for accuracy, low, high in cells]
    columns[f"{model_name(second, words)} − {model_name(first, words)}"] = [
        points(other[0] - one[0], words, sign=True) for one, other in zip(scores[first], scores[second],
                                                                           strict=True)]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def robustness_section(robustness, link, first_seed, words):
    """The robustness section: what was scored, the one-sentence reading, the figure, the table."""
    intro = words["robustness_intro"].format(seed=first_seed, draw_seed=robustness.seed,
                                             images=words["numbers"].number(robustness.images))
    return [f"## {words['robustness']}", intro + " " + robustness_summary(robustness, words),
            f"![{words['robustness_figure']}]({link})", robustness_table(robustness, words),
            words["robustness_note"]]


def permuted_clause(control, name, words):
    """One model's change on permuted pixels, this language's way: loses, gains, too little to tell
    from no change, or none."""
    numbers = words["numbers"]
    gap = control.gap(name)
    low, high = interval_bounds(control.gap_interval[name], words)
    key = ("permuted_same" if gap == 0 else "permuted_stays" if not control.changed(name) else
           "permuted_loses" if gap < 0 else "permuted_gains")
    return words[key].format(**roles(words, model=name), amount=points(abs(gap), words),
                             gap=points(gap, words, sign=True), low=low, high=high,
                             p_value=numbers.significant(control.p_value[name]))


def permuted_lead(control, pair, changed, words):
    """When the model that relies more on pixel order was significantly ahead on them: whether it
    still is without it, or the other one is (the permuted head-to-head, by both tests), else ""."""
    if not pair.significant or pair.ahead != changed or control.gap(changed) >= 0:
        return ""
    gap, interval, _ = control.pair["permuted"]
    low, high = interval_bounds(interval, words)
    ahead = control.second if gap > 0 else control.first
    key = ("permuted_lead_gone" if not control.pair_significant("permuted") else
           "permuted_lead_kept" if ahead == changed else "permuted_lead_reversed")
    other = control.first if changed == control.second else control.second
    return words[key].format(
        **roles(words, other=other, first=control.first, second=control.second),
        gap=points(gap, words, sign=True), low=low, high=high)


def permuted_summary(control, pair, words):
    """One sentence from the numbers: each model's change on permuted pixels, then what the
    difference between the two changes shows (its interval over the test images): which model
    relies more on the order of the pixels, if either; and, when that model was ahead, whether
    its lead survives without it. A fully connected network cannot use pixel order, so each
    model's change alone says nothing of that order: only the difference does."""
    first, second = control.first, control.second
    clauses = words["permuted_and"].join(permuted_clause(control, name, words) for name in (first, second))
    difference = control.difference()
    low, high = interval_bounds(control.difference_interval, words)
    if not control.differs():
        conclusion = words["permuted_alike"].format(**roles(words, first=first, second=second),
                                                    gap=points(difference, words, sign=True), low=low,
                                                    high=high)
    else:
        more, other = (second, first) if difference < 0 else (first, second)
        conclusion = words["permuted_more"].format(**roles(words, model=more, other=other, first=first,
                                                           second=second),
                                                   amount=points(abs(difference), words), low=low, high=high)
        conclusion += permuted_lead(control, pair, more, words)
    return words["permuted_sentence"].format(clauses=clauses, conclusion=conclusion)


def permuted_table(control, words):
    """Both models on original and permuted pixels (accuracy and Wilson interval), each model's change
    with its paired interval and McNemar's p, and the gap second − first on each."""
    numbers = words["numbers"]
    first, second = control.first, control.second

    def accuracy(pixels, name):
        low, high = (numbers.number(100 * bound, 1) for bound in control.intervals[pixels][name])
        return f"{numbers.percent(control.accuracy(pixels, name))} ({low}–{high})"

    def with_interval(gap, interval):  # compact, as the robustness table: the unit once, after the gap
        low, high = (numbers.number(100 * bound, 2, sign=True) for bound in interval)
        return f"{points(gap, words, sign=True)} ({low}{words['permuted_to']}{high})"

    rows = [words["permuted_original"], words["permuted_permuted"].format(
        permutation_seed=control.permutation_seed), words["permuted_change"], words["permuted_p_value"]]
    columns = {words["permuted_pixels"]: rows}
    for name in (first, second):
        columns[model_name(name, words)] = [
            accuracy("original", name), accuracy("permuted", name),
            with_interval(control.gap(name), control.gap_interval[name]),
            numbers.significant(control.p_value[name])]
    columns[f"{model_name(second, words)} − {model_name(first, words)}"] = [
        *(with_interval(gap, interval) for gap, interval, _ in (control.pair["original"],
                                                                control.pair["permuted"])),
        with_interval(control.difference(), control.difference_interval), "—"]
    return markdown_table(columns, align=["left"] + ["right"] * (len(columns) - 1))


def permuted_section(control, pair, first_seed, words):
    """The spatial-structure control: what was trained, the one-sentence reading, the table, the note."""
    numbers = words["numbers"]
    intro = words["permuted_intro"].format(seed=first_seed, permutation_seed=control.permutation_seed,
                                           images=numbers.number(control.images))
    note = words["permuted_note"].format(samples=numbers.number(control.samples), bootstrap_seed=control.seed,
                                         seed=first_seed)
    return [f"## {words['permuted']}", intro + " " + permuted_summary(control, pair, words),
            permuted_table(control, words), note]


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


def build_report(comparison, figures, reproducibility, words, metrics_dir):
    """The whole report: verdicts, seeds, comparison, histories, figures, per class, calibration,
    robustness and the permuted-pixels control (when the comparison has them), reproducibility.

    `comparison`: a Comparison (evaluation/comparison.py); `figures`: {figure: link}.
    """
    pair, seeds, results = comparison.pair, comparison.seeds, comparison.results
    first_seed = seeds.seeds[0]
    sections = [f"# {words['title'].format(dataset=reproducibility['dataset_name'])}"]
    calibrated = calibration_verdict(comparison.calibration, first_seed, words)
    if len(seeds.seeds) == 1:
        sections += [verdict(pair, words) + " " + seeds_verdict(seeds, words), *calibrated]
    else:
        sections += [seeds_verdict(seeds, words),
                     words["first_seed"].format(seed=first_seed) + " " + verdict(pair, words), *calibrated,
                     f"## {words['seeds']}", seeds_table(seeds, words)]
    sections += [f"## {words['comparison']}", words["single_run"].format(seed=first_seed),
                 comparison_table(results, words), " ".join(words["comparison_notes"])]
    for name, result in results.items():
        sections += [f"## {words['history'].format(model=model_name(name, words))}",
                     history_table(result.history, words)]
    sections += [f"## {words['figures']}", *figure_section(figures, pair, words)]
    sections += [f"## {words['per_class']}", per_class_table(results, comparison.class_names, words),
                 *class_tests_section(comparison.classes, comparison.class_names, words),
                 f"### {words['confused']}", *confused_tables(pair, comparison.class_names, words)]
    sections += calibration_section(comparison.calibration, figures, first_seed, pair.images, words)
    if comparison.robustness is not None:
        sections += robustness_section(comparison.robustness, figures["robustness"], first_seed, words)
    if comparison.permuted is not None:
        sections += permuted_section(comparison.permuted, pair, first_seed, words)
    sections += reproducibility_section(reproducibility, words)
    sections.append(f"<sub>{words['footer'].format(metrics=metrics_dir)}</sub>")
    return "\n\n".join(sections) + "\n"
