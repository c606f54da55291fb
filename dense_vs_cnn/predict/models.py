"""The trained models that digits-predict and digits-demo use, and how they are named.

`dvc repro` trains them into models/seed-<seed>/ (dense.keras, cnn.keras), one folder per
entry of params.yaml's `seeds`; the first seed's serve by default. dvc.yaml's
`artifacts:` section names them, so `--model cnn` means the path dvc.yaml gives the `cnn`
artifact (DVC fills in the first seed). Paths are relative to the project root, where
both commands run. params.yaml is read once per process (`project_params`), however many
of these ask for it.
"""

import functools
import os
from pathlib import Path

import numpy as np
import yaml

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.core.quiet import import_tensorflow

PARAMS_FILE = Path("params.yaml")
MODELS_DIR = Path("models")
MODELS_FOLDER = "seed-{seed}"  # under MODELS_DIR: where dvc.yaml's train stages save each seed's models
DEFAULT_MODEL = "cnn.keras"
TOP = 3  # how many classes each answer lists
BATCH_SIZE = 256  # images per call into a model: bounded memory for folders of many images


@functools.cache
def _read_once(path, *version):
    try:
        return load_params(path)
    except PipelineError as error:
        return error


def project_params(path=PARAMS_FILE):
    """params.yaml's Params, read and checked once per process and version of the file: the class
    names, the first seed and the artifact paths all come from it."""
    try:
        info = os.stat(path)
    except OSError:
        return load_params(path)  # says why it cannot be read
    params = _read_once(path, Path(path).resolve(), info.st_ino, info.st_size, info.st_mtime_ns)
    if isinstance(params, PipelineError):
        raise PipelineError(str(params))
    return params


def models_folder(params_file=PARAMS_FILE):
    """models/seed-<first seed>/ of the project here; models/ outside a project.

    When params.yaml gives no seeds (another project's, or a broken one), a single trained
    seed folder is still found; with several, the error says how to choose.
    """
    if not Path(params_file).is_file():
        return MODELS_DIR
    try:
        first_seed = project_params(params_file).seeds[0]
    except PipelineError as error:
        folders = sorted(MODELS_DIR.glob(MODELS_FOLDER.format(seed="*")))
        if len(folders) == 1:
            return folders[0]
        hint = "(read for the first seed's models: pass --model to leave it aside)"
        raise PipelineError(f"{error} {hint}") from None
    return MODELS_DIR / MODELS_FOLDER.format(seed=first_seed)


def default_model():
    return models_folder() / DEFAULT_MODEL


def artifact_paths(project="."):
    """{artifact name: path} of dvc.yaml's `artifacts:` section, its `${...}` filled in from
    params.yaml by DVC's own templating (as `dvc artifacts get` sees them); {} elsewhere."""
    project_file, params_file = Path(project, "dvc.yaml"), Path(project, "params.yaml")
    if not project_file.is_file():
        return {}
    from dvc.parsing.context import (
        Context,  # DVC: a second to import, only when an artifact name may be meant
    )

    artifacts = (yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}).get("artifacts") or {}
    try:  # our read, not DVC's: it refuses what DVC's would expand or hang on (aliases, 100 MB)
        params = project_params(params_file).model_dump() if params_file.is_file() else {}
    except PipelineError as error:
        hint = "(read for the artifact paths: pass --model PATH.keras to leave it aside)"
        raise PipelineError(f"{error} {hint}") from None
    context = Context(params)
    return {name: Path(context.resolve_str(artifact["path"])) for name, artifact in artifacts.items()}


def model_paths(choice, project="."):
    """The .keras files `--model CHOICE` means: `all` is both models of the first seed; an
    artifact name of dvc.yaml is its path; anything else is a path."""
    if choice == "all":
        # Hidden files are the temporaries of an interrupted training (core/files.py), not models.
        return sorted(path for path in models_folder(Path(project, "params.yaml")).glob("*.keras")
                      if not path.name.startswith("."))
    if choice.endswith(".keras") or "/" in choice:
        return [Path(choice)]
    return [artifact_paths(project).get(choice, Path(choice))]


def load_models(paths, class_names, dataset):
    """{name (file stem): Keras model}, each checked to answer with one probability per class."""
    import_tensorflow()  # without its start-up notices
    from dense_vs_cnn.model.saving import load_model  # imports TensorFlow: only when models are needed

    if not paths:
        raise PipelineError(f"no .keras model in {models_folder()}: run `dvc repro` first")
    models = {Path(path).stem: load_model(path) for path in paths}
    for name, model in models.items():
        if model.output_shape[-1] != len(class_names):
            raise PipelineError(f"model {name} has {model.output_shape[-1]} classes but {dataset} has "
                                f"{len(class_names)}: pass the right --dataset")
    return models


def classify(models, images, batch_size=BATCH_SIZE):
    """{model name: probabilities (N, classes)} for a stack of 28x28 images; each model gets its layout.

    predict_on_batch, batch by batch: Keras' predict() spends some 50 ms a call setting up,
    ten times what the models take to answer for a drawing on the demo page.
    """
    batches = [images[start:start + batch_size] for start in range(0, len(images), batch_size)]
    return {name: np.concatenate([model.predict_on_batch(batch.reshape((len(batch), *model.input_shape[1:])))
                                  for batch in batches])
            for name, model in models.items()}


def ranked(probabilities, class_names, top=TOP):
    """The `top` most probable classes, best first, as [(class name, probability)]."""
    best = np.argsort(probabilities)[::-1][:top]
    return [(class_names[index], float(probabilities[index])) for index in best]
