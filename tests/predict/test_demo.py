"""digits-demo: the real server in a subprocess on 127.0.0.1, driven by a real headless Chromium
and by raw sockets that play a hostile network (silent, trickling, oversized, cross-site).

Tests of the time and size limits run the real app on a real uvicorn server in a thread of
this process, with limits of a few seconds; the command's own limits are checked too. Tests of
another project folder (Fashion-MNIST, a model replaced on disk) set the server up with the
command's own code (`serve`) in a thread of this process, which has TensorFlow loaded already. The
browser tests need the `demo` and `browser-tests` extras and Debian's chromium
(`apt-get install chromium`); they skip, saying which is missing, where there is none.
Set DEMO_SCREENSHOT=path/to/file.png to keep a copy of the page with a drawn digit.
"""

import contextlib
import hashlib
import http.client
import io
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.predict import images
from dense_vs_cnn.predict.cli import main as predict
from dense_vs_cnn.predict.images import load_gray, to_mnist
from tests.conftest import PROJECT
from tests.predict.test_cli import draw_digits
from tests.predict.test_images import sixteen_bit_bomb

pytest.importorskip("starlette", reason='digits-demo needs the demo extra: pip install -e ".[demo]"')
from dense_vs_cnn.predict.demo import (  # noqa: E402  (after the skip: needs the demo extra)
    MAX_PIXELS,
    MAX_UPLOAD,
    Limits,
    create_app,
    listening_socket,
    make_server,
    serve,
)

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that would reach the internet (component updates, first-run pings).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
START_TIMEOUT = 180  # seconds: TensorFlow's import and the models' loading, on a busy 2-core machine
ANSWER = re.compile(r"^answered in \d+ ms$")

# A 7, stroke by stroke, in fractions of the canvas: the bar, then the stem.
SEVEN = [[(0.22, 0.22), (0.5, 0.21), (0.78, 0.22)], [(0.78, 0.22), (0.62, 0.5), (0.48, 0.82)]]


@contextlib.contextmanager
def demo_server(folder, *arguments):
    """Start digits-demo in `folder` on a free port; once it listens, yield (url, console, process)."""
    console = folder / f"demo-console-{time.monotonic_ns()}.txt"
    with console.open("w") as output:
        command = [sys.executable, "-m", "dense_vs_cnn.predict.demo", "--port", "0", *arguments]
        process = subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT, text=True,
                                   env=dict(os.environ, PYTHONPATH=str(PROJECT)))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (match := re.search(r"open (http://\S+) in a browser", console.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"digits-demo did not start:\n{console.read_text()}")
            time.sleep(0.2)
        yield match.group(1), console, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        console.unlink()


class Silent:
    """A connection that sends nothing, opened now: a thread notes what the server sends and
    when it closes it, while the module's other tests run (its header time is 10 s of waiting)."""

    def __init__(self, port):
        self.opened, self.closed, self.received = time.monotonic(), None, b""
        sock = connect(port)
        self.thread = threading.Thread(target=self.read, args=(sock,), daemon=True)
        self.thread.start()

    def read(self, sock):
        self.received = read_all(sock, timeout=Limits().header_seconds + 10)
        self.closed = time.monotonic()


@pytest.fixture(scope="module")
def demo(project):
    """digits-demo run in the project: its url, console file, process, port, and a silent
    connection opened as it started."""
    with demo_server(project) as (url, console, process):
        assert url.startswith("http://127.0.0.1:")  # this machine only, unless --host says otherwise
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        yield types.SimpleNamespace(url=url, console=console, process=process, port=port, silent=Silent(port))


@pytest.fixture(scope="module")
def server(demo):
    return demo.url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason='no Playwright: pip install -e ".[demo,browser-tests]"')
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def open_page(browser, url):
    """The demo's page; on leaving, checks that it asked nothing of any other host and threw nothing."""
    page = browser.new_page(viewport={"width": 1100, "height": 720})
    requested, thrown = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: thrown.append(error))
    page.goto(url)
    try:
        yield page
    finally:
        page.close()
    assert requested and all(address.startswith(url) for address in requested), requested
    assert not thrown


def draw(page, strokes):
    """Draw with the mouse, stroke by stroke; return the PNG the page posted after the last one
    and the seconds from the last release to the answer on the page."""
    box = page.locator("#canvas").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            # A few pointer moves per segment, as a hand sends them; the page joins them with lines,
            # so more steps draw the same digit, at about 16 ms of round trip to the browser each.
            page.mouse.move(*point, steps=3)
        with page.expect_request("**/api/predict*") as posted:
            released = time.perf_counter()
            page.mouse.up()
        page.wait_for_function("() => /^answered in/.test(document.querySelector('#message').textContent)",
                               polling="raf")
        shown = time.perf_counter() - released
    return posted.value.post_data_buffer, shown


