"""Fetch a dataset's files from the first source that has them, verified by digest.

Sources are tried in order: $MNIST_MIRROR (a folder, or a file:// or http(s):// base
URL; the name is historical, it serves any dataset) when set, then the given mirrors.
Each file is written under a temporary name and renamed only once the md5 of its
decompressed content matches, so a failed or interrupted download leaves nothing behind.
"""

import contextlib
import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

from tqdm import tqdm

from dense_vs_cnn.core.errors import PipelineError

MIRROR_VARIABLE = "MNIST_MIRROR"
CHUNK_BYTES = 1 << 20


def file_url(source, name):
    """The URL of file `name` under `source`, a folder path or a base URL."""
    if urllib.parse.urlparse(source).scheme in ("http", "https", "file"):
        return source.rstrip("/") + "/" + name
    return Path(source, name).resolve().as_uri()


def decompressed_md5(path):
    digest = hashlib.md5()
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(url, md5, target, timeout):
    """Download `url` to `target` if its decompressed content has digest `md5`."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            size = response.headers.get("Content-Length")
            network = url.startswith("http")
            with tqdm(total=int(size) if size else None, unit="B", unit_scale=True,
                      desc=target.name, disable=None if network else True, leave=False) as progress:
                received = 0
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    progress.update(len(chunk))
            # http.client returns a short body without complaint when the server hangs up.
            if size and received != int(size):
                raise ValueError(f"connection closed after {received} of {size} bytes")
        actual = decompressed_md5(temporary)
        if actual != md5:
            raise ValueError(f"md5 of decompressed content is {actual}, expected {md5}")
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def describe(error, timeout):
    """A short reason for a failed fetch: 'HTTP 404 Not Found', a time-out, the digest."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout} s (download.timeout_seconds)"
    if isinstance(error, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"not a valid, complete gzip file ({error})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # 'Connection refused', 'No such file or directory'
    return str(error) or type(error).__name__


def download(files, sources, out_dir, timeout, offline_copy=("../shared/data/mnist", "")):
    """Fetch every (name, md5) in `files` into `out_dir`, trying `sources` in order.

    `offline_copy` (folder, how it gets there) is the example the error message gives.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, md5 in files:
        failures = []
        for source in sources:
            url = file_url(source, name)
            try:
                fetch_verified(url, md5, out_dir / name, timeout)
                print(f"{name}: verified, from {url}")
                break
            except (OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as error:
                failures.append(f"  - {url}: {describe(error, timeout)}")
        else:
            tried = "\n".join(failures) or "  (no source: no mirror listed and $MNIST_MIRROR unset)"
            folder, note = offline_copy
            raise PipelineError(
                f"could not fetch {name} from any source; tried:\n{tried}\n"
                f"Set {MIRROR_VARIABLE} to a folder or URL holding the dataset's four files, "
                f"e.g. `{MIRROR_VARIABLE}={folder} dvc repro`" + (f" ({note})." if note else ".")
            )


def sources_from(mirrors, environ):
    mirror = environ.get(MIRROR_VARIABLE, "").strip()
    return ([mirror] if mirror else []) + list(mirrors)
