import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.model.saving import load_model


def test_corrupt_model_is_refused(tmp_path):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PipelineError, match="not a loadable Keras model"):
        load_model(tmp_path / "broken.keras")


def test_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(PipelineError, match="run `dvc repro`"):
        load_model(tmp_path / "absent.keras")