def shown_answers(page):
    """{model: ["class probability%", ...]} as the page shows them."""
    return {card.get_attribute("data-model"):
            [f"{row.locator('.label').inner_text()} {row.locator('.value').inner_text()}"
             for row in card.locator(".row").all()]
            for card in page.locator(".model").all()}


def seen_image(page):
    """The 28x28 image the page shows as what the models saw (0-255)."""
    pixels = page.evaluate("() => Array.from(document.querySelector('#seen').getContext('2d')"
                           ".getImageData(0, 0, 28, 28).data)")
    return np.array(pixels[::4]).reshape(28, 28)


def digits_predict(image, folder):
    """{model: ["class probability%", ...]} that `digits-predict IMAGE --model all` prints in `folder`."""
    path, *columns = re.split(r"\s{2,}", predict_output(image, folder).strip())
    answers = {}
    for column in columns:
        model, ranked = re.fullmatch(r"(\w+): .+? \((.*)\)", column).groups()
        answers[model] = ranked.split(", ")
    return answers


def predict_output(image, folder):
    """What digits-predict's main() prints for `IMAGE --model all`, run in this process in `folder`."""
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.chdir(folder)
        predict([str(image), "--model", "all"])
    return printed.getvalue()


@pytest.mark.browser
def test_a_drawn_digit_gets_the_answers_of_digits_predict(server, browser, project, tmp_path):
    with open_page(browser, server) as page:
        assert page.locator("#message").inner_text() == "draw a digit"
        posted, seconds = draw(page, SEVEN)
        (tmp_path / "drawing.png").write_bytes(posted)
        page.screenshot(path=tmp_path / "demo.png")
        if os.environ.get("DEMO_SCREENSHOT"):
            shutil.copy(tmp_path / "demo.png", os.environ["DEMO_SCREENSHOT"])
        print(f"\nscreenshot: {tmp_path / 'demo.png'}")

        expected = digits_predict(tmp_path / "drawing.png", project)
        assert shown_answers(page) == expected and set(expected) == {"cnn", "dense"}
        assert expected["cnn"][0].split()[0] == "7"  # the preparation is right, not merely the same
        assert page.locator(".model .answer").all_inner_texts() == [answer[0].split()[0]
                                                                    for answer in expected.values()]
        mnist_view = np.round(to_mnist(load_gray(tmp_path / "drawing.png")) * 255)
        np.testing.assert_array_equal(seen_image(page), mnist_view)
        digest = sha256(project / "models" / "seed-3" / "cnn.keras")[:12]
        assert re.fullmatch(rf"sha256 {digest} · [\d,]+ parameters",
                            page.locator('.model[data-model="cnn"] .about').inner_text())
        assert f"cnn (models/seed-3/cnn.keras, sha256 {digest})" in page.locator("#about").inner_text()

        page.click("#clear")
        assert page.locator("#message").inner_text() == "draw a digit"
        assert page.locator(".model").count() == 0 and not seen_image(page).any()

        # Release to answer, as the browser sees it: the first answer above paid Keras' one-off set-up.
        times = [seconds]
        for _ in range(9):
            page.click("#clear")
            times.append(draw(page, SEVEN)[1])
        print(f"release of the last stroke to the answers shown: median {np.median(times) * 1000:.0f} ms "
              f"of {len(times)} (max {max(times) * 1000:.0f} ms)")
        assert np.median(times) < 1


@pytest.mark.browser
def test_an_uploaded_file_takes_the_same_way(server, browser, project, tmp_path):
    draw_digits(tmp_path / "drawn")
    image = tmp_path / "drawn" / "digit_3.jpg"  # light on dark, 380x300: unlike the canvas
    with open_page(browser, server) as page:
        page.set_input_files("#upload", image)
        page.wait_for_function("() => /^answered in/.test(document.querySelector('#message').textContent)")
        assert shown_answers(page) == digits_predict(image, project)
        np.testing.assert_array_equal(seen_image(page), np.round(to_mnist(load_gray(image)) * 255))


