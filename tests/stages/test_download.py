"""The download stage in a user's terminal: tqdm draws each file's progress bar (stderr stays the
terminal: TensorFlow's notice filter never runs in this stage). The real MNIST files, served by a
real HTTP server on 127.0.0.1 (tqdm draws for the network only: a local copy takes no time)."""

import functools
import http.server
import re
import shutil
import sys
import threading

import pytest

from dense_vs_cnn.data.fetch import MIRROR_VARIABLE
from tests.conftest import MNIST_MIRROR, PROJECT, have_mirror, in_a_terminal, set_params


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror_url():
    handler = functools.partial(QuietHandler, directory=str(MNIST_MIRROR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(not have_mirror(), reason=f"no MNIST mirror at {MNIST_MIRROR}; set MNIST_MIRROR")
def test_the_progress_bar_draws_in_a_terminal(mirror_url, tmp_path):
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    set_params(tmp_path / "params.yaml", {"download.public_mirrors": False})
    shown = in_a_terminal([sys.executable, "-m", "stages.download", "--out", "data/raw"], tmp_path,
                          env={MIRROR_VARIABLE: mirror_url, "PYTHONPATH": str(PROJECT)})
    # tqdm's bar: the file's name, a percentage, the bar, and the bytes received of the 9.63 MB it takes.
    assert re.search(r"train-images-idx3-ubyte\.gz: +\d+%\|.*\| [\d.]+[kM]?/9\.63M \[", shown), shown
    assert f"train-images-idx3-ubyte.gz: verified, from {mirror_url}train-images-idx3-ubyte.gz" in shown
    assert len(list((tmp_path / "data" / "raw").iterdir())) == 4
