"""The report's words and number format, one table per language (params.yaml compare.language).

dense_vs_cnn/report/render.py holds the one template; every table has exactly the same keys
and placeholders (tests/report/test_strings.py checks it), so a language is added by adding a
table. Numbers reach the placeholders already formatted by the table's `numbers`.

Models are named three ways (`models`): `name` in table headers, figures and formulas
("CNN − Dense"); `the` in sentences, with its article in French (« le réseau dense »; a
placeholder starting with a capital, `{Ahead}`, begins a sentence); `label` inside a
column header (« Rappel (dense) »). French templates never put « de » or « à » before a
model in a sentence, which would need « du » or « au ».
"""

from dense_vs_cnn.report.numbers import ENGLISH, FRENCH

# French puts a no-break space before ":" and "%" and a narrow one before ";", "?" and "!",
# so that a line never starts with one of them, nor breaks inside "p = 0,71" or "p < 0,05".
# The French table is written with plain spaces, easier to read and edit, and given its
# no-break spaces once, here.
FRENCH_SPACES = {" = ": "\u00a0=\u00a0", " < ": "\u00a0<\u00a0", " :": "\u00a0:", " %": "\u00a0%",
                 " ;": "\u202f;", " ?": "\u202f?", " !": "\u202f!"}


def with_french_spaces(value):
    if isinstance(value, dict):
        return {key: with_french_spaces(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(map(with_french_spaces, value))
    if isinstance(value, str):
        for plain, no_break in FRENCH_SPACES.items():
            value = value.replace(plain, no_break)
    return value


STRINGS = {
    "en": {
        "numbers": ENGLISH,
        "title": "{dataset}: dense network vs convolutional network",
        "models": {"dense": {"name": "Dense", "the": "Dense", "label": "Dense"},
                   "cnn": {"name": "CNN", "the": "CNN", "label": "CNN"}},
        # The headline: a winner only when the test named after it supports it.
        "verdict_win": "**{Ahead} wins**: {ahead_accuracy} test accuracy against {behind_accuracy} for "
                       "{behind}.",
        "verdict_ahead": "{Ahead} is ahead, not significantly: {ahead_accuracy} test accuracy against "
                         "{behind_accuracy} for {behind}.",
        "tie": "**Tie**: both models reach {ahead_accuracy} test accuracy.",
        "interval": "The gap {second_name} − {first_name} is {gap}, with a 95 % confidence interval of "
                    "{low} to {high} (paired bootstrap: {samples} resamples of the {images} test images, "
                    "seed {seed}).",
        "significant": "The gap is **statistically significant**: McNemar's exact test on the paired "
                       "predictions gives p = {p_value} (below 0.05) and the interval excludes 0;",
        "not_significant": "The gap is **not statistically significant**: McNemar's exact test on the "
                           "paired predictions gives p = {p_value} ({p_reading}){joined} the interval "
                           "{interval_reading};",
        "p_below": "below 0.05",
        "p_above": "0.05 or more",
        "excludes_zero": "excludes 0",
        "includes_zero": "includes 0",
        # between the two readings: "and" when both fail, "but" when one test passes
        "and": " and",
        "but": ", but",
        "discordant": "{only_ahead} by {ahead} only, {only_behind} by {behind} only.",
        "relative": "The error rate falls from {behind_errors} for {behind} to {ahead_errors} for {ahead}, "
                    "{fewer} fewer errors.",
        "one_seed": "This verdict covers the sampling of the test images only, not the randomness of "
                    "training: each model was trained once, with seed {seed}. `dvc exp run -S "
                    "'seeds=[0,1,2,3,4]'` measures it too, by training each model with five seeds.",
        "seeds_win": "**{Ahead} wins across {count} seeds**: a mean test accuracy of {ahead_mean} "
                     "(standard deviation {ahead_sd}) against {behind_mean} ({behind_sd}) for {behind}.",
        "seeds_ahead": "{Ahead} is ahead across {count} seeds, not significantly: a mean test accuracy of "
                       "{ahead_mean} (standard deviation {ahead_sd}) against {behind_mean} ({behind_sd}) "
                       "for {behind}.",
        "seeds_tie": "**Tie across {count} seeds**: both models reach a mean test accuracy of {ahead_mean} "
                     "(standard deviation {ahead_sd} for {ahead}, {behind_sd} for {behind}).",
        "seeds_interval": "The mean gap {second_name} − {first_name} is {mean_gap}, with a 95 % confidence "
                          "interval of {low} to {high} (Student's t interval over the {count} seeds).",
        "seeds_significant": "The gap is **statistically significant**: a one-sample t-test of the "
                             "per-seed gaps gives p = {p_value} (below 0.05).",
        "seeds_not_significant": "The gap is **not statistically significant**: a one-sample t-test of the "
                                 "per-seed gaps gives p = {p_value} (0.05 or more).",
        "seeds_few": "With {count} seeds this interval is wide by construction: Student's t quantile is "
                     "{quantile}, against {normal} with many seeds.",
        "seeds_count": "{Ahead} is ahead on {ahead_on} of the {count} seeds (sign test: p = {sign_p}).",
        "seeds_count_floor": "Below {needed} seeds such a count cannot reach p < 0.05: even {count} of "
                             "{count} gives p = {floor}.",
        "seeds_covers": "This interval covers the randomness of training (weight initialisation and "
                        "shuffling), conditional on the fixed test set: it leaves out the sampling of the "
                        "test images (which the bootstrap of a single seed covers) and of the fixed "
                        "validation split.",
        "first_seed": "The results that follow are those of seed {seed}'s models alone: their interval "
                      "covers the sampling of the test images, not the randomness of training.",
        "single_run": "The comparison, histories, figures and per-class tables below are those of seed "
                      "{seed}'s models.",
        "seeds": "Seeds",
        "seed": "Seed",
        "seed_p_value": "McNemar p",
        # what follows the count in "discordant", singular and plural: the verb agrees with it
        "only_one_right": ("test images are classified correctly", "test images are classified correctly"),
        "points": ("point", "points"),
        "megabytes": "MB",
        "comparison": "Comparison",
        "criterion": "Criterion",
        "test_accuracy": "Test accuracy",
        "test_loss": "Test loss",
        "parameters": "Parameters",
        "inference_flops": "Floating-point operations per image, inference (forward pass)",
        "training_flops": "Floating-point operations per image, one training step (forward + backward)",
        "model_bytes": "Model size on disk",
        "last_val": "Validation accuracy, last epoch (the model scored)",
        "best_val": "Best validation accuracy (epoch)",
        "gap": "Training accuracy (mean over the last epoch) − validation accuracy",
        "comparison_notes": [
            "The models scored on the test set are those of the last epoch; the best validation epoch "
            "is given for reference only.",
            "Training accuracy is Keras' running average over the epoch's batches, taken while the "
            "weights still change, whereas validation accuracy is measured once, at the end of the "
            "epoch: their gap understates overfitting.",
            "Floating-point operations: a multiply-add counts as 2 operations; Dense and Conv2D layers "
            "counted from their shapes, pooling and activations left out; a training step is about "
            "3 × the forward pass (the backward pass computes gradients for activations and weights). "
            "MB: a million bytes, of the `.keras` file.",
        ],
        "history": "Per-epoch history: {model}",
        "columns": ["Epoch", "Train accuracy (mean over the epoch)", "Train loss", "Validation accuracy",
                    "Validation loss"],
        "figures": "Figures",
        "learning_curves": "Learning curves",
        "learning_curves_note": "Training accuracy (solid) is Keras' running average over each epoch's "
                                "batches, taken while the weights improve; validation accuracy (dashed) is "
                                "measured with the weights at the end of the epoch. That is why, at epoch 1, "
                                "training sits below validation.",
        "confusion_matrices": "Confusion matrices (rows: actual class, columns: predicted class)",
        "confusion_note": "Colour: the number of errors, off the diagonal, on a linear scale shared by "
                          "both models (colour bar); the diagonal, in grey, gives the number of images "
                          "classified correctly.",
        "errors": "Test images {model} gets wrong: the first {shown} of {total} (actual → predicted)",
        "disagreements": "Test images the models disagree on, including those both get wrong: the "
                         "first {shown} of {total} (actual class, then each model's prediction: ✓ right, "
                         "✗ wrong)",
        "per_class": "Per class",
        "class": "Class",
        "images": "Test images",
        "class_recall": "{model} recall",
        "class_precision": "{model} precision",
        "class_f1": "{model} F1",
        "confused": "Most confused pairs, each model ranked by its own count",
        "confused_note": "Each table ranks one model's errors (actual → predicted) by that model's own "
                         "count: its {count} most frequent, and every pair tied with the last of them. The "
                         "other model's count is beside it.",
        "confused_pair": "Actual → predicted",
        "none_confused": "No test image is misclassified.",
        # Calibration (the first seed's models) and the per-class tests.
        "calibration_verdict": "{Better} is better calibrated: an expected calibration error of "
                               "{better_ece} against {worse_ece} for {worse}, and the 95 % confidence "
                               "interval of the gap {second_name} − {first_name}, {low} to {high}, excludes "
                               "0 (seed {seed}'s models; see Calibration).",
        "calibration": "Calibration",
        "calibration_intro": "Is the more accurate model also the one to trust? A model is calibrated when "
                             "its confidence, the probability it gives the class it predicts, matches how "
                             "often it is right: of the images it classifies with 90 % confidence, 90 % are "
                             "right. Seed {seed}'s models, on the {images} test images:",
        "ece": "Expected calibration error ({bins} equal-width confidence bins)",
        "mean_confidence": "Mean confidence (the highest probability)",
        "brier": "Brier score (sum over the classes, mean over the images)",
        "log_likelihood": "Negative log-likelihood (the test loss)",
        "calibration_gap": "The gap in expected calibration error {second_name} − {first_name} is {gap}, "
                           "with a 95 % confidence interval of {low} to {high} (paired bootstrap: {samples} "
                           "resamples of the test images, seed {seed}), which {interval_reading}.",
        "calibration_notes": [
            "Expected calibration error: the test images are grouped by confidence into {bins} bins of "
            "equal width, [0, 1/{bins}) to [{last}/{bins}, 1]; in each bin, the gap between the share of "
            "images classified correctly and their mean confidence, weighted by the bin's share of the "
            "images, summed over the bins (Guo et al. 2017): 0 % for a model exactly as sure as it is right.",
            "A mean confidence above the accuracy means an overconfident model.",
            "Brier score: the squared distance between the probabilities and the true class (1 for it, 0 for "
            "the others), summed over the classes and averaged over the images: from 0 (certain and right) "
            "to 2 (certain and wrong).",
            "Negative log-likelihood: the mean of −log(probability of the true class), the cross-entropy "
            "the models were trained on (before any label smoothing), recomputed from the saved "
            "probabilities: it is the test loss of the comparison table.",
            "The verdict reports a difference in calibration only when the interval of the gap excludes 0.",
        ],
        "reliability": "Reliability diagram (accuracy against confidence, per confidence bin)",
        "reliability_note": "Above: for each confidence bin holding test images, the share of them "
                            "classified correctly against their mean confidence; a calibrated model lies on "
                            "the dashed diagonal, an overconfident one below it. Below: the number of test "
                            "images in each bin, on a log scale (most are in the last one): the points of "
                            "bins with few images are noisy.",
        "class_tests": "Recall per class with its 95 % interval, and McNemar's test per class",
        "class_recall_interval": "{model} recall (95 % CI)",
        "class_only_right": "Right by {model} only",
        "class_holm": "Holm p",
        "class_better": "Significantly better",
        "class_tests_note": "Recall: the share of the class's test images classified correctly, with its 95 "
                            "% Wilson confidence interval (CI). McNemar's exact test compares the two "
                            "models on the class's images that only one of them classifies correctly; "
                            "Holm's correction adjusts its p-values (Holm p) for the {count} classes "
                            "tested, so that the chance of calling any class significant by luck stays "
                            "below 5 %. Significantly better: the model ahead on a class whose Holm p is "
                            "below 0.05.",
        "class_significant": "With Holm's correction, {model} is significantly better on {classes}.",
        "class_significant_too": "{Model} is significantly better on {classes}.",
        "class_not_significant": "The difference is not significant on {classes}.",
        "class_none_significant": "With Holm's correction, the difference is significant on no class.",
        "classes_word": ("class", "classes"),
        "and_list": " and ",
        "robustness": "Robustness: transformed test images",
        "robustness_intro": "Seed {seed}'s models on transformed copies of {images} test images drawn at "
                            "random (seed {draw_seed}), the same images at every severity: moved by whole "
                            "pixels (each image up, down, left or right), rotated about the centre (each "
                            "clockwise or anticlockwise), with Gaussian noise added to every pixel, or with "
                            "strokes made thinner (erosion, < 0) or thicker (dilation, > 0). Severity 0 is "
                            "the images unchanged. Shaded in the figure, in brackets in the table: the 95 % "
                            "Wilson interval of each accuracy.",
        # One sentence, computed: per transform, the model that loses less at the middle severity.
        "robustness_sentence": "At each transform's middle severity, {parts}.",
        "robustness_less": "{less} loses less accuracy than {more} under {transforms}",
        "robustness_tie": "both models lose as much under {transforms}",
        "robustness_clause": "{transform} ({level}: {less_change} against {more_change})",
        "robustness_and": " and ",
        "robustness_separator": "; ",
        "robustness_figure": "Accuracy against severity, one panel per transform",
        "robustness_transform": "Transform",
        "robustness_severity": "Severity",
        "robustness_unchanged": "None (images unchanged)",
        "robustness_note": "The table gives each transform's middle and strongest severity; the figure, "
                           "every one.",
        "transforms": {
            "translation": {"name": "Translation", "the": "translation", "axis": "Shift (pixels)",
                            "level": "{level} px"},
            "rotation": {"name": "Rotation", "the": "rotation", "axis": "Rotation (degrees)",
                         "level": "{level}°"},
            "noise": {"name": "Gaussian noise", "the": "Gaussian noise",
                      "axis": "Standard deviation of the noise", "level": "σ = {level}"},
            "thickness": {"name": "Stroke thickness", "the": "stroke thickness",
                          "axis": "Stroke change (pixels; < 0: thinner)", "level": "{level} px"},
        },
        # The spatial-structure control (analysis.permuted_pixels), only when it ran.
        "permuted": "Spatial structure: permuted pixels",
        "permuted_intro": "Seed {seed}'s two architectures were trained again, with the same recipe and "
                          "seed, on images whose pixels were all moved by one fixed random permutation (seed "
                          "{permutation_seed}, saved in `data/permuted/permutation.npy`), the same for the "
                          "training, validation and test images, then scored on the {images} permuted test "
                          "images. A fully connected network gives no meaning to the order of its inputs; "
                          "a convolution's windows see neighbouring pixels, which the permutation scatters.",
        # One sentence, computed: each model's change, then what the difference of the two shows.
        "permuted_sentence": "On permuted pixels, {clauses}: {conclusion}.",
        "permuted_loses": "{model} loses {amount} (95 % CI of the change: {low} to {high}; McNemar p = "
                          "{p_value})",
        "permuted_gains": "{model} gains {amount} (95 % CI of the change: {low} to {high}; McNemar p = "
                          "{p_value})",
        "permuted_stays": "{model} changes by {gap}, too little for the test images to tell from no change "
                          "(95 % CI: {low} to {high}; McNemar p = {p_value})",
        "permuted_same": "{model} classifies exactly as many test images correctly (McNemar p = {p_value})",
        "permuted_and": ", and ",
        "permuted_more": "{model}'s change is {amount} below {other}'s (95 % CI of the difference "
                         "{second_name} − {first_name}: {low} to {high}), so {model} relies on the order of "
                         "the pixels more than {other}",
        "permuted_alike": "the two changes differ by {gap} ({second_name} − {first_name}, 95 % CI {low} to "
                          "{high}), too little for the test images to tell which model relies more on the "
                          "order of the pixels",
        "permuted_lead_gone": "; without it, its lead over {other} is no longer significant ({second_name} − "
                              "{first_name}: {gap}, 95 % CI {low} to {high})",
        "permuted_lead_kept": "; without it, it keeps a significant lead over {other} ({second_name} − "
                              "{first_name}: {gap}, 95 % CI {low} to {high})",
        "permuted_to": " to ",
        "permuted_lead_reversed": "; without it, {other} is significantly ahead ({second_name} − "
                                  "{first_name}: {gap}, 95 % CI {low} to {high})",
        "permuted_pixels": "Pixels",
        "permuted_original": "Original order",
        "permuted_permuted": "Permuted (seed {permutation_seed})",
        "permuted_change": "Permuted − original",
        "permuted_p_value": "McNemar p, permuted against original",
        "permuted_note": "In brackets: the 95 % Wilson interval of each accuracy; for each gap, its 95 % "
                         "paired-bootstrap interval ({samples} resamples of the test images, seed "
                         "{bootstrap_seed}), and of the difference between the two models' changes (the "
                         "change row's last cell). A fully connected network cannot use the order of the "
                         "pixels: its own change measures the randomness of training alone, so only that "
                         "difference tells how much more the other model relies on the order. McNemar's "
                         "exact test "
                         "compares a model with its permuted twin "
                         "on the same test images. Both cover the sampling of the test images, not the "
                         "randomness of training: each permuted model is one training, as seed {seed}'s "
                         "models are.",
        "reproducibility": "Reproducibility",
        "data": "Data: `{dataset}`, whose files `download` verified against these md5 digests "
                "(of the decompressed content):",
        "file": "File",
        "code": "Code: md5 `{digest}` of the pipeline's code ({paths}: every `.py` file, each a DVC "
                "dependency of `compare`), rather than a git commit, which changes with every commit "
                "and would make this report always out of date.",
        "versions": "Versions: {versions}. With them, the same params and data give the same bytes on "
                    "the same kind of machine; on a CPU with another instruction set (AVX2 rather than "
                    "AVX-512, say), TensorFlow's kernels round differently, and training again gives "
                    "slightly different numbers.",
        "params": "Params (from `params.yaml`):",
        "labels": {"accuracy": "Accuracy (%)", "loss": "Loss", "epoch": "Epoch", "train": "train",
                   "validation": "validation", "actual": "Actual", "predicted": "Predicted",
                   "errors": "Errors (images)", "confidence": "Confidence: the highest probability (%)",
                   "bin_accuracy": "Accuracy in the bin (%)", "bin_images": "Test images in the bin",
                   "calibrated": "perfectly calibrated"},
        "footer": "Generated by the `compare` stage of `dvc repro` from `{metrics}/`; do not edit by hand.",
    },
    # Accuracy is « exactitude », precision « précision » and recall « rappel » everywhere:
    # « précision » alone for accuracy (the notebook's wording) would name two metrics.
    "fr": with_french_spaces({
        "numbers": FRENCH,
        "title": "{dataset} : réseau dense contre réseau convolutif",
        "models": {"dense": {"name": "Dense", "the": "le réseau dense", "label": "dense"},
                   "cnn": {"name": "CNN", "the": "le CNN", "label": "CNN"}},
        "verdict_win": "**{Ahead} l'emporte** : une exactitude de {ahead_accuracy} sur les images de test, "
                       "contre {behind_accuracy} pour {behind}.",
        "verdict_ahead": "{Ahead} est en tête, sans écart significatif : une exactitude de {ahead_accuracy} "
                         "sur les images de test, contre {behind_accuracy} pour {behind}.",
        "tie": "**Égalité** : les deux modèles atteignent une exactitude de {ahead_accuracy} sur les images "
               "de test.",
        "interval": "L'écart {second_name} − {first_name} est de {gap}, avec un intervalle de confiance à "
                    "95 % allant de {low} à {high} (bootstrap apparié : {samples} rééchantillonnages des "
                    "{images} images de test, tirés avec la graine {seed}).",
        "significant": "L'écart est **statistiquement significatif** : le test exact de McNemar sur les "
                       "prédictions appariées donne p = {p_value} (inférieur à 0,05) et l'intervalle "
                       "exclut 0 ;",
        "not_significant": "L'écart **n'est pas statistiquement significatif** : le test exact de McNemar "
                           "sur les prédictions appariées donne p = {p_value} ({p_reading}){joined} "
                           "l'intervalle {interval_reading} ;",
        "p_below": "inférieur à 0,05",
        "p_above": "supérieur ou égal à 0,05",
        "excludes_zero": "exclut 0",
        "includes_zero": "contient 0",
        "and": " et",
        "but": ", mais",
        "discordant": "{only_ahead} que par {ahead}, {only_behind} que par {behind}.",
        "relative": "Le taux d'erreur passe de {behind_errors} pour {behind} à {ahead_errors} pour {ahead}, "
                    "soit {fewer} d'erreurs en moins.",
        "one_seed": "Ce verdict ne tient compte que de l'échantillonnage des images de test, et "
                    "non de l'aléa de l'entraînement : chaque modèle n'a été entraîné qu'une "
                    "fois, avec la graine aléatoire {seed}. Pour mesurer aussi cet aléa, `dvc "
                    "exp run -S 'seeds=[0,1,2,3,4]'` entraîne chaque modèle avec cinq graines.",
        "seeds_win": "**Sur {count} graines aléatoires, {ahead} l'emporte** : une exactitude moyenne de "
                     "{ahead_mean} sur les images de test (écart-type de {ahead_sd}), contre {behind_mean} "
                     "({behind_sd}) pour {behind}.",
        "seeds_ahead": "Sur {count} graines aléatoires, {ahead} est en tête, sans écart significatif : une "
                       "exactitude moyenne de {ahead_mean} sur les images de test (écart-type de "
                       "{ahead_sd}), contre {behind_mean} ({behind_sd}) pour {behind}.",
        "seeds_tie": "**Égalité sur {count} graines aléatoires** : les deux modèles atteignent une "
                     "exactitude moyenne de {ahead_mean} sur les images de test (écart-type de {ahead_sd} "
                     "pour {ahead}, {behind_sd} pour {behind}).",
        "seeds_interval": "L'écart moyen {second_name} − {first_name} est de {mean_gap}, avec un intervalle "
                          "de confiance à 95 % allant de {low} à {high} (calculé avec la loi de Student "
                          "sur les {count} graines).",
        "seeds_significant": "L'écart est **statistiquement significatif** : un test t à un échantillon "
                             "sur les écarts par graine donne p = {p_value} (inférieur à 0,05).",
        "seeds_not_significant": "L'écart **n'est pas statistiquement significatif** : un test t à un "
                                 "échantillon sur les écarts par graine donne p = {p_value} (supérieur ou "
                                 "égal à 0,05).",
        "seeds_few": "Avec {count} graines, cet intervalle est large par construction : le quantile de la "
                     "loi de Student vaut {quantile}, contre {normal} avec de nombreuses graines.",
        "seeds_count": "{Ahead} arrive en tête sur {ahead_on} des {count} graines (test des signes : "
                       "p = {sign_p}).",
        "seeds_count_floor": "En dessous de {needed} graines, un tel décompte ne peut atteindre p < 0,05 : "
                             "même {count} sur {count} donne p = {floor}.",
        "seeds_covers": "Cet intervalle prend en compte l'aléa de l'entraînement (initialisation des "
                        "poids, ordre de présentation des exemples), à jeu de test fixé : il laisse de "
                        "côté l'échantillonnage des images de test (que couvre le bootstrap d'une seule "
                        "graine) et celui du jeu de validation, fixe lui aussi.",
        "first_seed": "Les résultats qui suivent ne portent que sur les modèles de la graine {seed} : "
                      "leur intervalle couvre l'échantillonnage des images de test, et non l'aléa de "
                      "l'entraînement.",
        "single_run": "La comparaison, les historiques d'entraînement, les figures et les tableaux "
                      "par classe ci-dessous portent sur les modèles de la graine {seed}.",
        "seeds": "Résultats par graine",
        "seed": "Graine",
        "seed_p_value": "p de McNemar",
        "only_one_right": ("image de test n'est bien classée", "images de test ne sont bien classées"),
        "points": ("point", "points"),
        "megabytes": "Mo",
        "comparison": "Comparaison",
        "criterion": "Critère",
        "test_accuracy": "Exactitude sur le jeu de test",
        "test_loss": "Perte sur le jeu de test",
        "parameters": "Nombre de paramètres",
        "inference_flops": "Opérations en virgule flottante par image, inférence (propagation avant)",
        "training_flops": "Opérations en virgule flottante par image, une étape d'entraînement "
                          "(propagation avant et arrière)",
        "model_bytes": "Taille du modèle sur disque",
        "last_val": "Exactitude en validation, dernière époque (le modèle évalué)",
        "best_val": "Meilleure exactitude en validation (époque)",
        "gap": "Exactitude d'entraînement (moyenne sur la dernière époque) − exactitude en validation",
        "comparison_notes": [
            "Les modèles évalués sur le jeu de test sont ceux de la dernière époque ; la meilleure "
            "époque en validation n'est donnée qu'à titre indicatif.",
            "L'exactitude d'entraînement est la moyenne que Keras calcule au fil des lots de l'époque, "
            "pendant que les poids changent encore, alors que l'exactitude en validation est mesurée "
            "une fois, à la fin de l'époque : leur écart sous-estime le surapprentissage.",
            "Opérations en virgule flottante : une multiplication-addition compte pour 2 opérations ; "
            "les couches Dense et Conv2D sont comptées d'après leurs dimensions, le pooling et les "
            "activations sont laissés de côté ; une étape d'entraînement coûte environ 3 fois la "
            "propagation avant (la rétropropagation calcule les gradients des activations et des "
            "poids). Mo : un million d'octets, du fichier `.keras`.",
        ],
        "history": "Historique par époque : {model}",
        "columns": ["Époque", "Exactitude (entraînement, moyenne sur l'époque)", "Perte (entraînement)",
                    "Exactitude (validation)", "Perte (validation)"],
        "figures": "Figures",
        "learning_curves": "Courbes d'apprentissage",
        "learning_curves_note": "L'exactitude d'entraînement (trait plein) est la moyenne que Keras calcule "
                                "au fil des lots de chaque époque, pendant que les poids s'améliorent ; "
                                "l'exactitude en validation (tirets) est mesurée avec les poids de la fin "
                                "de l'époque. C'est pourquoi, à la première époque, l'entraînement se situe "
                                "sous la validation.",
        "confusion_matrices": "Matrices de confusion (classes réelles en lignes, classes prédites en "
                              "colonnes)",
        "confusion_note": "Hors de la diagonale, la couleur indique le nombre d'erreurs, sur une "
                          "échelle linéaire commune aux deux modèles (voir la barre de couleurs) ; sur "
                          "la diagonale, en gris, figure le nombre d'images bien classées.",
        "errors": "Images de test que {model} classe mal : les {shown} premières sur {total} "
                  "(classe réelle → classe prédite)",
        "disagreements": "Images de test sur lesquelles les deux modèles divergent, y compris quand "
                         "tous deux se trompent : les {shown} premières sur {total} (classe réelle, "
                         "puis la prédiction de chaque modèle : ✓ juste, ✗ fausse)",
        "per_class": "Résultats par classe",
        "class": "Classe",
        "images": "Images de test",
        "class_recall": "Rappel ({model})",
        "class_precision": "Précision ({model})",
        "class_f1": "Score F1 ({model})",
        "confused": "Confusions les plus fréquentes, classées pour chaque modèle selon son propre décompte",
        "confused_note": "Chaque tableau classe les erreurs d'un modèle (classe réelle → prédite) selon "
                         "son propre décompte : ses {count} confusions les plus fréquentes, et toutes celles "
                         "à égalité avec la dernière. Le décompte de l'autre modèle figure à côté.",
        "confused_pair": "Classe réelle → prédite",
        "none_confused": "Aucune image de test n'est mal classée.",
        "calibration_verdict": "{Better} est mieux calibré : une erreur de calibration attendue de "
                               "{better_ece}, contre {worse_ece} pour {worse}, et l'intervalle de confiance "
                               "à 95 % de l'écart {second_name} − {first_name}, allant de {low} à {high}, "
                               "exclut 0 (modèles de la graine {seed} ; voir la section Calibration).",
        "calibration": "Calibration",
        "calibration_intro": "Le modèle le plus exact est-il aussi celui auquel se fier ? Un modèle est "
                             "bien calibré quand sa confiance, la probabilité qu'il donne à la classe qu'il "
                             "prédit, correspond à la fréquence à laquelle il a raison : parmi les images "
                             "qu'il classe avec 90 % de confiance, 90 % sont bien classées. Modèles de la "
                             "graine {seed}, sur les {images} images de test :",
        "ece": "Erreur de calibration attendue (ECE, {bins} tranches de confiance de même largeur)",
        "mean_confidence": "Confiance moyenne (la probabilité la plus haute)",
        "brier": "Score de Brier (somme sur les classes, moyenne sur les images)",
        "log_likelihood": "Log-vraisemblance négative (la perte sur le jeu de test)",
        "calibration_gap": "L'écart d'erreur de calibration attendue {second_name} − {first_name} est de "
                           "{gap}, avec un intervalle de confiance à 95 % allant de {low} à {high} "
                           "(bootstrap apparié : {samples} rééchantillonnages des images de test, tirés "
                           "avec la graine {seed}), qui {interval_reading}.",
        "calibration_notes": [
            "Erreur de calibration attendue : les images de test sont réparties selon leur confiance en "
            "{bins} tranches de même largeur, de [0 ; 1/{bins}[ à [{last}/{bins} ; 1] ; dans chaque tranche, "
            "l'écart entre la part des images bien classées et leur confiance moyenne, pondéré par la part "
            "des images que contient la tranche, est sommé sur les tranches (Guo et al., 2017) : 0 % pour "
            "un modèle exactement aussi sûr de lui qu'il a raison.",
            "Une confiance moyenne supérieure à l'exactitude signale un modèle trop sûr de lui.",
            "Score de Brier : le carré de la distance entre les probabilités et la vraie classe (1 pour "
            "elle, 0 pour les autres), sommé sur les classes et moyenné sur les images : de 0 (certain et "
            "juste) à 2 (certain et faux).",
            "Log-vraisemblance négative : la moyenne de −log(probabilité de la vraie classe), l'entropie "
            "croisée minimisée à l'entraînement (avant tout lissage des étiquettes), recalculée à partir des "
            "probabilités enregistrées : c'est la perte sur le jeu de test du tableau de comparaison.",
            "Le verdict ne signale une différence de calibration entre les modèles que si l'intervalle de "
            "l'écart exclut 0.",
        ],
        "reliability": "Diagramme de fiabilité (exactitude en fonction de la confiance, par tranche de "
                       "confiance)",
        "reliability_note": "En haut : pour chaque tranche de confiance qui contient des images de test, la "
                            "part de ces images bien classées en fonction de leur confiance moyenne ; un "
                            "modèle bien calibré se place sur la diagonale en tirets, un modèle trop sûr de "
                            "lui en dessous. En bas : le nombre d'images de test de chaque tranche, en "
                            "échelle logarithmique (la plupart sont dans la dernière) : les points des "
                            "tranches qui contiennent peu d'images sont peu fiables.",
        "class_tests": "Rappel par classe avec son intervalle à 95 %, et test de McNemar par classe",
        "class_recall_interval": "Rappel ({model}, IC à 95 %)",
        "class_only_right": "Bien classées ({model} seul)",
        "class_holm": "p de Holm",
        "class_better": "Significativement meilleur",
        "class_tests_note": "Rappel : la part des images de test de la classe qui sont bien classées, avec "
                            "son intervalle de confiance (IC) de Wilson à 95 %. Le test exact de McNemar "
                            "compare les deux modèles sur les images de la classe qu'un seul des deux "
                            "classe bien ; la correction de Holm ajuste ses p-valeurs (p de Holm) pour les "
                            "{count} classes testées, afin que la probabilité de déclarer par hasard une "
                            "classe significative reste inférieure à 5 %. Significativement meilleur : le "
                            "modèle en tête sur une classe dont le p de Holm est inférieur à 0,05.",
        "class_significant": "Avec la correction de Holm, {model} est significativement meilleur sur "
                             "{classes}.",
        "class_significant_too": "{Model} est significativement meilleur sur {classes}.",
        "class_not_significant": "L'écart n'est pas significatif sur {classes}.",
        "class_none_significant": "Avec la correction de Holm, l'écart n'est significatif sur aucune classe.",
        "classes_word": ("la classe", "les classes"),
        "and_list": " et ",
        "robustness": "Robustesse : images de test transformées",
        "robustness_intro": "Les modèles de la graine {seed}, évalués sur des copies transformées de "
                            "{images} images de test tirées au hasard (graine {draw_seed}), les mêmes à "
                            "chaque sévérité : décalées d'un nombre entier de pixels (chaque image vers le "
                            "haut, le bas, la gauche ou la droite), tournées autour de leur centre (chacune "
                            "dans le sens horaire ou antihoraire), bruitées par un bruit gaussien ajouté à "
                            "chaque pixel, ou avec des traits amincis (érosion, < 0) ou épaissis "
                            "(dilatation, > 0). La sévérité 0 correspond aux images inchangées. En teinte "
                            "claire sur la figure, entre parenthèses dans le tableau : l'intervalle de "
                            "confiance à 95 % de Wilson de chaque exactitude.",
        "robustness_sentence": "À la sévérité médiane de chaque transformation, {parts}.",
        "robustness_less": "{less} perd moins d'exactitude que {more} pour {transforms}",
        "robustness_tie": "les deux modèles perdent autant pour {transforms}",
        "robustness_clause": "{transform} ({level} : {less_change} contre {more_change})",
        "robustness_and": " et ",
        "robustness_separator": " ; ",
        "robustness_figure": "Exactitude selon la sévérité, un panneau par transformation",
        "robustness_transform": "Transformation",
        "robustness_severity": "Sévérité",
        "robustness_unchanged": "Aucune (images inchangées)",
        "robustness_note": "Le tableau donne, pour chaque transformation, la sévérité médiane et la plus "
                           "forte ; la figure les montre toutes.",
        "transforms": {
            # a unit after a number: a no-break space, as numbers.py puts before "%" and "points"
            "translation": {"name": "Translation", "the": "la translation", "axis": "Décalage (pixels)",
                            "level": "{level}\u00a0px"},
            "rotation": {"name": "Rotation", "the": "la rotation", "axis": "Angle (degrés)",
                         "level": "{level}°"},
            "noise": {"name": "Bruit gaussien", "the": "le bruit gaussien", "axis": "Écart-type du bruit",
                      "level": "σ = {level}"},
            "thickness": {"name": "Épaisseur du trait", "the": "l'épaisseur du trait",
                          "axis": "Changement du trait (pixels ; < 0 : aminci)", "level": "{level}\u00a0px"},
        },
        "permuted": "Structure spatiale : pixels permutés",
        "permuted_intro": "Les deux architectures de la graine {seed} ont été entraînées à nouveau, avec la "
                          "même recette et la même graine, sur des images dont tous les pixels ont été "
                          "déplacés par une même permutation aléatoire (graine {permutation_seed}, "
                          "enregistrée dans `data/permuted/permutation.npy`), identique pour les images "
                          "d'entraînement, de validation et de test, puis évaluées sur les {images} images "
                          "de test permutées. Un réseau entièrement connecté ne donne aucun sens à l'ordre "
                          "de ses entrées ; les fenêtres d'une convolution voient des pixels voisins, que la "
                          "permutation disperse.",
        "permuted_sentence": "Sur des pixels permutés, {clauses} : {conclusion}.",
        "permuted_loses": "{model} perd {amount} (IC à 95 % de l'écart : {low} à {high} ; p de McNemar = "
                          "{p_value})",
        "permuted_gains": "{model} gagne {amount} (IC à 95 % de l'écart : {low} à {high} ; p de McNemar = "
                          "{p_value})",
        "permuted_stays": "{model} varie de {gap}, trop peu pour que les images de test distinguent cet "
                          "écart de zéro (IC à 95 % : {low} à {high} ; p de McNemar = {p_value})",
        "permuted_same": "{model} classe bien exactement autant d'images de test (p de McNemar = {p_value})",
        "permuted_and": ", et ",
        "permuted_more": "l'écart est plus bas de {amount} pour {model} que pour {other} (IC à 95 % de la "
                         "différence {second_name} − {first_name} : {low} à {high}) : {model} s'appuie "
                         "davantage que {other} sur l'ordre des pixels",
        "permuted_alike": "les deux écarts diffèrent de {gap} ({second_name} − {first_name}, IC à 95 % de "
                          "{low} à {high}), trop peu pour que les images de test disent quel modèle "
                          "s'appuie davantage sur l'ordre des pixels",
        "permuted_lead_gone": " ; sans cet ordre, son avance sur {other} n'est plus significative "
                              "({second_name} − {first_name} : {gap}, IC à 95 % de {low} à {high})",
        "permuted_lead_kept": " ; sans cet ordre, il garde une avance significative sur {other} "
                              "({second_name} − {first_name} : {gap}, IC à 95 % de {low} à {high})",
        "permuted_to": " à ",
        "permuted_lead_reversed": " ; sans cet ordre, {other} est significativement en tête "
                                  "({second_name} − {first_name} : {gap}, IC à 95 % de {low} à {high})",
        "permuted_pixels": "Pixels",
        "permuted_original": "Ordre d'origine",
        "permuted_permuted": "Permutés (graine {permutation_seed})",
        "permuted_change": "Permutés − ordre d'origine",
        "permuted_p_value": "p de McNemar, permutés contre ordre d'origine",
        "permuted_note": "Entre parenthèses : l'intervalle de confiance à 95 % de Wilson de chaque "
                         "exactitude ; pour chaque écart, son intervalle à 95 % par bootstrap apparié "
                         "({samples} rééchantillonnages des images de test, graine {bootstrap_seed}), "
                         "ainsi que celui de la différence entre les écarts des deux modèles (dernière case "
                         "de la ligne des écarts). Un réseau entièrement connecté ne peut pas tirer parti de "
                         "l'ordre des pixels : son propre écart ne mesure que l'aléa de l'entraînement, si "
                         "bien que seule cette différence dit combien l'autre modèle s'appuie davantage sur "
                         "cet ordre. Le test exact de McNemar compare chaque modèle à son jumeau permuté "
                         "sur les "
                         "mêmes images de test. Tous deux couvrent l'échantillonnage des images de test, "
                         "non l'aléa de l'entraînement : chaque modèle permuté est issu d'un seul "
                         "entraînement, comme les modèles de la graine {seed}.",
        "reproducibility": "Reproductibilité",
        "data": "Données : `{dataset}`. L'étape `download` en a vérifié les fichiers à "
                "l'aide des empreintes MD5 ci-dessous, calculées sur leur contenu "
                "décompressé.",
        "file": "Fichier",
        "code": "Code : empreinte MD5 `{digest}` du code du pipeline (tous les fichiers "
                "`.py` de {paths}, déclarés comme dépendances DVC de l'étape `compare`). Le "
                "rapport cite cette empreinte plutôt que l'identifiant d'un commit git : cet "
                "identifiant change à chaque commit, y compris celui qui enregistre le "
                "rapport, et serait donc toujours périmé.",
        "versions": "Versions : {versions}. Avec celles-ci, les mêmes paramètres et les mêmes "
                    "données donnent les mêmes octets sur le même type de machine ; sur un processeur "
                    "doté d'un autre jeu d'instructions (AVX2 plutôt qu'AVX-512, par exemple), les "
                    "noyaux de TensorFlow arrondissent autrement, et un nouvel entraînement donne des "
                    "nombres légèrement différents.",
        "params": "Paramètres (tirés de `params.yaml`) :",
        "labels": {"accuracy": "Exactitude (%)", "loss": "Perte", "epoch": "Époque",
                   "train": "entraînement", "validation": "validation", "actual": "Classe réelle",
                   "predicted": "Classe prédite", "errors": "Erreurs (nombre d'images)",
                   "confidence": "Confiance : la probabilité la plus haute (%)",
                   "bin_accuracy": "Exactitude dans la tranche (%)",
                   "bin_images": "Images de test dans la tranche", "calibrated": "calibration parfaite"},
        "footer": "Rapport généré par l'étape `compare` de `dvc repro` à partir de "
                  "`{metrics}/` ; ne pas le modifier à la main.",
    }),
}