@pytest.mark.browser
def test_bad_uploads_get_digits_predicts_refusal_and_the_server_stays_up(server, browser, project, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    Image.new("1", (8000, 8000), 1).save(tmp_path / "bomb.png")  # 64 megapixels in a few kilobytes
    Image.new("L", (300, 300), 200).save(tmp_path / "blank.png")
    (tmp_path / "huge.png").write_bytes(bytes(MAX_UPLOAD + 1))
    assert MAX_PIXELS < images.MAX_PIXELS < 8000 * 8000
    with open_page(browser, server) as page:
        for name in ("notes.png", "empty.png", "bomb.png", "blank.png"):
            page.set_input_files("#upload", tmp_path / name)
            message = page.locator("#message.error")
            message.wait_for()
            with pytest.raises(PipelineError) as refusal:
                predict_output(tmp_path / name, project)
            # digits-predict names the file by its path; the page by the uploaded file's name, and
            # its pixel limit is the page's own.
            shown = message.inner_text()
            assert shown.replace(name, str(tmp_path / name)).replace(
                f"limit is {MAX_PIXELS:,}", f"limit is {images.MAX_PIXELS:,}") in str(refusal.value)
            assert (f"the limit is {MAX_PIXELS:,} pixels" in shown) == (name == "bomb.png")
            assert page.locator(".model").count() == 0
        posted = []
        page.on("request", lambda request: posted.append(request.url))
        page.set_input_files("#upload", tmp_path / "huge.png")
        assert page.locator("#message.error").inner_text() == ("huge.png: larger than 20,000,000 bytes: "
                                                               "shrink it first")
        assert not posted  # refused by the page itself: 20 MB never left the browser
        draw(page, SEVEN)
        assert ANSWER.match(page.locator("#message").inner_text())


@pytest.mark.browser
def test_without_a_model_the_page_and_the_console_say_run_dvc_repro(browser, tmp_path):
    with demo_server(tmp_path) as (url, console, _), open_page(browser, url) as page:
        assert "error: no .keras model in models: run `dvc repro` first" in console.read_text()
        problem = page.locator("#problem")
        problem.wait_for()
        assert problem.inner_text() == ("no .keras model in models: run `dvc repro` first, "
                                        "then start digits-demo again.")
        box = page.locator("#canvas").bounding_box()
        page.mouse.click(box["x"] + 100, box["y"] + 100)
        page.locator("#message.error").wait_for()
        assert "run `dvc repro`" in page.locator("#message").inner_text()


@pytest.mark.browser
def test_fashion_mnist_models_answer_with_clothing_names(browser, project, tmp_path):
    # A project whose params.yaml says fashion_mnist: its (10-class) models answer in clothing.
    shutil.copytree(project / "models", tmp_path / "models")  # models/seed-3/: the first of `seeds`
    params = (project / "params.yaml").read_text().replace("dataset: mnist", "dataset: fashion_mnist")
    (tmp_path / "params.yaml").write_text(params)
    draw_digits(tmp_path / "drawn")
    with demo_in_process(tmp_path) as url, open_page(browser, url) as page:
        page.set_input_files("#upload", tmp_path / "drawn" / "digit_1.jpg")
        page.wait_for_function("() => /^answered in/.test(document.querySelector('#message').textContent)")
        labels = page.locator(".row .label").all_inner_texts()
        assert len(labels) == 6 and set(labels) <= set(get_dataset("fashion_mnist").class_names)
        assert shown_answers(page) == digits_predict(tmp_path / "drawn" / "digit_1.jpg", tmp_path)


def test_a_busy_port_is_refused_before_loading_anything(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "dense_vs_cnn.predict.demo", "--port", str(port)],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, PYTHONPATH=str(PROJECT)))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port} (Address already in use): "
                                    "pass another --port")
    assert "loading" not in result.stdout and "Traceback" not in result.stderr


@pytest.mark.browser
def test_the_page_works_opened_as_localhost(demo, browser):
    url = f"http://localhost:{demo.port}/"  # another name of the server: its own origin, its own Host
    with open_page(browser, url) as page:
        draw(page, SEVEN)
        assert ANSWER.match(page.locator("#message").inner_text())


# --- Under a hostile network: raw sockets against the real server -------------------------------

def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def connect(port, data=b""):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(data)
    return sock


def upload_head(port, length, name="x.png"):
    return (f"POST /api/predict?name={name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: image/png\r\nContent-Length: {length}\r\n\r\n").encode()


def read_all(sock, timeout=30):
    """What the server sends until it closes the connection (a reset after its answer included)."""
    sock.settimeout(timeout)
    received = b""
    with contextlib.suppress(ConnectionResetError), sock:
        while chunk := sock.recv(65536):
            received += chunk
    return received


