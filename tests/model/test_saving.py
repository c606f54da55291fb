import json
import sys
import zipfile

import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.model.saving import load_model
from tests.conftest import PROJECT, run


def test_corrupt_model_is_refused(tmp_path):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PipelineError, match="not a loadable Keras model"):
        load_model(tmp_path / "broken.keras")


def test_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(PipelineError, match="run `dvc repro`"):
        load_model(tmp_path / "absent.keras")


SAVE_A_TRAINED_MODEL = """
import sys
import keras, numpy as np, tensorflow as tf
from dense_vs_cnn.model.architectures import build_cnn
from dense_vs_cnn.model.saving import save_model

keras.mixed_precision.set_global_policy("mixed_bfloat16")  # shares dtype policies between layers
keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
model = build_cnn((28, 28, 1), 10, filters=[4], kernel_size=3, pool_size=2, dense_units=8, activation="relu")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
rng = np.random.default_rng(0)
model.fit(rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64), epochs=1, verbose=0)
save_model(model, sys.argv[1])
"""


def test_the_same_training_in_two_processes_saves_the_same_bytes(tmp_path):
    paths = [tmp_path / "first.keras", tmp_path / "second.keras"]
    for path in paths:
        run([sys.executable, "-c", SAVE_A_TRAINED_MODEL, str(path)], cwd=tmp_path,
            env={"PYTHONPATH": str(PROJECT)})
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as archive:
        assert "date_saved" not in json.loads(archive.read("metadata.json"))
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    model = load_model(paths[0])  # still a normal .keras file, loaded in safe mode
    assert model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].dtype_policy.name == "float32"


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (None, "not a zip archive, as .keras files are: truncated or damaged"),
])
def test_empty_or_truncated_model_says_what_is_wrong(tmp_path, content, reason):
    import keras

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    model.save(tmp_path / "whole.keras")
    whole = (tmp_path / "whole.keras").read_bytes()
    (tmp_path / "model.keras").write_bytes(whole[: len(whole) // 2] if content is None else content)
    with pytest.raises(PipelineError) as error:  # Keras itself says "File not found" for both
        load_model(tmp_path / "model.keras")
    assert str(error.value) == (f"{tmp_path / 'model.keras'} is not a loadable Keras model ({reason}); "
                                "delete it and run `dvc repro` to retrain")
