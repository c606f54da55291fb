"""The trained models that digits-predict and digits-demo use, and how they are named.

`dvc repro` trains them into models/ (models/dense.keras, models/cnn.keras); dvc.yaml's
`artifacts:` section names them, so `--model cnn` means the path dvc.yaml gives the
`cnn` artifact. Paths are relative to the project root, where both commands run.
"""

from pathlib import Path

import numpy as np
import yaml

from dense_vs_cnn.core.errors import PipelineError

MODELS_DIR = Path("models")
DEFAULT_MODEL = MODELS_DIR / "cnn.keras"
PROJECT_FILE = Path("dvc.yaml")
TOP = 3  # how many classes each answer lists
BATCH_SIZE = 256  # images per call into a model: bounded memory for folders of many images


def artifact_paths(project_file=PROJECT_FILE):
    """{artifact name: path} from dvc.yaml's `artifacts:` section; {} without dvc.yaml."""
    if not Path(project_file).is_file():
        return {}
    artifacts = (yaml.safe_load(Path(project_file).read_text()) or {}).get("artifacts") or {}
    return {name: Path(artifact["path"]) for name, artifact in artifacts.items()}


def model_paths(choice, project_file=PROJECT_FILE):
    """The .keras files `--model CHOICE` means: `all` is every model in models/; an artifact
    name of dvc.yaml is its path; anything else is a path."""
    if choice == "all":
        return sorted(MODELS_DIR.glob("*.keras"))
    return [artifact_paths(project_file).get(choice, Path(choice))]


def load_models(paths, class_names, dataset):
    """{name (file stem): Keras model}, each checked to answer with one probability per class."""
    from dense_vs_cnn.model.saving import load_model  # imports TensorFlow: only when models are needed

    if not paths:
        raise PipelineError(f"no .keras model in {MODELS_DIR}: run `dvc repro` first")
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