def refusal_of(received):
    """(status, error message) of a raw answer whose body is the server's JSON {"error": ...}."""
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]


def watch(sockets, seconds, trickle=()):
    """{socket: (seconds until the server closed it or None, what it sent)}, watched for `seconds`;
    meanwhile each socket of `trickle` sends one more byte every 0.2 s."""
    start, received, closed = time.monotonic(), {sock: b"" for sock in sockets}, {}
    next_byte = start
    while len(closed) < len(sockets) and time.monotonic() - start < seconds:
        still_open = [sock for sock in sockets if sock not in closed]
        for sock in select.select(still_open, [], [], 0.05)[0]:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            received[sock] += chunk
            if not chunk:
                closed[sock] = time.monotonic() - start
        if time.monotonic() >= next_byte:
            next_byte += 0.2
            for sock in trickle:
                if sock not in closed:
                    with contextlib.suppress(OSError):
                        sock.send(b"x")
    for sock in sockets:
        sock.close()
    return {sock: (closed.get(sock), received[sock]) for sock in sockets}


@contextlib.contextmanager
def serving(server, sock):
    """`server` answering on `sock` from a thread of this process; yields the port."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def in_process(limits, host="127.0.0.1"):
    """The real app, without models (these tests stop before any), on a real uvicorn server in a
    thread of this process, with `limits`; yields its port."""
    app = create_app({}, get_dataset("mnist").class_names, "mnist", host=host, limits=limits)
    return serving(make_server(app, limits), listening_socket("127.0.0.1", 0))


@contextlib.contextmanager
def demo_in_process(folder, *arguments):
    """digits-demo set up by its own code (`serve`: params, models, app) in `folder`, in this process,
    which has TensorFlow loaded already, and served from a thread on a free port; yields its url.
    The `demo` fixture and demo_server run the command itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        with serving(*serve(["--port", "0", *arguments])) as port:
            yield f"http://127.0.0.1:{port}/"


