"""train.distribution: the strategies, and two real workers training together on 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.params import load_params
from dense_vs_cnn.evaluation.scoring import score
from dense_vs_cnn.model.distribute import STRATEGIES, distribution_strategy
from dense_vs_cnn.model.saving import load_model
from stages.train_dense import main as train_dense
from tests.conftest import PROJECT, set_params, train_arguments

WORKERS = 2
BATCH_SIZE = 8  # global: 4 images per worker


def test_auto_and_none_use_the_default_device_without_gpus():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    for name in ("auto", "none"):
        strategy = distribution_strategy(name)
        assert strategy.num_replicas_in_sync == 1
        assert strategy is tf.distribute.get_strategy()


def test_unknown_strategy_names_the_allowed_ones(tiny_params):
    set_params(tiny_params, {"train.distribution": "horovod"})
    with pytest.raises(PipelineError, match="train.distribution = 'horovod'.*" + ", ".join(STRATEGIES)):
        load_params()


def test_mirrored_trains_in_process(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train.distribution": "mirrored"})
    train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
    model = keras.saving.load_model(tmp_path / "out" / "model.keras", safe_mode=True)
    assert model.output_shape == (None, 10)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def test_two_workers_train_together_and_the_model_evaluates(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train.distribution": "multi_worker", "train_dense.batch_size": BATCH_SIZE,
                             "train_dense.steps_per_execution": 1})
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(WORKERS)]}
    workers = []
    for index in range(WORKERS):
        config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        command = [sys.executable, "-m", "stages.train_dense",
                   *train_arguments(prepared, "flat", tmp_path / f"worker{index}")]
        environment = dict(os.environ, TF_CONFIG=config, PYTHONPATH=str(PROJECT), CUDA_VISIBLE_DEVICES="")
        workers.append(subprocess.Popen(command, cwd=tmp_path, env=environment, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    try:
        outputs = [worker.communicate(timeout=240)[0] for worker in workers]
    finally:
        for worker in workers:  # a worker left waiting for its peer must not outlive the test
            worker.kill()
            worker.wait()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output
        assert "train.distribution = multi_worker: 2 replica(s) in sync" in output  # not two lone runs

    model = load_model(tmp_path / "worker0" / "model.keras")
    images, labels = np.load(prepared / "test_flat.npy"), np.load(prepared / "test_labels.npy")
    metrics, _, _ = score(model, images, labels, batch_size=100)
    assert 0 <= metrics["accuracy"] <= 1 and np.isfinite(metrics["loss"])
    # batch_size is the global batch: 45 training images take ceil(45 / 8) = 6 steps, not 3.
    assert int(model.optimizer.iterations) == -(-len(np.load(prepared / "train_labels.npy")) // BATCH_SIZE)


def test_multi_worker_asks_for_one_step_per_execution(prepared, tiny_params, tmp_path):
    set_params(tiny_params, {"train.distribution": "multi_worker", "train_dense.steps_per_execution": 8})
    with pytest.raises(PipelineError, match="multi_worker needs train_dense.steps_per_execution = 1"):
        train_dense(train_arguments(prepared, "flat", tmp_path / "out"))
