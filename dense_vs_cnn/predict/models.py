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

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.core.quiet import import_tensorflow

PARAMS_FILE = Path("params.yaml")
MODELS_DIR = Path("models")  # where models live outside a project (dvc.yaml's artifacts say where in one)
DEFAULT_ARTIFACT = "cnn"  # the model digits-predict and digits-demo use without --model
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


def models_folder(project="."):
    """The folder of the first seed's models (models/seed-<first seed>/ in this project): the
    folder of dvc.yaml's `cnn` artifact, so the layout is written once, in dvc.yaml.

    Without dvc.yaml's answer (no dvc.yaml, another project's, or a params.yaml that cannot be
    read), the only folder of trained models under models/ if there is one; else models/,
    or, when params.yaml is at fault, an error that says how to choose.
    """
    problem = None
    if Path(project, "dvc.yaml").is_file():
        try:
            if path := _read_artifacts(project).get(DEFAULT_ARTIFACT):
                return path.parent
        except PipelineError as error:
            problem = error
    folders = sorted({path.parent for path in MODELS_DIR.glob("*/*.keras")})
    if len(folders) == 1:
        return folders[0]
    if problem:
        raise PipelineError(f"{problem} (read for the first seed's models: pass --model to leave it aside)")
    return MODELS_DIR


def default_model():
    return models_folder() / f"{DEFAULT_ARTIFACT}.keras"


def artifact_paths(project="."):
    """{artifact name: path} of dvc.yaml's `artifacts:` section, its `${...}` filled in from
    params.yaml by DVC itself (`Repo.artifacts`, as `dvc artifacts get` sees them; git is not
    needed); {} outside a project."""
    try:
        return _read_artifacts(project)
    except PipelineError as error:
        raise PipelineError(f"{error} (read for the artifact paths: pass --model PATH.keras to "
                            "leave it aside)") from None


def _read_artifacts(project):
    project_file, params_file = Path(project, "dvc.yaml"), Path(project, "params.yaml")
    if not project_file.is_file():
        return {}
    if params_file.is_file():  # ours first: it refuses what DVC's would expand or hang on (aliases, 100 MB)
        project_params(params_file)
    from dvc.exceptions import DvcException  # DVC: a second to import, only when a model path is needed
    from dvc.repo import Repo

    try:
        with Repo(str(project), uninitialized=True) as repo:
            artifacts = repo.artifacts.read().get("dvc.yaml", {})
    except DvcException as error:
        raise PipelineError(f"{project_file}: {error}") from None
    return {name: Path(artifact.path) for name, artifact in artifacts.items()}


def model_paths(choice, project="."):
    """The .keras files `--model CHOICE` means: `all` is both models of the first seed; an
    artifact name of dvc.yaml is its path; anything else is a path."""
    if choice == "all":
        # Hidden files are the temporaries of an interrupted training (core/files.py), not models.
        return sorted(path for path in models_folder(project).glob("*.keras")
                      if not path.name.startswith("."))
    if choice.endswith(".keras") or "/" in choice:
        return [Path(choice)]
    return [artifact_paths(project).get(choice, Path(choice))]


def load_models(paths, class_names, dataset):
    """{name (file stem): Keras model}, each checked to answer with one probability per class."""
    if not paths:  # said before TensorFlow's import, which takes seconds
        raise PipelineError(f"no .keras model in {models_folder()}: run `dvc repro` first")
    import_tensorflow()  # without its start-up notices
    from dense_vs_cnn.model.saving import load_model  # imports TensorFlow: only when models are needed

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
