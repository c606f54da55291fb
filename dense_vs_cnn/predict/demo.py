"""Draw a digit on a web page and watch both models answer: `digits-demo`, then open the URL it prints.

Reads: the trained models (by default every model in models/, as `digits-predict --model
all`; --model takes a path or an artifact name of dvc.yaml) and data.dataset of
params.yaml for the class names (--dataset overrides it). Writes: nothing. Serves, on
127.0.0.1 unless --host says otherwise, a Starlette app run by uvicorn:

  GET  /             the page: static/index.html, demo.js, demo.css (nothing from the internet)
  GET  /api/info     the models' names and the dataset, or why no model could be loaded
  POST /api/predict  an image file's bytes (the canvas as PNG, or an uploaded file; ?name=
                     names it in messages) -> the 28x28 image the models saw and each
                     model's top 3 classes with their probabilities

Every image goes through digits-predict's own preparation (images.py) and models
(models.py). An image that cannot be classified gets digits-predict's message, and the
server stays up; without a trained model the page and the console say to run `dvc repro`.
Needs the `demo` extra: pip install -e ".[demo]".
"""

import argparse
import contextlib
import io
import socket
import sys
import threading
from pathlib import Path

import numpy as np

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import FileResponse, JSONResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
except ModuleNotFoundError as error:  # an optional extra: say how to get it, not a traceback
    raise SystemExit(f'error: digits-demo needs {error.name}: pip install -e ".[demo]"') from None

from dense_vs_cnn.core.datasets import DATASETS, get_dataset
from dense_vs_cnn.core.errors import PipelineError, run_stage
from dense_vs_cnn.predict.cli import DATASET_HELP, MODEL_HELP, dataset_name
from dense_vs_cnn.predict.images import load_gray, to_mnist
from dense_vs_cnn.predict.models import classify, load_models, model_paths, ranked

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 20_000_000  # bytes: a phone photo fits; load_gray refuses too many pixels on its own


def answer(models, class_names, data, name):
    """The page's answer for an image file's bytes: the 28x28 image (0-255, ink light, as
    MNIST) and, per model, [[class name, probability], ...] best first."""
    field = to_mnist(load_gray(io.BytesIO(data), name))
    probabilities = classify(models, field[np.newaxis])
    return {"image": np.round(field * 255).astype(int).tolist(),
            "models": {model: ranked(rows[0], class_names) for model, rows in probabilities.items()}}


async def read_body(request, limit=MAX_UPLOAD):
    """The request's body, or None once it is longer than `limit` bytes (read no further)."""
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(models, class_names, dataset, problem=None):
    """The Starlette app; `problem` (no model could be loaded) is shown instead of answers."""
    lock = threading.Lock()  # one prediction at a time: Keras models are not thread-safe

    def predict(data, name):
        with lock:
            return answer(models, class_names, data, name)

    async def info(request):
        return JSONResponse({"models": list(models), "dataset": dataset, "problem": problem})

    async def predict_endpoint(request):
        name = request.query_params.get("name", "upload")[:200]
        if problem:
            return JSONResponse({"error": problem}, status_code=503)
        data = await read_body(request)
        if data is None:
            return JSONResponse({"error": f"{name}: larger than {MAX_UPLOAD:,} bytes: shrink it first"},
                                status_code=413)
        try:
            return JSONResponse(await run_in_threadpool(predict, data, name))
        except PipelineError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        except ValueError as error:  # to_mnist: no ink (digits-predict words it the same way)
            return JSONResponse({"error": f"{name}: {error}"}, status_code=422)

    return Starlette(routes=[
        Route("/", lambda request: FileResponse(STATIC / "index.html")),
        Route("/api/info", info),
        Route("/api/predict", predict_endpoint, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ])


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


def main(argv=None):
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
        models, problem = load_models(model_paths(args.model), class_names, dataset), None
        print(f"models: {', '.join(models)}; classes of {dataset}", flush=True)
    except PipelineError as error:
        models, problem = {}, str(error)
        print(f"error: {problem} (the page says so too)", file=sys.stderr, flush=True)

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"digits-demo: open http://{shown}:{port}/ in a browser (Ctrl-C stops it)", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(models, class_names, dataset, problem),
                                           log_level="warning"))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then passes the signal on
        server.run(sockets=[sock])


def run():
    """The `digits-demo` console script."""
    run_stage(main)


if __name__ == "__main__":
    run()
