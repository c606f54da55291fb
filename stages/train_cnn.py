"""Stage train_cnn: train the notebook's convolutional network on channel images.

One run per entry of `seeds` (a `matrix` stage in dvc.yaml: train_cnn@3, ...).
Reads: the channel train and validation tensors and labels (paths in dvc.yaml).
Writes: the model (.keras) and its per-epoch history (CSV, epochs numbered from 1); logs
the wall time of training outside DVC and git (timings/, see dense_vs_cnn/model/train_stage.py).
Params: --seed (an entry of `seeds`), data.dataset (number of classes), train.distribution, train_cnn.*
(architecture: filters, kernel_size, pool_size, dense_units, activation; optimisation:
the rest).
"""

from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.model.train_stage import train_stage


def main(argv=None):
    train_stage("train_cnn", "cnn", argv)


if __name__ == "__main__":
    run_stage(main)
