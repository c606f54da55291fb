"""Draw a digit on a web page and watch both models answer: `digits-demo`, then open the URL it prints.

Reads: the trained models (by default every model in models/, as `digits-predict --model
all`; --model takes a path or an artifact name of dvc.yaml), read again whenever their
file changes on disk (a `dvc repro` or `dvc exp run` that retrains them), and data.dataset
of params.yaml for the class names (--dataset overrides it). Writes: nothing (an upload
over 1 MB waits in an unnamed temporary file while it arrives). Serves, on 127.0.0.1
unless --host says otherwise, a Starlette app run by uvicorn:

  GET  /             the page: static/index.html, demo.js, demo.css (nothing from the internet)
  GET  /api/info     each model's name, file, sha256 and parameter count, the dataset and
                     the limits, or why no model could be loaded
  POST /api/predict  an image file's bytes (the canvas as PNG, or an uploaded file; ?name=
                     names it in messages) -> the 28x28 image the models saw, each model's
                     top 3 classes with their probabilities, and which models answered

Every image goes through digits-predict's own preparation (images.py) and models
(models.py). An image that cannot be classified gets digits-predict's message, and the
server stays up; without a trained model the page and the console say to run `dvc repro`.

Open to a network (--host 0.0.0.0) or called by other web pages through a browser, the
server bounds what a client can hold (Limits: time for the headers and for the body,
connections, uploads, bytes and pixels), answers only to its own names (DNS rebinding)
and to its own page (cross-site requests), and says so in one line, never a traceback.
Needs the `demo` extra: pip install -e ".[demo]".
"""

import argparse
import contextlib
import dataclasses
import hashlib
import ipaddress
import json
import os
import socket
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

import numpy as np

try:
    import h11
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import Headers
    from starlette.requests import ClientDisconnect
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
    from uvicorn.protocols.http.h11_impl import H11Protocol
except ModuleNotFoundError as error:  # an optional extra: say how to get it, not a traceback
    raise SystemExit(f'error: digits-demo needs {error.name}: pip install -e ".[demo]"') from None

