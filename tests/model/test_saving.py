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
