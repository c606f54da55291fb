"""From IDX files to the tensors the models train on: split off validation, reshape.

The validation set is the *last* fraction of the training files, exactly what Keras'
`fit(validation_split=0.1)` in the notebook held out.
"""

import numpy as np

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.idx import read_idx


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
    """The flat and channel layouts of uint8 images, still uint8: the stages that read them
    scale them when loading (dense_vs_cnn/core/checks.py `load_images`), so the files are 8
    times smaller than float32 and DVC's cache can hold plain copies, never links."""
    return {"flat": images.reshape(len(images), -1), "channel": images[..., np.newaxis]}
