"""Stage train_dense: train the notebook's fully connected network on flat images.

Reads: the flat train and validation tensors and labels (paths in dvc.yaml).
Writes: the model (.keras), its per-epoch history (CSV) and training time (JSON).
Params: seed, data.dataset (number of classes), train_dense.* (architecture: units,
activation; optimisation: the rest).
"""

from stages import run_stage
from stages.training import train_stage


def main(argv=None):
    train_stage("train_dense", "dense", argv)


if __name__ == "__main__":
    run_stage(main)
