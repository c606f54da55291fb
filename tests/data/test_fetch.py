import base64
import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import stat
import sys
import threading
import time
import urllib.parse

import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.fetch import MIRROR_VARIABLE, compressed_limit, download, sources_from
from tests.conftest import PROJECT, can_mount_tmpfs, run, run_on_tmpfs, set_params

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
USER, PASSWORD = "reader", "p@ss:w/rd"  # every character a URL must percent-encode
QUOTED_PASSWORD = "p%40ss%3Aw%2Frd"


def md5_of_content(path):
    return hashlib.md5(gzip.open(path).read()).hexdigest()


@pytest.fixture
def files(idx_files):
    """(name, md5 and size of the decompressed content) for the synthetic IDX set."""
    return [(name, md5_of_content(idx_files / name), len(gzip.open(idx_files / name).read()))
            for name in NAMES]


@functools.cache
def gzip_bomb(decompressed_bytes):
    """A valid gzip file (concatenated members) of zeros: about 1,000 times smaller than its content."""
    member = gzip.compress(bytes(8 << 20), compresslevel=9)
    return member * (decompressed_bytes // (8 << 20))


class FaultyHandler(http.server.SimpleHTTPRequestHandler):
    """Serves its folder, except the paths whose first part names a fault (see do_GET)."""

    def do_GET(self):
        self.server.requests.append(self.path)
        fault, _, name = self.path.strip("/").partition("/")
        good = self.directory_path / "good" / name
        if fault == "error":
            self.send_error(500)
        elif fault == "dropped":  # announces the whole file, sends half, hangs up
            self.send_body(good.read_bytes(), len(good.read_bytes()) // 2)
        elif fault in ("endless", "huge"):  # zeros until the client leaves (HTTP/1.0: no length needed)
            self.send_response(200)
            if fault == "huge":
                self.send_header("Content-Length", str(10**12))
            self.end_headers()
            self.write_for(seconds=30, pause=0, data=bytes(1 << 16))
        elif fault == "trickle":  # the whole response, headers too, a byte at a time
            header = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % good.stat().st_size
            response = header + good.read_bytes()
            self.write_for(seconds=8, pause=0.05, data=response, one_byte=True)
        elif fault == "private":  # basic auth, as a private artifact server asks for
            expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send_error(401)
            else:
                self.send_body(good.read_bytes())
        elif fault == "redirect":  # to the same file elsewhere: that request must not carry the password
            self.send_response(302)
            self.send_header("Location", f"/private/{name}")
            self.end_headers()
        else:
            super().do_GET()

    def send_body(self, body, send=None):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:send])

    def write_for(self, seconds, pause, data, one_byte=False):
        """Write `data` (or zeros) for at most `seconds`: a test of the old code ends, too."""
        deadline = time.monotonic() + seconds
        pieces = [data[i:i + 1] for i in range(len(data))] if one_byte else iter(lambda: data, None)
        try:
            for piece in pieces:
                if time.monotonic() > deadline:
                    break
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client left: what the bounds are for

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 serving a folder; return its base URL.

    `serve.requests(url)` lists the paths that server was asked for.
    """
    servers = {}

    def start(folder):
        handler = functools.partial(FaultyHandler, directory=str(folder))
        handler.func.directory_path = folder
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.requests = []
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        servers[url] = server
        return url

    start.requests = lambda url: servers[url].requests
    yield start
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def sources(idx_files, serve, tmp_path):
    """Base URLs of a good mirror and of one mirror per fault, all on 127.0.0.1."""
    root = tmp_path / "mirror"
    shutil.copytree(idx_files, root / "good")
    for fault in ("corrupted", "truncated", "bomb"):
        (root / fault).mkdir()
    for name in NAMES:
        with gzip.open(root / "corrupted" / name, "wb") as stream:  # valid gzip, wrong content
            stream.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
        content = (idx_files / name).read_bytes()
        (root / "truncated" / name).write_bytes(content[: len(content) // 2])
        (root / "bomb" / name).write_bytes(gzip_bomb(1 << 29))  # 512 MiB of zeros in 0.5 MB
    base = serve(root)
    # Accepts connections (the kernel does, into the backlog) and never answers.
    stalled = socket.create_server(("127.0.0.1", 0))
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refused_port = closed.getsockname()[1]
    faults = ("good", "corrupted", "truncated", "missing", "error", "dropped", "endless", "huge", "bomb",
              "trickle", "redirect")
    urls = {fault: base + fault + "/" for fault in faults}
    urls["private"] = base.replace("http://", f"http://{USER}:{QUOTED_PASSWORD}@") + "private/"
    urls["stalled"] = f"http://127.0.0.1:{stalled.getsockname()[1]}/"
    urls["refused"] = f"http://127.0.0.1:{refused_port}/"
    yield urls
    stalled.close()


# download.timeout_seconds where a fault may be the stalled source, which costs that long.
TIMEOUT = 0.5
# What the user reads for each fault, after the file's URL.
REASONS = {
    "corrupted": "md5 of decompressed content is",
    "truncated": "not a valid, complete gzip file (Compressed file ended before the end-of-stream",
    "missing": "HTTP 404 File not found",
    "error": "HTTP 500 Internal Server Error",
    "dropped": "connection closed after",
    "stalled": f"no answer within {TIMEOUT:g} s (download.timeout_seconds)",
    "refused": "Connection refused",
    "endless": "sent more than ",
    "huge": "announces 1,000,000,000,000 bytes, more than the file can take compressed (at most ",
    "bomb": "decompresses to more than the ",
}


def test_downloads_and_verifies_from_http(idx_files, files, serve, tmp_path):
    out = tmp_path / "raw"
    download(files, [serve(idx_files)], out, timeout=5)
    assert sorted(path.name for path in out.iterdir()) == sorted(NAMES)
    for name, md5, _ in files:
        assert md5_of_content(out / name) == md5


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_a_faulty_mirror_falls_through_to_the_next(files, sources, tmp_path, fault):
    out = tmp_path / "raw"
    download(files[:1], [sources[fault], sources["good"]], out, timeout=TIMEOUT)
    [(name, md5, _)] = files[:1]
    assert [path.name for path in out.iterdir()] == [name]  # no temporary file left
    assert md5_of_content(out / name) == md5


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_a_faulty_mirror_alone_is_reported_and_leaves_nothing(files, sources, tmp_path, fault):
    out = tmp_path / "raw"
    with pytest.raises(PipelineError) as error:
        download(files, [sources[fault]], out, timeout=TIMEOUT)
    assert f"- {sources[fault]}train-images-idx3-ubyte.gz: {REASONS[fault]}" in str(error.value)
    assert list(out.iterdir()) == []  # no partial or unverified file


def test_a_source_is_bounded_in_size_and_time(files, sources, tmp_path):
    """An endless body and a gzip bomb cost what the file can be, not gigabytes; a trickle is cut off."""
    [(name, _, size)] = files[:1]
    for fault, seconds in (("endless", 2), ("bomb", 2)):
        start = time.monotonic()
        with pytest.raises(PipelineError, match=REASONS[fault]):
            download(files[:1], [sources[fault]], tmp_path / fault, timeout=1)
        assert time.monotonic() - start < seconds, fault
    with pytest.raises(PipelineError) as error:
        download(files[:1], [sources["endless"]], tmp_path / "endless", timeout=1)
    assert f"sent more than {compressed_limit(size):,} bytes" in str(error.value)

    # One byte every 0.05 s: each read is answered well within timeout (0.2 s), the whole never ends.
    start = time.monotonic()
    with pytest.raises(PipelineError) as error:
        download(files[:1], [sources["trickle"]], tmp_path / "trickle", timeout=0.2)
    assert (f"{sources['trickle']}{name}: took more than 2 s (10 x download.timeout_seconds) to send the "
            "file: stopped") in str(error.value)
    assert time.monotonic() - start < 4
    assert list((tmp_path / "trickle").iterdir()) == []


def test_credentials_are_sent_as_basic_auth_and_never_shown(files, sources, serve, tmp_path, capsys):
    download(files[:1], [sources["private"]], tmp_path / "raw", timeout=5)
    printed = capsys.readouterr().out
    assert f"from http://***@127.0.0.1:{urllib.parse.urlsplit(sources['good']).port}/private/" in printed
    assert QUOTED_PASSWORD not in printed and USER not in printed

    secret_missing = sources["missing"].replace("http://", f"http://{USER}:{QUOTED_PASSWORD}@")
    with pytest.raises(PipelineError) as error:
        download(files[:1], [secret_missing, f"s3://{USER}:{QUOTED_PASSWORD}@bucket/mnist/"], tmp_path / "x",
                 timeout=5)
    with pytest.raises(PipelineError) as refused:
        download(files[:1], [secret_missing], tmp_path / "y", timeout=5)
    for message in (str(error.value), str(refused.value)):
        assert QUOTED_PASSWORD not in message and PASSWORD not in message and USER not in message
    assert "- http://***@127.0.0.1:" in str(refused.value) and "HTTP 404" in str(refused.value)

    # A redirect does not carry the password along (urllib would copy an ordinary header).
    secret_redirect = sources["redirect"].replace("http://", f"http://{USER}:{QUOTED_PASSWORD}@")
    with pytest.raises(PipelineError, match="HTTP 401"):
        download(files[:1], [secret_redirect], tmp_path / "z", timeout=5)


def test_unknown_scheme_is_refused_naming_the_supported_ones(files, tmp_path):
    with pytest.raises(PipelineError) as error:
        download(files, ["s3://bucket/mnist/", str(tmp_path)], tmp_path / "raw", timeout=5)
    assert str(error.value) == (
        "mirror s3://bucket/mnist/: unsupported scheme s3://; a mirror (in $MNIST_MIRROR or "
        "download.mirrors) is a folder, or a file://, http:// or https:// URL")
    assert not (tmp_path / "raw").exists()  # refused before anything was tried


def test_local_folder_and_file_url_are_sources(idx_files, files, tmp_path):
    download(files, [str(idx_files)], tmp_path / "from_folder", timeout=5)
    download(files, [idx_files.as_uri()], tmp_path / "from_url", timeout=5)
    for name, _, _ in files:
        assert (tmp_path / "from_folder" / name).read_bytes() == (idx_files / name).read_bytes()
        assert (tmp_path / "from_url" / name).exists()


def fetch_one_from_folder(files, folder, out):
    """download() of the first file from `folder` alone: the reason it gives, and how long it took."""
    start = time.monotonic()
    with pytest.raises(PipelineError) as error:
        download(files[:1], [str(folder)], out, timeout=1)
    assert list(out.iterdir()) == []
    return str(error.value).splitlines()[1], time.monotonic() - start


def test_a_fifo_in_the_mirror_folder_is_refused_at_once(files, tmp_path):
    folder = tmp_path / "mirror"
    folder.mkdir()
    os.mkfifo(folder / NAMES[0])

    def writer():  # the old code waited for a writer forever: give it one after 3 s
        time.sleep(3)
        try:
            descriptor = os.open(folder / NAMES[0], os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return  # no reader: refused at once, as it should be
        os.write(descriptor, b"not gzip")
        os.close(descriptor)

    threading.Thread(target=writer, daemon=True).start()
    reason, seconds = fetch_one_from_folder(files, folder, tmp_path / "raw")
    assert reason.endswith(f"{NAMES[0]}: a FIFO (named pipe), not a regular file: refused without reading it")
    assert seconds < 1


def test_a_device_in_the_mirror_folder_is_refused_at_once(files, tmp_path):
    """A character device node (/dev/null's numbers; /dev/zero is the same kind and never ends)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    try:
        os.mknod(folder / NAMES[0], stat.S_IFCHR | 0o644, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD)")
    reason, _ = fetch_one_from_folder(files, folder, tmp_path / "raw")
    assert reason.endswith(f"{NAMES[0]}: a character device, not a regular file: refused without reading it")


def test_a_symlink_out_of_the_mirror_folder_is_not_read(idx_files, files, tmp_path):
    folder, outside = tmp_path / "mirror", tmp_path / "private"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET TOKEN")
    (folder / NAMES[0]).symlink_to(outside / "secret.txt")
    reason, _ = fetch_one_from_folder(files, folder, tmp_path / "raw")
    assert reason.endswith(f"{NAMES[0]}: a symbolic link to a file outside the mirror folder: refused "
                           "without reading it")
    assert "SE" not in reason and "secret" not in reason  # neither its first bytes nor where it points

    # A link that stays inside the folder is an ordinary file of the mirror.
    shutil.copy(idx_files / NAMES[0], folder / "original.gz")
    (folder / NAMES[0]).unlink()
    (folder / NAMES[0]).symlink_to("original.gz")
    download(files[:1], [str(folder)], tmp_path / "ok", timeout=1)
    assert (tmp_path / "ok" / NAMES[0]).read_bytes() == (idx_files / NAMES[0]).read_bytes()


def stage_params(tmp_path, mirrors, timeout=1):
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    set_params(tmp_path / "params.yaml", {"download.mirrors": mirrors, "download.timeout_seconds": timeout,
                                          "download.public_mirrors": False})


def test_stage_lists_every_source_tried_and_how_to_set_the_mirror(sources, tmp_path):
    """The real stage, every fault at once: exit 1, one message, nothing in data/raw."""
    faults = sorted(REASONS)
    stage_params(tmp_path, [sources[fault] for fault in faults[1:]], timeout=TIMEOUT)
    result = run([sys.executable, "-m", "stages.download", "--out", "data/raw"], cwd=tmp_path, check=False,
                 env={MIRROR_VARIABLE: sources[faults[0]], "PYTHONPATH": str(PROJECT)})
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: could not fetch train-images-idx3-ubyte.gz from any source; tried:\n"
    )
    for fault in faults:
        assert f"  - {sources[fault]}train-images-idx3-ubyte.gz: {REASONS[fault]}" in result.stderr
    assert result.stderr.rstrip().endswith(
        f"Set {MIRROR_VARIABLE} to a folder or URL holding the dataset's four files, "
        f"e.g. `{MIRROR_VARIABLE}=../shared/data/mnist dvc repro` (the offline copy beside the project)."
    )
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "data" / "raw").iterdir()) == []


@pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a tmpfs here (unshare -rm)")
def test_a_full_disk_stops_the_download_at_once(sources, serve, idx_files, tmp_path):
    """A real 16 KiB tmpfs fills up during the first file: one line, no other mirror tried."""
    second = serve(idx_files)
    stage_params(tmp_path, [second])
    (tmp_path / "disk").mkdir()
    result = run_on_tmpfs([sys.executable, "-m", "stages.download", "--out", str(tmp_path / "disk" / "raw")],
                          tmp_path / "disk", cwd=tmp_path, size="16k",
                          env={MIRROR_VARIABLE: sources["good"], "PYTHONPATH": str(PROJECT)})
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "error: no space left on device ([Errno 28] No space left on device): free some disk space, "
        "then run `dvc repro` again"]
    assert serve.requests(second) == []  # no other mirror: it would not have helped
    assert result.left == ["raw"]  # the folder, and not a byte of a file


def test_environment_mirror_comes_first():
    assert sources_from(["https://a/"], {MIRROR_VARIABLE: "/data/mnist"}) == ["/data/mnist", "https://a/"]
    assert sources_from(["https://a/"], {}) == ["https://a/"]
