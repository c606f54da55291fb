import json
import os

import numpy as np
import pytest

from dense_vs_cnn.core.errors import PipelineError
from dense_vs_cnn.core.files import (
    atomic_path,
    load_array,
    open_regular,
    read_csv,
    read_json,
    remove_other_seed_folders,
    save_array,
    write_json,
    write_text,
)


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path, failure):
    with pytest.raises(failure), atomic_path(tmp_path / "out" / "model.keras") as temporary:
        assert temporary.parent == tmp_path / "out" and temporary.suffix == ".keras"
        temporary.write_text("half a model")
        raise failure()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    write_json(tmp_path / "metrics.json", {"accuracy": 0.9})
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "metrics.json") as temporary:
        temporary.write_text("{")
        raise RuntimeError()
    assert read_json(tmp_path / "metrics.json") == {"accuracy": 0.9}
    assert [path.name for path in tmp_path.iterdir()] == ["metrics.json"]


def test_json_round_trip_is_sorted_and_ends_with_a_newline(tmp_path):
    write_json(tmp_path / "metrics.json", {"loss": 0.1, "accuracy": 0.9})
    text = (tmp_path / "metrics.json").read_text()
    assert text.endswith("}\n") and text.index("accuracy") < text.index("loss")
    assert json.loads(text) == read_json(tmp_path / "metrics.json")


def test_missing_or_broken_json_says_how_to_rebuild(tmp_path):
    with pytest.raises(PipelineError, match=r"absent.json is missing: run `dvc repro`"):
        read_json(tmp_path / "absent.json")
    (tmp_path / "broken.json").write_text('{"accuracy": ')
    with pytest.raises(PipelineError, match=r"broken.json is not valid JSON .* `dvc repro -f`"):
        read_json(tmp_path / "broken.json")


def test_arrays_round_trip_and_are_never_unpickled(tmp_path):
    save_array(tmp_path / "labels.npy", np.arange(5, dtype=np.uint8))
    np.testing.assert_array_equal(load_array(tmp_path / "labels.npy"), np.arange(5))
    np.save(tmp_path / "objects.npy", np.array([{"code": "runs on load"}], dtype=object), allow_pickle=True)
    with pytest.raises(PipelineError, match=r"objects.npy is not a valid .npy array .*allow_pickle=False"):
        load_array(tmp_path / "objects.npy")
    (tmp_path / "text.npy").write_text("not an array")
    with pytest.raises(PipelineError, match=r"text.npy is not a valid .npy array"):
        load_array(tmp_path / "text.npy")
    with pytest.raises(PipelineError, match=r"absent.npy is missing: run `dvc repro`"):
        load_array(tmp_path / "absent.npy")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -np.inf, np.float64("nan")])
def test_json_never_holds_nan_or_infinity(tmp_path, value):
    write_json(tmp_path / "metrics.json", {"accuracy": 0.9})
    with pytest.raises(PipelineError) as error:
        write_json(tmp_path / "metrics.json", {"accuracy": 0.9, "per_model": {"cnn": {"loss": value}}})
    assert str(error.value) == (f"{tmp_path / 'metrics.json'} was not written: per_model.cnn.loss would be "
                                "NaN or infinity, which JSON cannot hold: the computation that made it went "
                                "wrong")
    assert read_json(tmp_path / "metrics.json") == {"accuracy": 0.9}  # the previous file, untouched
    assert [path.name for path in tmp_path.iterdir()] == ["metrics.json"]


def test_empty_or_garbled_csv_says_how_to_restore_it(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(PipelineError, match=r"empty.csv is not a readable CSV table \(No columns to parse"):
        read_csv(tmp_path / "empty.csv")
    (tmp_path / "garbled.csv").write_text('epoch,accuracy\n0,"0.9\n')
    with pytest.raises(PipelineError, match=r"garbled.csv is not a readable CSV table .*`git checkout -- "):
        read_csv(tmp_path / "garbled.csv")


def test_open_regular_reads_a_file_and_refuses_the_rest_unread(tmp_path):
    (tmp_path / "file").write_bytes(b"data")
    with open_regular(tmp_path / "file") as stream:
        assert stream.read() == b"data"
    os.mkfifo(tmp_path / "fifo")  # no writer: opening it to read would block forever
    with pytest.raises(ValueError, match=r"^a FIFO \(named pipe\), not a regular file: refused without"):
        open_regular(tmp_path / "fifo")
    with pytest.raises(ValueError, match="^a character device, not a regular file"):
        open_regular("/dev/zero")  # never ends
    with pytest.raises(ValueError, match="^a folder, not a regular file"):
        open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "absent")


def test_outputs_are_never_written_through_a_linked_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "seed-3").mkdir(parents=True)
    (tmp_path / "models" / "seed-3" / "dense.keras").write_bytes(b"seed 3's model")
    (tmp_path / "models" / "seed-8").symlink_to("seed-3")
    expected = r"^models/seed-8 is a symbolic link \(to seed-3\): outputs are never written through a link"
    with pytest.raises(PipelineError, match=expected + r".*`rm models/seed-8`"):
        write_text("models/seed-8/dense.keras", "seed 8's model")
    assert (tmp_path / "models" / "seed-3" / "dense.keras").read_bytes() == b"seed 3's model"
    write_text(tmp_path / "models" / "seed-3" / "other.txt", "fine")  # no link on the way: written


def test_folders_of_seeds_no_longer_listed_are_removed(tmp_path):
    for seed in (3, 8, 11):
        (tmp_path / "models" / f"seed-{seed}").mkdir(parents=True)
        (tmp_path / "models" / f"seed-{seed}" / "dense.keras").write_text("model")
    (tmp_path / "models" / "seed-4").symlink_to("seed-3")
    (tmp_path / "models" / "notes.txt").write_text("not a seed folder: kept")
    removed = remove_other_seed_folders(str(tmp_path / "models" / "seed-{seed}" / "dense.keras"), [8])
    assert [path.name for path in removed] == ["seed-11", "seed-3", "seed-4"]
    assert sorted(path.name for path in (tmp_path / "models").iterdir()) == ["notes.txt", "seed-8"]
    assert remove_other_seed_folders(str(tmp_path / "models" / "dense.keras"), [8]) == []  # no {seed}: none
