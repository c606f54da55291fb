"""The report's words and number format, one table per language (params.yaml compare.language).

dense_vs_cnn/report/render.py holds the one template; every table has exactly the same keys
and placeholders (tests/report/test_strings.py checks it), so a language is added by adding a
table. Numbers reach the placeholders already formatted by the table's `numbers`.
"""

from dense_vs_cnn.report.numbers import ENGLISH, FRENCH

# French puts a no-break space before ":" and "%" and a narrow one before ";", "?" and "!",
# so that a line never starts with one of them, nor breaks inside "p = 0,71". The French
# table is written with plain spaces, easier to read and edit, and given its no-break
# spaces once, here.
FRENCH_SPACES = {" = ": "\u00a0=\u00a0", " :": "\u00a0:", " %": "\u00a0%", " ;": "\u202f;",
                 " ?": "\u202f?", " !": "\u202f!"}


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
        "model_names": {"dense": "Dense", "cnn": "CNN"},
        "verdict": "**{winner} wins**: {winner_accuracy} test accuracy against {loser_accuracy} "
                   "for {loser}, {points} better.",
        "tie": "**Tie**: both models reach {winner_accuracy} test accuracy.",
        "interval": "The 95 % confidence interval of the gap ({winner} minus {loser}) is {low} to "
                    "{high} (paired bootstrap: {samples} resamples of the {images} test "
                    "images, seed {seed}).",
        "significant": "The gap is **statistically significant**: McNemar's exact test on the paired "
                       "predictions gives p = {p_value} (below 0.05);",
        "not_significant": "The gap is **not statistically significant**: McNemar's exact test on the "
                           "paired predictions gives p = {p_value} (0.05 or more);",
        "discordant": "{only_winner} by {winner} only, {only_loser} by {loser} only.",
        "one_seed": "This covers the sampling of the test images only, not the randomness of training: "
                    "each model was trained once, with seed {seed}. `dvc exp run -S 'seeds=[0,1,2,3,4]'` "
                    "measures it too, by training each model with five seeds.",
        "seeds_verdict": "**{winner} wins across {count} seeds**: a mean test accuracy of {winner_mean} "
                         "(standard deviation {winner_sd}) against {loser_mean} ({loser_sd}) for {loser}. "
                         "The mean gap is {mean_gap}, with a 95 % confidence interval of {low} to {high} "
                         "(Student's t interval over the {count} seeds), and {winner} wins on {wins} of the "
                         "{count} seeds. This interval covers the randomness of training (weight "
                         "initialisation and shuffling), which the tests of a single seed below do not.",
        "first_seed": "The results that follow are those of seed {seed}'s models alone.",
        "single_run": "The comparison, histories, figures and per-class tables below are those of seed "
                      "{seed}'s models.",
        "seeds": "Seeds",
        "seed": "Seed",
        "seed_gap": "{winner} − {loser}",
        "seed_p_value": "McNemar p",
        # what follows the count in "discordant", singular and plural: the verb agrees with it
        "only_one_right": ("test images are classified correctly", "test images are classified correctly"),
        "points": ("point", "points"),
        "seconds": "s",
        "images_per_second": "images/s",
        "comparison": "Comparison",
        "criterion": "Criterion",
        "test_accuracy": "Test accuracy",
        "test_loss": "Test loss",
        "parameters": "Parameters",
        "train_time": "Training time",
        "epoch_time": "Time per epoch",
        "throughput": "Inference throughput, timed on the machine that ran `evaluate`",
        "best_val": "Best validation accuracy (epoch)",
        "gap": "Train − validation accuracy gap, last epoch",
        "history": "Per-epoch history: {model}",
        "columns": ["Epoch", "Train accuracy", "Train loss", "Validation accuracy", "Validation loss"],
        "figures": "Figures",
        "learning_curves": "Learning curves",
        "confusion_matrices": "Confusion matrices (rows: actual class, columns: predicted class)",
        "confusion_note": "Colour: the number of errors, off the diagonal, on a linear scale shared by "
                          "both models (colour bar); the diagonal, in grey, gives the number of images "
                          "classified correctly.",
        "errors": "Test images {model} gets wrong: the first {shown} of {total} (actual → predicted)",
        "disagreements": "Test images the models disagree on, including those both get wrong: the "
                         "first {shown} of {total} (actual class, then each model's prediction)",
        "per_class": "Per class",
        "class": "Class",
        "images": "Test images",
        "class_accuracy": "{model} accuracy",
        "class_precision": "{model} precision",
        "class_f1": "{model} F1",
        "confused": "Most confused pairs",
        "confused_pair": "Actual → predicted",
        "none_confused": "No test image is misclassified.",
        "reproducibility": "Reproducibility",
        "data": "Data: `{dataset}`, whose files `download` verified against these md5 digests "
                "(of the decompressed content):",
        "file": "File",
        "code": "Code: md5 `{digest}` of the pipeline's code ({paths}: every `.py` file, each a DVC "
                "dependency of `compare`), rather than a git commit, which changes with every commit "
                "and would make this report always out of date.",
        "versions": "Versions: {versions}.",
        "params": "Params (from `params.yaml`):",
        "labels": {"accuracy": "Accuracy (%)", "loss": "Loss", "epoch": "Epoch", "train": "train",
                   "validation": "validation", "actual": "Actual", "predicted": "Predicted",
                   "errors": "Errors (images)"},
        "footer": "Generated by the `compare` stage of `dvc repro` from `{metrics}/`; do not edit by hand.",
    },
    # Accuracy is « exactitude », precision « précision » and recall « rappel » everywhere:
    # « précision » alone for accuracy (the notebook's wording) would name two metrics.
    "fr": with_french_spaces({
        "numbers": FRENCH,
        "title": "{dataset} : réseau dense contre réseau convolutif",
        "model_names": {"dense": "Dense", "cnn": "CNN"},
        "verdict": "**{winner} l'emporte** : {winner_accuracy} d'exactitude sur les images de test, "
                   "contre {loser_accuracy} pour {loser}, soit {points} de plus.",
        "tie": "**Égalité** : les deux modèles atteignent {winner_accuracy} d'exactitude sur les images "
               "de test.",
        "interval": "L'intervalle de confiance à 95 % de l'écart ({winner} moins {loser}) va de "
                    "{low} à {high} (bootstrap apparié : {samples} rééchantillonnages des "
                    "{images} images de test, tirés avec la graine {seed}).",
        "significant": "L'écart est **statistiquement significatif** : le test exact de McNemar sur les "
                       "prédictions appariées donne p = {p_value} (inférieur à 0,05) ;",
        "not_significant": "L'écart **n'est pas statistiquement significatif** : le test exact de McNemar "
                           "sur les prédictions appariées donne p = {p_value} (supérieur ou égal à 0,05) ;",
        "discordant": "{only_winner} que par {winner}, {only_loser} que par {loser}.",
        "one_seed": "Ce verdict ne tient compte que de l'échantillonnage des images de test, et "
                    "non de l'aléa de l'entraînement : chaque modèle n'a été entraîné qu'une "
                    "fois, avec la graine aléatoire {seed}. Pour mesurer aussi cet aléa, `dvc "
                    "exp run -S 'seeds=[0,1,2,3,4]'` entraîne chaque modèle avec cinq graines.",
        "seeds_verdict": "**Sur {count} graines aléatoires, {winner} l'emporte** : {winner_mean} "
                         "d'exactitude moyenne sur les images de test (écart-type de {winner_sd}), "
                         "contre {loser_mean} ({loser_sd}) pour {loser}. L'écart moyen est de "
                         "{mean_gap}, avec un intervalle de confiance à 95 % allant de {low} à {high} "
                         "(calculé avec la loi de Student sur les {count} graines), et {winner} "
                         "arrive en tête {wins} fois sur {count}. Cet intervalle prend en compte "
                         "l'aléa de l'entraînement (initialisation des poids, ordre de présentation "
                         "des exemples), ce que ne font pas les tests ci-dessous, menés sur une seule "
                         "graine.",
        "first_seed": "Les résultats qui suivent ne portent que sur les modèles de la graine "
                      "{seed}.",
        "single_run": "La comparaison, les historiques d'entraînement, les figures et les tableaux "
                      "par classe ci-dessous portent sur les modèles de la graine {seed}.",
        "seeds": "Résultats par graine",
        "seed": "Graine",
        "seed_gap": "{winner} − {loser}",
        "seed_p_value": "p de McNemar",
        "only_one_right": ("image de test n'est bien classée", "images de test ne sont bien classées"),
        "points": ("point", "points"),
        "seconds": "s",
        "images_per_second": "images/s",
        "comparison": "Comparaison",
        "criterion": "Critère",
        "test_accuracy": "Exactitude sur le jeu de test",
        "test_loss": "Perte sur le jeu de test",
        "parameters": "Nombre de paramètres",
        "train_time": "Durée d'entraînement",
        "epoch_time": "Durée par époque",
        "throughput": "Débit d'inférence, mesuré sur la machine qui a exécuté `evaluate`",
        "best_val": "Meilleure exactitude en validation (époque)",
        "gap": "Écart d'exactitude entraînement − validation, dernière époque",
        "history": "Historique par époque : {model}",
        "columns": ["Époque", "Exactitude (entraînement)", "Perte (entraînement)",
                    "Exactitude (validation)", "Perte (validation)"],
        "figures": "Figures",
        "learning_curves": "Courbes d'apprentissage",
        "confusion_matrices": "Matrices de confusion (classe réelle en ligne, classe prédite en colonne)",
        "confusion_note": "Hors de la diagonale, la couleur indique le nombre d'erreurs, sur une "
                          "échelle linéaire commune aux deux modèles (voir la barre de couleurs) ; sur "
                          "la diagonale, en gris, figure le nombre d'images bien classées.",
        "errors": "Images de test que {model} classe mal : les {shown} premières sur {total} "
                  "(classe réelle → classe prédite)",
        "disagreements": "Images de test sur lesquelles les deux modèles divergent, y compris quand "
                         "tous deux se trompent : les {shown} premières sur {total} (classe réelle, "
                         "puis la prédiction de chaque modèle)",
        "per_class": "Résultats par classe",
        "class": "Classe",
        "images": "Images de test",
        "class_accuracy": "Rappel {model}",
        "class_precision": "Précision {model}",
        "class_f1": "F1 {model}",
        "confused": "Confusions les plus fréquentes",
        "confused_pair": "Classe réelle → prédite",
        "none_confused": "Aucune image de test n'est mal classée.",
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
        "versions": "Versions : {versions}.",
        "params": "Paramètres (tirés de `params.yaml`) :",
        "labels": {"accuracy": "Exactitude (%)", "loss": "Perte", "epoch": "Époque",
                   "train": "entraînement", "validation": "validation", "actual": "Classe réelle",
                   "predicted": "Classe prédite", "errors": "Erreurs (nombre d'images)"},
        "footer": "Rapport généré par l'étape `compare` de `dvc repro` à partir de "
                  "`{metrics}/` ; ne pas le modifier à la main.",
    }),
}
