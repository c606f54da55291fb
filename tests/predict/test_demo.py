"""digits-demo: the real server in a subprocess on 127.0.0.1, driven by a real headless Chromium.

The browser tests need the `demo` and `browser-tests` extras and Debian's chromium
(`apt-get install chromium`); they skip, saying which is missing, where there is none.
Set DEMO_SCREENSHOT=path/to/file.png to keep a copy of the page with a drawn digit.
"""

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dense_vs_cnn.core.datasets import get_dataset
from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.predict.cli import main as predict
from dense_vs_cnn.predict.images import MAX_PIXELS, load_gray, to_mnist
from tests.conftest import PROJECT
from tests.predict.test_cli import draw_digits

pytest.importorskip("starlette", reason='digits-demo needs the demo extra: pip install -e ".[demo]"')
from dense_vs_cnn.predict.demo import MAX_UPLOAD  # noqa: E402  (after the skip: needs the demo extra)

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
    """Start digits-demo in `folder` on a free port; yield (url, console) once it listens; stop it."""
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
        yield match.group(1), console
    finally:
        process.terminate()
        process.wait(timeout=30)
        console.unlink()


@pytest.fixture(scope="module")
def server(project):
    with demo_server(project) as (url, console):
        assert url.startswith("http://127.0.0.1:")  # this machine only, unless --host says otherwise
        yield url


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
            page.mouse.move(*point, steps=8)
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
    assert MAX_PIXELS < 8000 * 8000
    with open_page(browser, server) as page:
        for name in ("notes.png", "empty.png", "bomb.png", "blank.png"):
            page.set_input_files("#upload", tmp_path / name)
            message = page.locator("#message.error")
            message.wait_for()
            with pytest.raises(PipelineError) as refusal:
                predict_output(tmp_path / name, project)
            # digits-predict names the file by its path; the page by the uploaded file's name.
            assert message.inner_text().replace(name, str(tmp_path / name)) in str(refusal.value)
            assert page.locator(".model").count() == 0
        draw(page, SEVEN)
        assert ANSWER.match(page.locator("#message").inner_text())


def test_too_large_an_upload_is_refused(server):
    request = urllib.request.Request(f"{server}api/predict?name=huge.png", data=b"\0" * (MAX_UPLOAD + 1))
    with pytest.raises(urllib.error.HTTPError) as refusal:
        urllib.request.urlopen(request, timeout=60)
    assert refusal.value.code == 413
    assert b"huge.png: larger than 20,000,000 bytes: shrink it first" in refusal.value.read()
    with urllib.request.urlopen(f"{server}api/info", timeout=60) as info:  # still up
        assert info.status == 200


@pytest.mark.browser
def test_without_a_model_the_page_and_the_console_say_run_dvc_repro(browser, tmp_path):
    with demo_server(tmp_path) as (url, console), open_page(browser, url) as page:
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
    with demo_server(tmp_path) as (url, console), open_page(browser, url) as page:
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
