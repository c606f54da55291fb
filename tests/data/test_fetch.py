import functools
import gzip
import hashlib
import http.server
import shutil
import socket
import sys
import threading

import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.data.fetch import MIRROR_VARIABLE, download, sources_from
from tests.conftest import PROJECT, run, set_params

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def md5_of_content(path):
    return hashlib.md5(gzip.open(path).read()).hexdigest()


@pytest.fixture
def files(idx_files):
    """(name, md5 of decompressed content) for the synthetic IDX set."""
    return [(name, md5_of_content(idx_files / name)) for name in NAMES]


class FaultyHandler(http.server.SimpleHTTPRequestHandler):
    """Serves its folder, except /error/... (HTTP 500) and /dropped/... (closes mid-body)."""

    def do_GET(self):
        fault, _, name = self.path.strip("/").partition("/")
        if fault == "error":
            self.send_error(500)
        elif fault == "dropped":
            body = (self.directory_path / "good" / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])  # then HTTP/1.0 closes the connection
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 serving a folder; return its base URL."""
    servers = []

    def start(folder):
        handler = functools.partial(FaultyHandler, directory=str(folder))
        handler.func.directory_path = folder
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sources(idx_files, serve, tmp_path):
    """Base URLs of a good mirror and of one mirror per fault, all on 127.0.0.1."""
    root = tmp_path / "mirror"
    shutil.copytree(idx_files, root / "good")
    for fault in ("corrupted", "truncated"):
        (root / fault).mkdir()
    for name in NAMES:
        with gzip.open(root / "corrupted" / name, "wb") as stream:  # valid gzip, wrong content
            stream.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
        content = (idx_files / name).read_bytes()
        (root / "truncated" / name).write_bytes(content[: len(content) // 2])
    base = serve(root)
    # Accepts connections (the kernel does, into the backlog) and never answers.
    stalled = socket.create_server(("127.0.0.1", 0))
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refused_port = closed.getsockname()[1]
    yield {
        "good": base + "good/",
        "corrupted": base + "corrupted/",
        "truncated": base + "truncated/",
        "missing": base + "missing/",
        "error": base + "error/",
        "dropped": base + "dropped/",
        "stalled": f"http://127.0.0.1:{stalled.getsockname()[1]}/",
        "refused": f"http://127.0.0.1:{refused_port}/",
    }
    stalled.close()


# What the user reads for each fault, after the file's URL.
REASONS = {
    "corrupted": "md5 of decompressed content is",
    "truncated": "not a valid, complete gzip file (Compressed file ended before the end-of-stream",
    "missing": "HTTP 404 File not found",
    "error": "HTTP 500 Internal Server Error",
    "dropped": "connection closed after",
    "stalled": "no answer within 1 s (download.timeout_seconds)",
    "refused": "Connection refused",
}


def test_downloads_and_verifies_from_http(idx_files, files, serve, tmp_path):
    out = tmp_path / "raw"
    download(files, [serve(idx_files)], out, timeout=5)
    assert sorted(path.name for path in out.iterdir()) == sorted(NAMES)
    for name, md5 in files:
        assert md5_of_content(out / name) == md5


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_a_faulty_mirror_falls_through_to_the_next(files, sources, tmp_path, fault):
    out = tmp_path / "raw"
    download(files[:1], [sources[fault], sources["good"]], out, timeout=1)
    [(name, md5)] = files[:1]
    assert [path.name for path in out.iterdir()] == [name]  # no temporary file left
    assert md5_of_content(out / name) == md5


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_a_faulty_mirror_alone_is_reported_and_leaves_nothing(files, sources, tmp_path, fault):
    out = tmp_path / "raw"
    with pytest.raises(PipelineError) as error:
        download(files, [sources[fault]], out, timeout=1)
    assert f"- {sources[fault]}train-images-idx3-ubyte.gz: {REASONS[fault]}" in str(error.value)
    assert list(out.iterdir()) == []  # no partial or unverified file


def test_stage_lists_every_source_tried_and_how_to_set_the_mirror(sources, tmp_path):
    """The real stage, every fault at once: exit 1, one message, nothing in data/raw."""
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    faults = sorted(REASONS)
    set_params(tmp_path / "params.yaml", {"download.mirrors": [sources[fault] for fault in faults[1:]],
                                          "download.timeout_seconds": 1, "download.public_mirrors": False})
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


def test_local_folder_and_file_url_are_sources(idx_files, files, tmp_path):
    download(files, [str(idx_files)], tmp_path / "from_folder", timeout=5)
    download(files, [idx_files.as_uri()], tmp_path / "from_url", timeout=5)
    for name, _ in files:
        assert (tmp_path / "from_folder" / name).read_bytes() == (idx_files / name).read_bytes()
        assert (tmp_path / "from_url" / name).exists()


def test_environment_mirror_comes_first():
    assert sources_from(["https://a/"], {MIRROR_VARIABLE: "/data/mnist"}) == ["/data/mnist", "https://a/"]
    assert sources_from(["https://a/"], {}) == ["https://a/"]
