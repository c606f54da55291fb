"""Classify your own images: `digits-predict photo.jpg drawings/` (or python -m dense_vs_cnn.predict.cli).

Reads: image files (PNG, JPEG, any format Pillow reads; any size; dark ink on light
paper or light on dark) or folders of them, and one or more trained .keras models.
Writes: nothing; prints, for each image and model, the predicted class and the top-3
probabilities. Params: data.dataset (class names), from params.yaml when run in the
project; --dataset overrides it.

Each image is preprocessed as MNIST was made (images.py). A file that cannot be
classified (not an image, damaged, undecodable, a FIFO or a device, blank) is reported on
stderr and the others still are; the exit status is then 1. File names are printed with
control characters escaped, so that a name cannot forge a line of output.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from dense_vs_cnn.core.datasets import DATASETS, get_dataset
from dense_vs_cnn.core.errors import PipelineError, printable, run_stage
from dense_vs_cnn.predict.images import load_gray, to_mnist
from dense_vs_cnn.predict.models import (
    MODELS_DIR,
    classify,
    default_model,
    load_models,
    model_paths,
    project_params,
    ranked,
)

MODEL_HELP = ("a .keras model, an artifact name from dvc.yaml (cnn, dense), or `all` for both models "
              "of the first seed (models/seed-<first of params.yaml's seeds>/)")
DATASET_HELP = "whose class names to use (default: data.dataset in params.yaml, else mnist)"


def image_paths(arguments):
    """Expand folders into the image files they hold (by extension), sorted; keep files as given.

    A FIFO or device with an image's name is kept: load_gray reports it, without reading it.
    """
    extensions = Image.registered_extensions()
    paths = []
    for argument in map(Path, arguments):
        if argument.is_dir():
            paths += sorted(path for path in argument.iterdir()
                            if not path.is_dir() and path.suffix.lower() in extensions)
        else:
            paths.append(argument)
    return paths


def top_classes(probabilities, class_names):
    """'3 (3 98.1%, 8 1.2%, 5 0.3%)': the best class, then the best few with their probability."""
    best = ranked(probabilities, class_names)
    return f"{best[0][0]} ({', '.join(f'{name} {probability:.1%}' for name, probability in best)})"


def dataset_name(choice):
    """--dataset, else data.dataset in params.yaml when there is one, else mnist: whose class names.

    params.yaml is read only without --dataset: another project's may be in the folder.
    """
    if choice or not Path("params.yaml").exists():
        return choice or "mnist"
    try:
        return project_params().data.dataset
    except PipelineError as error:
        raise PipelineError(f"{error} (read for the class names: pass --dataset to leave it aside)") from None


def check_project(model):
    """The default models live in a project folder: say so when run elsewhere, rather than "run dvc repro"."""
    in_project = Path("params.yaml").exists() or MODELS_DIR.is_dir()
    if model in (None, "all") and not in_project:
        raise PipelineError(
            f"{printable(Path.cwd())} is not a project folder (no params.yaml, no models/): run "
            "digits-predict from the project's root, where `dvc repro` trains the models, or pass "
            "--model PATH.keras"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="digits-predict", description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", help="image files or folders of images")
    parser.add_argument("--model", help=MODEL_HELP + " (default: that folder's cnn.keras)")
    parser.add_argument("--dataset", choices=sorted(DATASETS), help=DATASET_HELP)
    args = parser.parse_args(argv)
    check_project(args.model)
    dataset = dataset_name(args.dataset)
    class_names = get_dataset(dataset).class_names
    paths = image_paths(args.images)
    if not paths:
        raise PipelineError(f"no image files in {printable(' '.join(args.images))}")

    tensors, failures = {}, []
    for path in paths:  # one at a time: only the 28x28 results are kept
        try:
            tensors[path] = to_mnist(load_gray(path))
        except (PipelineError, ValueError) as error:
            failures.append(f"{printable(path)}: {error}" if isinstance(error, ValueError) else str(error))
    models = load_models(model_paths(args.model or str(default_model())), class_names, dataset)

    if tensors:
        probabilities = classify(models, np.stack(list(tensors.values())))
        names = {path: printable(path) for path in tensors}
        width = max(map(len, names.values()))
        for row, path in enumerate(tensors):
            columns = [f"{printable(name)}: {top_classes(probabilities[name][row], class_names)}"
                       for name in models]
            print(f"{names[path]:<{width}}  " + "   ".join(columns))
    if failures:
        raise PipelineError(f"{len(failures)} of {len(paths)} files could not be classified:\n  "
                            + "\n  ".join(failures))


def run():
    """The `digits-predict` console script."""
    run_stage(main)


if __name__ == "__main__":
    run()
