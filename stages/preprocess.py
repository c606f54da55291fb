"""Stage preprocess: parse the IDX files, split off validation, scale, write tensors.

Reads: the raw folder (--raw, data/raw in dvc.yaml).
Writes: into --out (data/prepared), for each split (train, val, test):
  <split>_flat.npy (N, 784) and <split>_channel.npy (N, 28, 28, 1), float32 in [0, 1],
  and <split>_labels.npy (N,) uint8.
Params: data.dataset (file names), preprocess.validation_fraction and max_examples.

The validation set is the *last* fraction of the training files, exactly what Keras'
`fit(validation_split=0.1)` in the notebook held out.
"""

import argparse
from pathlib import Path

import numpy as np

from stages import PipelineError, run_stage
from stages.datasets import get_dataset
from stages.files import save_array
from stages.idx import read_idx
from stages.params import load_params


def load_split(images_path, labels_path, max_examples=None):
    """Read an images/labels pair of IDX files, keeping at most the first `max_examples`."""
    images, labels = read_idx(images_path, ndim=3), read_idx(labels_path, ndim=1)
    if len(images) != len(labels):
        raise PipelineError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; run `dvc repro -f download`"
        )
    return images[:max_examples], labels[:max_examples]


def validation_split(images, labels, fraction):
    """Split off the last `fraction` of the examples, as Keras' validation_split does."""
    # Keras: split_at = int(n * (1 - validation_split)).
    split_at = int(len(images) * (1 - fraction))
    if split_at in (0, len(images)):
        raise PipelineError(
            f"params.yaml: preprocess.validation_fraction = {fraction} leaves an empty "
            f"split of {len(images)} examples; choose a value between 0 and 1"
        )
    return (images[:split_at], labels[:split_at]), (images[split_at:], labels[split_at:])


def to_tensors(images):
    """Scale uint8 pixels to float32 in [0, 1]; return the flat and channel layouts."""
    scaled = images.astype(np.float32) / 255.0
    return {"flat": scaled.reshape(len(images), -1), "channel": scaled[..., np.newaxis]}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Turn IDX files into train/val/test tensors.")
    parser.add_argument("--raw", required=True, help="folder holding the downloaded .gz files")
    parser.add_argument("--out", required=True, help="folder to write the .npy tensors to")
    args = parser.parse_args(argv)
    params = load_params(["data", "preprocess"])
    dataset = get_dataset(params["data"]["dataset"])
    files = {role: Path(args.raw, name) for role, (name, _) in dataset.files.items()}

    settings = params["preprocess"]
    train, val = validation_split(
        *load_split(files["train_images"], files["train_labels"], settings["max_examples"]),
        settings["validation_fraction"],
    )
    test = load_split(files["test_images"], files["test_labels"], settings["max_examples"])
    for split, (images, labels) in {"train": train, "val": val, "test": test}.items():
        for layout, tensor in to_tensors(images).items():
            save_array(Path(args.out, f"{split}_{layout}.npy"), tensor)
        save_array(Path(args.out, f"{split}_labels.npy"), labels)
        print(f"{split}: {len(labels)} examples")


if __name__ == "__main__":
    run_stage(main)
