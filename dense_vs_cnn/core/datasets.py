"""The MNIST-format datasets the pipeline knows: files, digests, class names, mirrors.

Digests are md5 of each file's *decompressed* content, so a mirror may recompress the
files (the offline MNIST mirror and Debian's dataset-fashion-mnist package both do) and
still be verified. Each dataset carries its own public mirrors, so `data.dataset` is the
only thing a user changes to switch; params.yaml's download.mirrors adds the user's own.
"""

from dataclasses import dataclass

from dense_vs_cnn.core.errors import PipelineError

# The four roles every MNIST-format dataset fills, in IDX file order.
ROLES = ("train_images", "train_labels", "test_images", "test_labels")

# Every MNIST-format dataset holds 60,000 training and 10,000 test images of 28x28 pixels.
IMAGE_SIZE = 28
EXAMPLES = {"train": 60_000, "test": 10_000}
# The size of each file once decompressed: an IDX header (4 bytes, then 4 per dimension) and
# one byte per pixel or label. A download stops reading a source that sends more.
DECOMPRESSED_BYTES = {
    "train_images": 16 + EXAMPLES["train"] * IMAGE_SIZE**2,
    "train_labels": 8 + EXAMPLES["train"],
    "test_images": 16 + EXAMPLES["test"] * IMAGE_SIZE**2,
    "test_labels": 8 + EXAMPLES["test"],
}

# Both datasets use the same four file names; the digests tell them apart.
FILE_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class Dataset:
    display_name: str  # as its authors write it, for the report's title
    files: dict  # role -> (file name, md5 of decompressed content)
    class_names: tuple
    mirrors: tuple  # public base URLs, tried after $MNIST_MIRROR and download.mirrors
    offline_copy: str  # a folder that usually holds a local copy: the "no source worked" hint
    offline_note: str  # how that folder gets there

    def downloads(self):
        """(file name, md5, decompressed size in bytes) of each file, as data/fetch.py takes them."""
        return [(name, md5, DECOMPRESSED_BYTES[role]) for role, (name, md5) in self.files.items()]


def _files(digests):
    return {role: (FILE_NAMES[role], digests[role]) for role in ROLES}


DATASETS = {
    "mnist": Dataset(
        display_name="MNIST",
        files=_files({
            "train_images": "6bbc9ace898e44ae57da46a324031adb",
            "train_labels": "a25bea736e30d166cdddb491f175f624",
            "test_images": "2646ac647ad5339dbf082846283269ea",
            "test_labels": "27ae3e4e09519cfbb04c329615203637",
        }),
        class_names=tuple(str(digit) for digit in range(10)),
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        offline_copy="../shared/data/mnist",
        offline_note="the offline copy beside the project",
    ),
    # Zalando Research's drop-in replacement for MNIST: same sizes, 10 clothing classes.
    "fashion_mnist": Dataset(
        display_name="Fashion-MNIST",
        files=_files({
            "train_images": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "train_labels": "9018921c3c673c538a1fc5bad174d6f9",
            "test_images": "8181f5470baa50b63fa0f6fddb340f0a",
            "test_labels": "15d484375f8d13e6eb1aabb0c3f46965",
        }),
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        mirrors=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        offline_copy="/usr/share/datasets/fashion-mnist",
        offline_note="`apt-get install dataset-fashion-mnist` puts the files there",
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
