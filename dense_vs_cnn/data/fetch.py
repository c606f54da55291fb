"""Fetch a dataset's files from the first source that has them, verified by digest.

Sources are tried in order: $MNIST_MIRROR (a folder, or a file:// or http(s):// base
URL; the name is historical, it serves any dataset) when set, then the given mirrors.
Each file is written under a temporary name and renamed only once the md5 of its
decompressed content matches, so a failed or interrupted download leaves nothing behind.

A mirror may be broken or hostile, so every source is bounded, and a failed one gives
way to the next:
- size: the decompressed size of each file is known (core/datasets.py). A source may send
  at most `compressed_limit(size)` bytes, and its content is decompressed no further than
  that size: an endless body or a gzip bomb costs a second, not gigabytes;
- time: each wait for the network lasts at most download.timeout_seconds, and one file
  from one source at most TRANSFER_TIMEOUTS times that: a source that trickles a byte a
  second is left, too;
- local files: only regular files inside the mirror folder are read; a device, a FIFO or
  a symbolic link out of the folder is refused before a byte is read;
- secrets: a URL's user and password are sent as HTTP basic auth (never on a redirect,
  which may lead to another host) and never shown: messages print `***@host`.
A disk that is full (or over quota, or read-only) stops the download at once: another
source would not help.
"""

import base64
import contextlib
import errno
import gzip
import hashlib
import http.client
import os
import signal
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

from tqdm import tqdm

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import atomic_path, open_regular

MIRROR_VARIABLE = "MNIST_MIRROR"
CHUNK_BYTES = 1 << 20
SCHEMES = ("http", "https", "file")  # and plain folder paths, which have no scheme
TRANSFER_TIMEOUTS = 10  # one file from one source: at most 10 x download.timeout_seconds
# Errors of our own disk, not of the source: no other source can help.
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


class TooSlow(Exception):
    """One file from one source took longer than its whole-transfer bound."""


def compressed_limit(size):
    """The most bytes a gzip file of `size` decompressed bytes may take.

    gzip grows incompressible data by a fraction of a percent; twice the size plus 1 MiB
    leaves room for any header while stopping a source that sends endlessly.
    """
    return 2 * size + CHUNK_BYTES


def shown(url):
    """`url` as messages print it: a user and password are replaced by ***."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def check_source(source):
    """Refuse a source this module cannot read, naming the ones it can."""
    parts = urllib.parse.urlsplit(source)
    if parts.scheme not in ("", *SCHEMES):
        raise PipelineError(
            f"mirror {shown(source)}: unsupported scheme {parts.scheme}://; a mirror (in ${MIRROR_VARIABLE} "
            "or download.mirrors) is a folder, or a file://, http:// or https:// URL"
        )
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as error:
        raise PipelineError(
            f"mirror {shown(source)}: not a valid URL ({error}); percent-encode any / : @ in its "
            "user and password (/ as %2F)"
        ) from None


def file_url(source, name):
    """The URL of file `name` under `source`, a folder path or a base URL, as messages show it."""
    if urllib.parse.urlsplit(source).scheme in SCHEMES:
        return source.rstrip("/") + "/" + name
    return Path(os.path.abspath(Path(source, name))).as_uri()  # abspath: no symbolic link followed


def _open_url(url, timeout):
    """urlopen `url`, sending the user and password it holds as basic auth, never in the URL."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return urllib.request.urlopen(url, timeout=timeout)
    host = parts.netloc.rpartition("@")[2]
    request = urllib.request.Request(urllib.parse.urlunsplit(parts._replace(netloc=host)))
    user, password = (urllib.parse.unquote(part or "") for part in (parts.username, parts.password))
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    # Unredirected: never sent on a redirect, which urllib would follow to any host with the header.
    request.add_unredirected_header("Authorization", f"Basic {token}")
    return urllib.request.urlopen(request, timeout=timeout)


