"""Stage download: fetch the dataset's four IDX .gz files and verify their digests.

Writes: the output folder given by --out (data/raw in dvc.yaml).
Params: data.dataset (which files, digests and public mirrors); download.* (where to
look and how long to wait: not DVC params, since the digests, not the mirror, decide
the content). Sources: $MNIST_MIRROR, download.mirrors, then the dataset's public
mirrors (dense_vs_cnn/core/datasets.py); see dense_vs_cnn/data/fetch.py for how each
source is bounded (size, 10 x download.timeout_seconds per file) and checked.
"""

import argparse
import os

from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import run_stage
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.data.fetch import download, sources_from


def main(argv=None):
    parser = argparse.ArgumentParser(description="Download and verify the dataset's IDX files.")
    parser.add_argument("--out", required=True, help="folder to write the .gz files to")
    args = parser.parse_args(argv)
    params = load_params()
    dataset = get_dataset(params.data.dataset)
    settings = params.download
    mirrors = settings.mirrors + (list(dataset.mirrors) if settings.public_mirrors else [])
    download(
        files=dataset.downloads(),
        sources=sources_from(mirrors, os.environ),
        out_dir=args.out,
        timeout=settings.timeout_seconds,
        offline_copy=(dataset.offline_copy, dataset.offline_note),
    )


if __name__ == "__main__":
    run_stage(main)
