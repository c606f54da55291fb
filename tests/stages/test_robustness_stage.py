"""The robustness stage on tiny real models (tests/stages/test_robustness.py is about faults)."""

import json

import pandas as pd
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.evaluation.robustness import choose
from stages.evaluate import main as evaluate
from stages.robustness import main as robustness
from tests.conftest import set_params


@pytest.fixture
def prepared(tiny_models):
    """The synthetic set's tensors (20 test images), shared by the session: only read here."""
    return tiny_models[0]


@pytest.fixture
def models(tiny_models):
    """A dense network and a CNN trained one epoch on that set (conftest.py's tiny_models)."""
    return tiny_models[1]


def run_robustness(prepared, models, out):
    robustness([*(argument for name, path in models.items() for argument in ("--model", name, str(path))),
                "--images", str(prepared / "test_channel.npy"), "--labels", str(prepared / "test_labels.npy"),
                "--table", str(out / "robustness.csv"), "--metrics", str(out / "robustness.json"),
                "--timing", str(out / "timing.json")])
    return pd.read_csv(out / "robustness.csv"), json.loads((out / "robustness.json").read_text())


def plain_predictions(prepared, models, out):
    """What evaluate predicts for every test image, per model."""
    arguments = []
    for name, path in models.items():
        arguments += ["--model", name, str(path),  # no {seed} in the path: the one model given
                      str(prepared / ("test_flat.npy" if name == "dense" else "test_channel.npy"))]
    evaluate([*arguments, "--labels", str(prepared / "test_labels.npy"), "--metrics", str(out / "test.json"),
              "--scores", str(out / "scores.json"), "--predictions", str(out / "predictions.csv"),
              "--timing", str(out / "inference.json"), "--out-dir", str(out),
              "--probabilities", str(out / "probabilities")])
    return {name: pd.read_csv(out / f"{name}_predictions.csv") for name in models}, \
        json.loads((out / "test.json").read_text())


def test_severity_0_is_the_plain_test_accuracy_of_both_models(prepared, models, tmp_path, tiny_params):
    table, headline = run_robustness(prepared, models, tmp_path / "out")
    _, plain = plain_predictions(prepared, models, tmp_path / "plain")
    unchanged = table[table["severity"] == 0]
    assert set(unchanged["images"]) == {20}  # robustness.images (1000) is more than the set: all of them
    for name in models:
        assert set(unchanged.loc[unchanged["model"] == name, "accuracy"]) == {plain[name]["accuracy"]}
    assert sorted(headline) == ["cnn", "dense"]  # written with sorted keys, as every JSON output
    assert sorted(headline["cnn"]) == ["noise", "rotation", "thickness", "translation"]
    row = table[(table["transform"] == "translation") & (table["severity"] == 3) & (table["model"] == "cnn")]
    assert headline["cnn"]["translation"] == pytest.approx(row["accuracy"].item())  # 1 to 6 px: 3 the middle
    assert json.loads((tmp_path / "out" / "timing.json").read_text())["seconds"] > 0


def test_severity_0_on_a_subset_is_the_plain_accuracy_on_those_images(prepared, models, tmp_path,
                                                                     tiny_params):
    set_params(tiny_params, {"robustness.images": 7, "robustness.seed": 5})
    table, _ = run_robustness(prepared, models, tmp_path / "out")
    predictions, _ = plain_predictions(prepared, models, tmp_path / "plain")
    indices, _ = choose(20, 7, 5, (28, 28))
    unchanged = table[(table["severity"] == 0) & (table["transform"] == "rotation")]
    for name, frame in predictions.items():
        chosen = frame.iloc[indices]
        right = int((chosen["actual"] == chosen["predicted"]).sum())
        row = unchanged[unchanged["model"] == name]
        assert (row["images"].item(), row["correct"].item()) == (7, right)


def test_the_same_inputs_give_the_same_bytes(prepared, models, tmp_path, tiny_params):
    run_robustness(prepared, models, tmp_path / "first")
    run_robustness(prepared, models, tmp_path / "second")
    for name in ("robustness.csv", "robustness.json"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_a_robustness_param_changes_only_what_it_names(prepared, models, tmp_path, tiny_params):
    before, _ = run_robustness(prepared, models, tmp_path / "before")
    set_params(tiny_params, {"robustness.rotation": [45]})
    after, _ = run_robustness(prepared, models, tmp_path / "after")
    assert sorted(after.loc[after["transform"] == "rotation", "severity"].unique()) == [0, 45]
    others = before["transform"] != "rotation"
    pd.testing.assert_frame_equal(before[others].reset_index(drop=True),
                                  after[after["transform"] != "rotation"].reset_index(drop=True))


def test_a_bad_model_leaves_no_result(prepared, models, tmp_path, tiny_params):
    import keras

    out = tmp_path / "out"
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(PipelineError, match=r"empty.keras is not a loadable Keras model \(the file is empty"):
        run_robustness(prepared, {"dense": models["dense"], "cnn": tmp_path / "empty.keras"}, out)
    keras.Sequential([keras.Input(shape=(5, 5)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(
        tmp_path / "small.keras")
    with pytest.raises(PipelineError, match=r"small.keras expects inputs of shape \(5, 5\), not 28x28"):
        run_robustness(prepared, {"dense": models["dense"], "cnn": tmp_path / "small.keras"}, out)
    assert not out.exists()


def test_a_model_folder_that_is_a_link_is_never_read(prepared, models, tmp_path, tiny_params):
    # As in evaluate (tests/stages/test_evaluate.py): DVC may have restored another seed's models through it
    (tmp_path / "models" / "seed-0").mkdir(parents=True)
    (tmp_path / "models" / "seed-3").symlink_to("seed-0")
    out = tmp_path / "out"
    refused = r"^models/seed-3 is a symbolic link \(to seed-0\): models are never read through a link"
    with pytest.raises(PipelineError, match=refused):
        run_robustness(prepared, {"dense": models["dense"], "cnn": "models/seed-3/cnn.keras"}, out)
    assert not out.exists()
