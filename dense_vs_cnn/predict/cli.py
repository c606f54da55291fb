"""Classify your own images: `digits-predict photo.jpg drawings/` (or python -m dense_vs_cnn.predict.cli).

Reads: image files (PNG, JPEG, any format Pillow reads; any size; dark ink on light
paper or light on dark) or folders of them, and one or more trained .keras models.
Writes: nothing; prints, for each image and model, the predicted class and the top-3
probabilities. Params: data.dataset (class names), from params.yaml when run in the
project; --dataset overrides it.

Each image is preprocessed as MNIST was made (images.py). A file that cannot be
classified is reported on stderr and the others still are; the exit status is then 1.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from dense_vs_cnn.core.datasets import DATASETS, get_dataset
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.predict.images import load_gray, to_mnist

# Where dvc.yaml's train stages save each seed's models; the first seed's serve by default.
MODELS_FOLDER = "models/seed-{seed}"
DEFAULT_MODEL = "cnn.keras"
TOP = 3


def image_paths(arguments):
    """Expand folders into the image files they hold (by extension), sorted; keep files as given."""
    extensions = Image.registered_extensions()
    paths = []
    for argument in map(Path, arguments):
        if argument.is_dir():
            paths += sorted(path for path in argument.iterdir()
                            if path.is_file() and path.suffix.lower() in extensions)
        else:
            paths.append(argument)
    return paths


def model_paths(choice, folder):
    """`choice` is a .keras path, or `all`: every model in `folder` (the first seed's, in dvc.yaml)."""
    if choice == "all":
        # Hidden files are the temporaries of an interrupted training (core/files.py), not models.
        return sorted(path for path in Path(folder).glob("*.keras") if not path.name.startswith("."))
    return [Path(choice)]


def top_classes(probabilities, class_names, top=TOP):
    """'3 (3 98.1%, 8 1.2%, 5 0.3%)': the best class, then the `top` best with their probability."""
    best = np.argsort(probabilities)[::-1][:top]
    ranked = ", ".join(f"{class_names[index]} {probabilities[index]:.1%}" for index in best)
    return f"{class_names[best[0]]} ({ranked})"


def classify(models, images):
    """{model name: probabilities (N, classes)} for a stack of 28x28 images; each model gets its layout."""
    return {name: model.predict(images.reshape((len(images), *model.input_shape[1:])), verbose=0)
            for name, model in models.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="digits-predict", description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", help="image files or folders of images")
    parser.add_argument("--model", help=f"a .keras model, or `all` for every model of the first seed "
                                        f"(default: {MODELS_FOLDER}/{DEFAULT_MODEL}, first of `seeds`)")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="whose class names to print (default: data.dataset in params.yaml, else mnist)")
    args = parser.parse_args(argv)
    params = load_params(["data", "seeds"]) if Path("params.yaml").exists() else None
    dataset = args.dataset or (params["data"]["dataset"] if params else "mnist")
    folder = Path(MODELS_FOLDER.format(seed=params["seeds"][0] if params else 0))
    choice = args.model or str(folder / DEFAULT_MODEL)
    class_names = get_dataset(dataset).class_names
    paths = image_paths(args.images)
    if not paths:
        raise PipelineError(f"no image files in {' '.join(args.images)}")

    tensors, failures = {}, []
    for path in paths:  # one at a time: only the 28x28 results are kept
        try:
            tensors[path] = to_mnist(load_gray(path))
        except (PipelineError, ValueError) as error:
            failures.append(f"{path}: {error}" if isinstance(error, ValueError) else str(error))
    from dense_vs_cnn.model.saving import load_model  # imports TensorFlow: only once arguments are checked

    models = {path.stem: load_model(path) for path in model_paths(choice, folder)}
    if not models:
        raise PipelineError(f"no .keras model in {folder}: run `dvc repro` first")
    for name, model in models.items():
        if model.output_shape[-1] != len(class_names):
            raise PipelineError(f"model {name} has {model.output_shape[-1]} classes but {dataset} has "
                                f"{len(class_names)}: pass the right --dataset")

    if tensors:
        probabilities = classify(models, np.stack(list(tensors.values())))
        width = max(len(str(path)) for path in tensors)
        for row, path in enumerate(tensors):
            columns = [f"{name}: {top_classes(probabilities[name][row], class_names)}" for name in models]
            print(f"{str(path):<{width}}  " + "   ".join(columns))
    if failures:
        raise PipelineError(f"{len(failures)} of {len(paths)} files could not be classified:\n  "
                            + "\n  ".join(failures))


def run():
    """The `digits-predict` console script."""
    run_stage(main)


if __name__ == "__main__":
    run()
