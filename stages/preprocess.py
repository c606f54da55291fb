"""Stage preprocess: parse the IDX files, split off validation, scale, write tensors.

Reads: the raw folder (--raw, data/raw in dvc.yaml).
Writes: into --out (data/prepared), for each split (train, val, test):
  <split>_flat.npy (N, 784) and <split>_channel.npy (N, 28, 28, 1), the raw uint8 pixels
  (the stages that read them scale them to float32 in [0, 1]), and <split>_labels.npy (N,) uint8.
Params: data.dataset (file names), preprocess.validation_fraction and max_examples.
"""

import argparse
from pathlib import Path

from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.files import save_array
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.data.prepare import load_split, to_tensors, validation_split


def main(argv=None):
    parser = argparse.ArgumentParser(description="Turn IDX files into train/val/test tensors.")
    parser.add_argument("--raw", required=True, help="folder holding the downloaded .gz files")
    parser.add_argument("--out", required=True, help="folder to write the .npy tensors to")
    args = parser.parse_args(argv)
    params = load_params()
    dataset = get_dataset(params.data.dataset)
    files = {role: Path(args.raw, name) for role, (name, _) in dataset.files.items()}

    settings = params.preprocess
    train, val = validation_split(
        *load_split(files["train_images"], files["train_labels"], settings.max_examples),
        settings.validation_fraction,
    )
    test = load_split(files["test_images"], files["test_labels"], settings.max_examples)
    for split, (images, labels) in {"train": train, "val": val, "test": test}.items():
        for layout, tensor in to_tensors(images).items():
            save_array(Path(args.out, f"{split}_{layout}.npy"), tensor)
        save_array(Path(args.out, f"{split}_labels.npy"), labels)
        print(f"{split}: {len(labels)} examples")


if __name__ == "__main__":
    run_stage(main)