from dense_vs_cnn.core.datasets import DATASETS, get_dataset
from dense_vs_cnn.core.errors import PipelineError, printable, run_stage
from dense_vs_cnn.predict.cli import DATASET_HELP, MODEL_HELP, dataset_name
from dense_vs_cnn.predict.images import load_gray, to_mnist
from dense_vs_cnn.predict.models import classify, load_models, model_paths, ranked

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 20_000_000  # bytes: a phone photo fits
# Pixels, from the image's header: a drawing, a 12-megapixel phone photo or a 4K screenshot
# fit; digits-predict's own limit (images.MAX_PIXELS) is for files on the user's own disk.
MAX_PIXELS = 16_000_000
IN_MEMORY = 1_000_000  # bytes of an upload held in memory; the rest of a larger one waits on disk
MAX_HEADER_BYTES = 16_384  # a request's line and headers (the page's are under 1 KB); more: 400
WILDCARDS = ("0.0.0.0", "::", "")  # --host values that listen on every address of the machine
SECURITY_HEADERS = [  # on every answer: everything comes from this server, nothing may frame it
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; "
                                 b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one client may hold of the server; past a limit it gets a one-line refusal."""
    header_seconds: float = 10  # from connecting (or the previous answer) to the request's last header
    body_seconds: float = 60  # from the headers to the body's last byte: 20 MB at 2.7 Mbit/s
    idle_seconds: float = 5  # an idle connection between requests (uvicorn's timeout_keep_alive)
    connections: int = 32  # open at once; a browser opens up to 6
    uploads: int = 4  # bodies being received at once


# --- The models: which file each came from, read again when it changes ---------------------------

@dataclasses.dataclass(frozen=True)
class Served:
    """A model as the server holds it, and what identifies the file it was read from."""
    path: Path
    model: object
    sha256: str
    parameters: int
    stamp: tuple  # the file's (inode, size, mtime) before it was read: a new file changes it
    failed: tuple | None = None  # the stamp of a newer file that could not be read (not tried again)
    problem: str | None = None  # why the model answering is not the file now on disk

    def about(self):
        return {"path": str(self.path), "sha256": self.sha256, "parameters": self.parameters,
                "problem": self.problem}


def file_stamp(path):
    status = os.stat(path)
    return status.st_ino, status.st_size, status.st_mtime_ns


def identity(path):
    """(stamp, sha256) of a model file: the stamp tells a new file at a glance, the digest names it."""
    return file_stamp(path), hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_served(paths, class_names, dataset):
    """{name: Served} for the model files, checked as digits-predict checks them.

    Each file is stamped and hashed before Keras reads it: a file replaced in between is
    seen as changed at the next request, and read again.
    """
    paths, before = [Path(path) for path in paths], {}
    for path in paths:
        with contextlib.suppress(OSError):  # a missing file: load_models says what to do
            before[path] = identity(path)
    models = load_models(paths, class_names, dataset)
    served = {}
    for path in paths:
        stamp, sha256 = before.get(path) or identity(path)  # or it appeared while Keras read the others
        model = models[path.stem]
        served[path.stem] = Served(path, model, sha256, model.count_params(), stamp)
    return served


def refreshed(served, class_names, dataset):
    """`served`, or the model its file holds now if that file changed; while the file is gone
    or cannot be read (a training under way), the model read before answers and says so."""
    try:
        stamp = file_stamp(served.path)
    except OSError as error:
        return dataclasses.replace(served, problem=f"{served.path} cannot be read now ({error.strerror}; "
                                                   "retraining?): the model read before answers")
    if stamp == served.stamp:
        return dataclasses.replace(served, failed=None, problem=None)
    if stamp == served.failed:
        return served
    try:
        return load_served([served.path], class_names, dataset)[served.path.stem]
    except PipelineError as error:
        return dataclasses.replace(served, failed=stamp, problem=f"{error} (the model read before answers)")


# --- The app ----------------------------------------------------------------------------------

def answer(models, class_names, upload, name):
    """The page's answer for an image file: the 28x28 image (0-255, ink light, as MNIST)
    and, per model, [[class name, probability], ...] best first."""
    field = to_mnist(load_gray(upload, name, max_pixels=MAX_PIXELS))
    probabilities = classify(models, field[np.newaxis])
    return {"image": np.round(field * 255).astype(int).tolist(),
            "models": {model: ranked(rows[0], class_names) for model, rows in probabilities.items()}}


def refusal(message, status):
    """A one-line JSON error; the connection is closed after it, as its body may be unread."""
    return JSONResponse({"error": message}, status_code=status, headers={"connection": "close"})


async def read_upload(request, upload, limit=MAX_UPLOAD):
    """Write the request's body into `upload`; False once it is longer than `limit` bytes (read no more)."""
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            return False
        upload.write(chunk)
    return True


def create_app(served, class_names, dataset, problem=None, host="127.0.0.1", limits=Limits()):
    """The Starlette app for {name: Served}; `problem` (no model could be loaded) is shown instead
    of answers. `host` is what the server listens on: it says which Host headers are its own."""
    lock = threading.Lock()  # one prediction at a time: Keras models are not thread-safe
    receiving = [0]  # uploads being received now (the event loop's thread only)

    def refresh():
        """Each model as its file is now; called under the lock."""
        for name, model in served.items():
            served[name] = refreshed(model, class_names, dataset)
        return {name: model.about() for name, model in served.items()}

    def predict(upload, name):
        with lock:
            about = refresh()
            reply = answer({name: model.model for name, model in served.items()}, class_names, upload, name)
            return {**reply, "served": about}

    def described():
        with lock:
            return refresh()

    async def info(request):
        return JSONResponse({"models": await run_in_threadpool(described), "dataset": dataset,
                             "problem": problem, "max_upload": MAX_UPLOAD, "max_pixels": MAX_PIXELS})

    async def predict_endpoint(request):
        name = printable(request.query_params.get("name", "upload")[:200])
        if problem:
            return refusal(problem, 503)
        too_large = f"{name}: larger than {MAX_UPLOAD:,} bytes: shrink it first"
        if int(request.headers.get("content-length", 0)) > MAX_UPLOAD:  # h11 checked it is a number
            return refusal(too_large, 413)  # at once: not a byte of the body is read
        if receiving[0] >= limits.uploads:
            return refusal(f"busy: {limits.uploads} uploads are arriving already: try again in a moment", 503)
        # In memory up to IN_MEMORY bytes, the rest in an unnamed temporary file, gone once closed.
        with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as upload:
            receiving[0] += 1
            try:
                if not await read_upload(request, upload):
                    return refusal(too_large, 413)
            except ClientDisconnect:  # the client left (or was cut off at its time limit): nobody to answer
                return Response(status_code=400)
            except OSError as error:  # the temporary file: a full or missing temporary folder
                return refusal(f"{name}: cannot hold the upload ({error}): free some space in "
                               f"{tempfile.gettempdir()}, or send a smaller file", 507)
            finally:
                receiving[0] -= 1
            try:
                return JSONResponse(await run_in_threadpool(predict, upload, name))
            except PipelineError as error:
                return JSONResponse({"error": str(error)}, status_code=422)
            except ValueError as error:  # to_mnist: no ink (digits-predict words it the same way)
                return JSONResponse({"error": f"{name}: {error}"}, status_code=422)

    app = Starlette(routes=[
        Route("/", lambda request: FileResponse(STATIC / "index.html")),
        Route("/api/info", info),
        Route("/api/predict", predict_endpoint, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ])
    return Guard(app, host)


# --- Who may ask: this server's names, this server's page ---------------------------------------

def own_host(header, host):
    """Whether a Host header names this server, listening on `host`: localhost, 127.0.0.1, ::1
    or `host` itself; on every address (0.0.0.0), also any address and this machine's names.

    A page on another site that reaches the server through DNS rebinding sends that site's
    name; an address cannot be rebound, so any address is safe to accept.
    """
    try:
        name = urllib.parse.urlsplit(f"//{header}").hostname or ""  # drops the port and IPv6 brackets
    except ValueError:  # an unbalanced bracket
        return False
    names = {"localhost", "127.0.0.1", "::1", host.lower()}
    if host not in WILDCARDS:
        return name in names
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in names | {socket.gethostname().lower(), socket.getfqdn().lower()}


def guard_problem(scope, host):
    """Why a request is refused before the app sees it, as (message, status), or None."""
    headers = Headers(scope=scope)
    asked = headers.get("host", "")
    if not own_host(asked, host):
        listening = "this machine's addresses" if host in WILDCARDS else host
        return (f"Host {printable(asked)[:100]!r} is not a name of this server: open it by an address it "
                f"listens on ({listening}), or start digits-demo with --host set to that name", 400)
    origin = headers.get("origin")
    if scope["method"] not in ("GET", "HEAD") and origin is not None \
            and origin.lower() != f"http://{asked.lower()}":
        return (f"a request from another site ({printable(origin)[:100]}) is refused: "
                f"use the page itself, http://{printable(asked)}/", 403)
    return None


class Guard:
    """ASGI middleware: refuses a request whose Host or Origin is not this server's (one-line JSON),
    and adds the security headers to every answer."""

    def __init__(self, app, host):
        self.app, self.host = app, host

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secured(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        problem = guard_problem(scope, self.host)
        app = refusal(*problem) if problem else self.app
        await app(scope, receive, send_secured)


# --- The server: uvicorn, with a clock on each client -------------------------------------------

def raw_answer(status, reason, message):
    """A whole HTTP/1.1 answer that closes the connection, for where no app is running."""
    body = json.dumps({"error": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "x-content-type-options: nosniff\r\nconnection: close\r\n\r\n").encode() + body


class BoundedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with `limits` on what one client holds: a connection past
    `limits.connections` is answered 503 and closed; the request's headers must arrive within
    `header_seconds`, its body within `body_seconds` of them, or the client gets 408 and the
    connection is closed (the app sees a disconnect). uvicorn itself has no such clock: a
    silent or trickling client would hold its connection, and its memory, forever."""

    limits = Limits()
    clock = None  # the timer of what the client must send now
    timed = None  # the client's h11 state that the clock times

    def connection_made(self, transport):
        super().connection_made(transport)
        if len(self.connections) > self.limits.connections:
            transport.write(raw_answer(503, "Service Unavailable", f"busy: {self.limits.connections} "
                                       "connections are open already: try again in a moment"))
            transport.close()
        else:
            self.time_client()

    def handle_events(self):
        super().handle_events()
        self.time_client()

    def on_response_complete(self):
        super().on_response_complete()
        self.time_client()

    def connection_lost(self, exc):
        self.stop_clock()
        super().connection_lost(exc)

    def stop_clock(self):
        if self.clock is not None:
            self.clock.cancel()
            self.clock = None

    def time_client(self):
        """Start the clock when the client's part changed: waiting for headers, or for a body."""
        state = self.conn.their_state
        if state is self.timed or self.transport.is_closing():
            return
        self.stop_clock()
        self.timed = state
        if state is h11.IDLE:
            self.clock = self.loop.call_later(self.limits.header_seconds, self.time_out, "headers",
                                              self.limits.header_seconds)
        elif state is h11.SEND_BODY:
            self.clock = self.loop.call_later(self.limits.body_seconds, self.time_out, "body",
                                              self.limits.body_seconds)

    def time_out(self, part, seconds):
        if self.transport.is_closing():
            return
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # no answer begun: say why
            self.transport.write(raw_answer(408, "Request Timeout", f"the request's {part} did not arrive "
                                            f"within {seconds:g} s: connection closed"))
        self.transport.close()


def make_server(app, limits=Limits()):
    """The uvicorn server for `app`, with the clock and limits of BoundedH11."""
    protocol = type("BoundedH11", (BoundedH11,), {"limits": limits})
    return uvicorn.Server(uvicorn.Config(app, http=protocol, ws="none", log_level="error",
                                         timeout_keep_alive=limits.idle_seconds,
                                         h11_max_incomplete_event_size=MAX_HEADER_BYTES))


def listening_socket(host, port):
    """A socket already listening on host:port (port 0: any free port), or a clear error."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop
        sock.bind((host, port))
        sock.listen()
        return sock
    except (OSError, OverflowError) as error:  # OverflowError: a port over 65535
        sock.close()
        reason = getattr(error, "strerror", None) or error
        raise PipelineError(f"cannot listen on {host}:{port} ({reason}): "
                            "pass another --port, or a --host of this machine") from None


def serve(argv=None):
    """digits-demo as its command line says, listening but not yet serving: (uvicorn server, socket).
    Prints what main() prints before it serves: the models loaded, or why none could be, and the URL."""
    parser = argparse.ArgumentParser(prog="digits-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    parser.add_argument("--model", default="all", help=MODEL_HELP + " (default: all)")
    parser.add_argument("--dataset", choices=sorted(DATASETS), help=DATASET_HELP)
    args = parser.parse_args(argv)
    dataset = dataset_name(args.dataset)
    class_names = get_dataset(dataset).class_names
    sock = listening_socket(args.host, args.port)  # before the slow part: a busy port fails fast

    print("loading the models...", flush=True)
    try:
        served, problem = load_served(model_paths(args.model), class_names, dataset), None
        print(f"models: {', '.join(served)}; classes of {dataset}", flush=True)
    except PipelineError as error:
        served, problem = {}, str(error)
        print(f"error: {problem} (the page says so too)", file=sys.stderr, flush=True)

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"digits-demo: open http://{shown}:{port}/ in a browser (Ctrl-C stops it)", flush=True)
    return make_server(create_app(served, class_names, dataset, problem, args.host)), sock


def main(argv=None):
    server, sock = serve(argv)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then passes the signal on
        server.run(sockets=[sock])


def run():
    """The `digits-demo` console script."""
    run_stage(main)


if __name__ == "__main__":
    run()