def ask(port, path="/api/info", host=None, method="GET", body=None, headers=()):
    """(status, {header: value}, body) of one request with exactly this Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
    for name, value in dict(headers).items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    with contextlib.closing(connection):
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()


def rss_mib(process):
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{process.pid}/status").read_text())[1]) / 1024


def test_silent_half_sent_and_trickling_clients_are_closed_within_the_bounds():
    limits = Limits(header_seconds=0.5, body_seconds=1, connections=64, uploads=10)
    with in_process(limits) as port:
        silent = [connect(port) for _ in range(10)]
        half = b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # a header line never ending
        headers = [connect(port, half) for _ in range(10)]
        bodies = [connect(port, upload_head(port, 1000) + b"x") for _ in range(10)]
        seen = watch(silent + headers + bodies, seconds=10, trickle=headers + bodies)
    for sockets, part, bound in ((silent + headers, "headers", 0.5), (bodies, "body", 1)):
        for sock in sockets:
            closed, received = seen[sock]
            assert closed is not None and bound - 0.3 < closed < bound + 2, (part, closed)
            assert refusal_of(received) == (408, f"the request's {part} did not arrive within {bound:g} s: "
                                                 "connection closed")


def test_digits_demo_closes_a_silent_connection_after_its_header_time(demo):
    bound, silent = Limits().header_seconds, demo.silent
    silent.thread.join(timeout=bound + 15)
    assert silent.closed is not None and bound - 0.5 < silent.closed - silent.opened < bound + 3
    assert refusal_of(silent.received) == (408, f"the request's headers did not arrive within {bound:g} s: "
                                                "connection closed")


def test_connections_and_uploads_past_their_limits_are_refused_at_once():
    # `after` reads until the server closes the answered connection: once idle for idle_seconds (5 s
    # by default).
    with in_process(Limits(connections=4, uploads=2, idle_seconds=0.5)) as port:
        arriving = [connect(port, upload_head(port, 1000) + b"x") for _ in range(2)]
        time.sleep(0.5)  # the server has read their headers: two uploads are arriving
        start = time.monotonic()
        third = read_all(connect(port, upload_head(port, 1000) + b"x"), timeout=5)
        assert refusal_of(third) == (503, "busy: 2 uploads are arriving already: try again in a moment")
        idle = [connect(port) for _ in range(2)]  # four connections open now
        time.sleep(0.5)
        fifth = read_all(connect(port), timeout=5)
        assert refusal_of(fifth) == (503, "busy: 4 connections are open already: try again in a moment")
        assert time.monotonic() - start < 2
        arriving.pop().close()  # an upload's place is free again once it ends
        time.sleep(0.5)
        after = read_all(connect(port, upload_head(port, 5, "notes.png") + b"hello"), timeout=10)
        assert refusal_of(after) == (422, "notes.png: not an image Pillow can read (use PNG or JPEG)")
        for sock in arriving + idle:
            sock.close()


def test_an_upload_with_no_room_on_disk_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))  # where an upload over 1 MB goes
    with in_process(Limits()) as port:
        received = read_all(connect(port, upload_head(port, 2_000_000, "photo.png") + bytes(2_000_000)))
    status, message = refusal_of(received)
    gone = re.escape(str(tmp_path / "gone"))
    assert status == 507 and re.fullmatch(
        rf"photo.png: cannot hold the upload \(\[Errno 2\] No such file or directory: '{gone}/\w+'\): "
        rf"free some space in {gone}, or send a smaller file", message), message


def test_an_announced_oversize_body_is_refused_at_once(demo):
    start = time.monotonic()
    received = read_all(connect(demo.port, upload_head(demo.port, 30_000_000, "huge.png") + b"short"), 10)
    assert time.monotonic() - start < 1  # not waiting for 30 MB that will never come
    assert refusal_of(received) == (413, "huge.png: larger than 20,000,000 bytes: shrink it first")


def test_a_body_that_grows_past_the_limit_is_cut_off(demo):
    head = (f"POST /api/predict?name=endless.png HTTP/1.1\r\nHost: 127.0.0.1:{demo.port}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")  # no length announced
    sock = connect(demo.port, head.encode())
    chunk = b"%x\r\n" % 1_000_000 + bytes(1_000_000) + b"\r\n"
    with contextlib.suppress(OSError):  # the server stops reading after 20 MB
        for _ in range(25):
            sock.sendall(chunk)
    assert refusal_of(read_all(sock)) == (413, "endless.png: larger than 20,000,000 bytes: shrink it first")


def test_aborted_uploads_leave_no_memory_behind_and_no_traceback(demo):
    """40 clients announce 19 MB, send half and leave: this used to add 800 MB of RSS for good,
    and 3 KB of traceback per client on the console."""
    before = rss_mib(demo.process)
    console_before = demo.console.read_text()

    def half_upload():
        with contextlib.suppress(OSError), connect(demo.port, upload_head(demo.port, 19_000_000)) as sock:
            sock.sendall(bytes(9_500_000))
            time.sleep(1)

    clients = [threading.Thread(target=half_upload) for _ in range(40)]
    for client in clients:
        client.start()
    peak = before
    while any(client.is_alive() for client in clients):
        peak = max(peak, rss_mib(demo.process))
        time.sleep(0.05)
    time.sleep(1)
    after = rss_mib(demo.process)
    print(f"\nRSS: {before:.0f} MiB before, {peak:.0f} MiB at most, {after:.0f} MiB after")
    assert peak - before < 100 and after - before < 30
    assert demo.console.read_text() == console_before  # nothing printed: no traceback, no line
    assert ask(demo.port)[0] == 200  # and still up


def test_a_50_megapixel_16_bit_png_is_refused_at_once(demo, tmp_path):
    data = sixteen_bit_bomb(tmp_path).read_bytes()
    before, start = rss_mib(demo.process), time.monotonic()
    status, _, body = ask(demo.port, "/api/predict?name=big.png", method="POST", body=data)
    assert time.monotonic() - start < 1 and rss_mib(demo.process) - before < 20
    assert (status, json.loads(body)["error"]) == (422, (
        f"big.png: image too large (7071x7071 pixels); the limit is {MAX_PIXELS:,} pixels: "
        "shrink it first (a digit needs no more than a few hundred pixels a side)"))


# --- Only this server's names and this server's page -----------------------------------------

def test_only_the_servers_own_names_are_served():
    with in_process(Limits()) as port:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "LOCALHOST"):
            assert ask(port, host=host)[0] == 200, host
        for host in ("evil.example.com", f"evil.example.com:{port}", f"192.168.1.5:{port}", "", "[::1"):
            status, _, body = ask(port, host=host)
            assert status == 400, host
        assert json.loads(body)["error"] == (
            "Host '[::1' is not a name of this server: open it by an address it listens on (127.0.0.1), "
            "or start digits-demo with --host set to that name")
    with in_process(Limits(), host="0.0.0.0") as port:  # every address: any address, and the machine's names
        for host in (f"192.168.1.5:{port}", f"[fe80::1]:{port}", f"{socket.gethostname()}:{port}"):
            assert ask(port, host=host)[0] == 200, host
        status, _, body = ask(port, host="evil.example.com")
        assert (status, json.loads(body)["error"]) == (400, (
            "Host 'evil.example.com' is not a name of this server: open it by an address it listens on "
            "(this machine's addresses), or start digits-demo with --host set to that name"))


def test_digits_demo_refuses_dns_rebinding_and_cross_site_posts(demo, tmp_path):
    status, _, body = ask(demo.port, "/", host="evil.example.com")
    assert status == 400 and json.loads(body)["error"].startswith("Host 'evil.example.com' is not a name")
    draw_digits(tmp_path / "drawn")
    data = (tmp_path / "drawn" / "digit_2.png").read_bytes()
    # A "simple" cross-site POST: a browser sends it without asking first, and the old server answered it.
    status, _, body = ask(demo.port, "/api/predict?name=d.png", method="POST", body=data,
                          headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
    assert (status, json.loads(body)["error"]) == (403, (
        f"a request from another site (https://evil.example) is refused: use the page itself, "
        f"http://127.0.0.1:{demo.port}/"))
    for origin in ({"Origin": f"http://127.0.0.1:{demo.port}"}, {}):  # the page itself; curl, no Origin
        status, _, body = ask(demo.port, "/api/predict?name=d.png", method="POST", body=data, headers=origin)
        assert status == 200 and set(json.loads(body)["models"]) == {"cnn", "dense"}


def test_every_answer_carries_the_security_headers(demo):
    for path, host, expected in (("/", None, 200), ("/static/demo.js", None, 200), ("/api/info", None, 200),
                                 ("/nothing-here", None, 404), ("/", "evil.example.com", 400)):
        status, headers, _ = ask(demo.port, path, host=host)
        assert status == expected
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


# --- A model retrained on disk answers from then on -------------------------------------------

def post(url, data, name="drawing.png"):
    request = urllib.request.Request(f"{url}api/predict?name={name}", data=data,
                                     headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.load(reply)


def test_a_model_replaced_on_disk_answers_from_then_on(project, tmp_path, capsys):
    shutil.copytree(project / "models", tmp_path / "models")
    shutil.copy(project / "params.yaml", tmp_path / "params.yaml")
    folder = tmp_path / "models" / "seed-3"
    draw_digits(tmp_path / "drawn")
    drawing = (tmp_path / "drawn" / "digit_4.png").read_bytes()
    with demo_in_process(tmp_path) as url:
        before = post(url, drawing)
        assert before["served"]["cnn"]["sha256"] == sha256(folder / "cnn.keras")
        assert before["models"]["cnn"] != before["models"]["dense"]

        # A retraining writes the new model under a temporary name and renames it over the old.
        shutil.copy(folder / "dense.keras", folder / ".cnn.keras.tmp")
        os.replace(folder / ".cnn.keras.tmp", folder / "cnn.keras")
        after = post(url, drawing)
        assert after["models"] == {"cnn": before["models"]["dense"], "dense": before["models"]["dense"]}
        assert after["served"]["cnn"] == {**before["served"]["dense"], "path": "models/seed-3/cnn.keras"}
        with urllib.request.urlopen(f"{url}api/info", timeout=60) as info:
            assert json.load(info)["models"] == after["served"]

        # While the stage runs, DVC has removed its output: the model read before answers, and says so.
        (folder / "cnn.keras").unlink()
        gone = post(url, drawing)
        assert gone["models"] == after["models"]
        assert gone["served"]["cnn"]["problem"] == (
            "models/seed-3/cnn.keras cannot be read now (No such file or directory; retraining?): "
            "the model read before answers")
        (folder / "cnn.keras").write_bytes(b"half a model")
        damaged = post(url, drawing)
        assert damaged["models"] == after["models"]
        assert damaged["served"]["cnn"]["problem"] == (
            "models/seed-3/cnn.keras is not a loadable Keras model (not a zip archive, as .keras files are: "
            "truncated or damaged); delete it and run `dvc repro` to retrain (the model read before answers)")

        shutil.copy(project / "models" / "seed-3" / "cnn.keras", folder / "cnn.keras")
        back = post(url, drawing)
        assert back["models"] == before["models"] and back["served"] == before["served"]
    assert "Traceback" not in capsys.readouterr().err
