import functools
import gzip
import hashlib
import http.server
import threading

import pytest

from stages import PipelineError
from stages.download import MIRROR_VARIABLE, download, sources_from

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def md5_of_content(path):
    return hashlib.md5(gzip.open(path).read()).hexdigest()


@pytest.fixture
def files(idx_files):
    """(name, md5 of decompressed content) for the synthetic IDX set."""
    return [(name, md5_of_content(idx_files / name)) for name in NAMES]


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 serving a folder; return its base URL."""
    servers = []

    def start(folder):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_downloads_and_verifies_from_http(idx_files, files, serve, tmp_path):
    out = tmp_path / "raw"
    download(files, [serve(idx_files)], out, timeout=5)
    assert sorted(path.name for path in out.iterdir()) == sorted(NAMES)
    for name, md5 in files:
        assert md5_of_content(out / name) == md5


def test_corrupted_mirror_falls_through_to_the_next(idx_files, files, serve, tmp_path):
    corrupted = tmp_path / "corrupted"
    corrupted.mkdir()
    for name in NAMES:  # valid gzip, wrong content
        with gzip.open(corrupted / name, "wb") as stream:
            stream.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    out = tmp_path / "raw"
    download(files, [serve(corrupted), serve(idx_files)], out, timeout=5)
    assert all(md5_of_content(out / name) == md5 for name, md5 in files)


def test_all_sources_failing_lists_them_and_leaves_nothing(idx_files, files, serve, tmp_path):
    corrupted = tmp_path / "corrupted"
    corrupted.mkdir()
    for name in NAMES:
        with gzip.open(corrupted / name, "wb") as stream:
            stream.write(b"not the right content")
    empty = tmp_path / "empty"
    empty.mkdir()
    corrupted_url, missing_url = serve(corrupted), serve(empty)
    out = tmp_path / "raw"
    with pytest.raises(PipelineError) as error:
        download(files, [corrupted_url, missing_url], out, timeout=5)
    message = str(error.value)
    assert f"{corrupted_url}train-images-idx3-ubyte.gz: md5 of decompressed content" in message
    assert f"{missing_url}train-images-idx3-ubyte.gz" in message and "404" in message
    assert MIRROR_VARIABLE in message
    assert list(out.iterdir()) == []  # no partial or unverified file


def test_local_folder_and_file_url_are_sources(idx_files, files, tmp_path):
    download(files, [str(idx_files)], tmp_path / "from_folder", timeout=5)
    download(files, [idx_files.as_uri()], tmp_path / "from_url", timeout=5)
    for name, _ in files:
        assert (tmp_path / "from_folder" / name).read_bytes() == (idx_files / name).read_bytes()
        assert (tmp_path / "from_url" / name).exists()


def test_environment_mirror_comes_first():
    assert sources_from(["https://a/"], {MIRROR_VARIABLE: "/data/mnist"}) == ["/data/mnist", "https://a/"]
    assert sources_from(["https://a/"], {}) == ["https://a/"]