def open_source(source, name, timeout):
    """Open file `name` of `source`; return (binary stream, size it announces or None)."""
    parts = urllib.parse.urlsplit(source)
    if parts.scheme in ("http", "https"):
        response = _open_url(source.rstrip("/") + "/" + name, timeout)
        size = response.headers.get("Content-Length")
        return response, int(size) if size and size.isdigit() else None
    folder = Path(urllib.request.url2pathname(parts.path) if parts.scheme == "file" else source)
    path = folder / name
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ValueError("a symbolic link to a file outside the mirror folder: refused without reading it")
    stream = open_regular(path)
    return stream, os.fstat(stream.fileno()).st_size


@contextlib.contextmanager
def time_limit(seconds):
    """Raise TooSlow when the block has run `seconds`, even while it waits on a socket.

    A socket time-out bounds each wait only; SIGALRM bounds the whole, including a server
    that sends its headers a byte at a time. Signals work in the main thread only, where
    the download stage runs; elsewhere each wait is still bounded by its time-out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TooSlow(f"took more than {seconds:g} s ({TRANSFER_TIMEOUTS} x download.timeout_seconds) "
                      "to send the file: stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def copy_bounded(stream, out, announced, limit, progress):
    """Copy `stream` to `out`, refusing more than `limit` bytes; return the number copied."""
    if announced is not None and announced > limit:
        raise ValueError(f"announces {announced:,} bytes, more than the file can take compressed "
                         f"(at most {limit:,}): not read")
    received = 0
    while chunk := stream.read(CHUNK_BYTES):
        received += len(chunk)
        if received > limit:
            raise ValueError(f"sent more than {limit:,} bytes, more than the file can take compressed: "
                             "stopped")
        out.write(chunk)
        progress.update(len(chunk))
    # http.client returns a short body without complaint when the server hangs up.
    if announced is not None and received != announced:
        raise ValueError(f"connection closed after {received} of {announced} bytes")
    return received


def decompressed_md5(path, size=None):
    """md5 of the decompressed content of gzip file `path`; stop once it exceeds `size` bytes."""
    digest, total = hashlib.md5(), 0
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            total += len(chunk)
            if size is not None and total > size:
                raise ValueError(f"decompresses to more than the {size:,} bytes the file has: stopped")
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(source, name, md5, size, temporary, timeout):
    """Copy file `name` of `source` to `temporary`; raise unless its decompressed content has digest `md5`."""
    network = urllib.parse.urlsplit(source).scheme in ("http", "https")
    with open(temporary, "wb") as out, time_limit(TRANSFER_TIMEOUTS * timeout):
        stream, announced = open_source(source, name, timeout)
        with stream, tqdm(total=announced, unit="B", unit_scale=True, desc=name,
                          disable=None if network else True, leave=False) as progress:
            copy_bounded(stream, out, announced, compressed_limit(size), progress)
    actual = decompressed_md5(temporary, size)
    if actual != md5:
        raise ValueError(f"md5 of decompressed content is {actual}, expected {md5}")


def describe(error, timeout):
    """A short reason for a failed fetch: 'HTTP 404 Not Found', a time-out, the digest."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s (download.timeout_seconds)"
    if isinstance(error, gzip.BadGzipFile):  # its own message quotes the file's first bytes
        return "not a valid, complete gzip file (it does not start as one)"
    if isinstance(error, (EOFError, zlib.error)):
        return f"not a valid, complete gzip file ({error})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # 'Connection refused', 'No such file or directory'
    return str(error) or type(error).__name__


FETCH_ERRORS = (OSError, ValueError, EOFError, zlib.error, http.client.HTTPException, TooSlow)


def download(files, sources, out_dir, timeout, offline_copy=("../shared/data/mnist", "")):
    """Fetch every (name, md5, decompressed size) in `files` into `out_dir`, trying `sources` in order.

    `offline_copy` (folder, how it gets there) is the example the error message gives.
    """
    for source in sources:
        check_source(source)
    for name, md5, size in files:
        failures = []
        with atomic_path(Path(out_dir, name)) as temporary:
            for source in sources:
                url = shown(file_url(source, name))
                try:
                    fetch_verified(source, name, md5, size, temporary, timeout)
                    print(f"{name}: verified, from {url}")
                    break
                except FETCH_ERRORS as error:
                    if getattr(error, "errno", None) in DISK_ERRNOS:
                        raise  # run_stage says it in one line
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
