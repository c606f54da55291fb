"""The MNIST-format datasets the pipeline knows: file names, digests and class names.

Digests are md5 of each file's *decompressed* content, so a mirror may recompress the
files (the offline mirror does) and still be verified.
"""

from dataclasses import dataclass

from stages import PipelineError

# The four roles every MNIST-format dataset fills, in IDX file order.
ROLES = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class Dataset:
    files: dict  # role -> (file name, md5 of decompressed content)
    class_names: tuple


DATASETS = {
    "mnist": Dataset(
        files={
            "train_images": ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"),
            "train_labels": ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"),
            "test_images": ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"),
            "test_labels": ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"),
        },
        class_names=tuple(str(digit) for digit in range(10)),
    ),
}


def get_dataset(name):
    try:
        return DATASETS[name]
    except KeyError:
        raise PipelineError(
            f"params.yaml: data.dataset = {name!r} is not a known dataset; "
            f"allowed values: {', '.join(sorted(DATASETS))}"
        ) from None
