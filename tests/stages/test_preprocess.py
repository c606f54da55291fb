import numpy as np

from stages.preprocess import main
from tests.conftest import PROJECT


def test_stage_writes_every_split_and_layout(idx_files, tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT)  # reads the project's params.yaml
    out = tmp_path / "prepared"
    main(["--raw", str(idx_files), "--out", str(out)])
    expected = {"train": 45, "val": 5, "test": 20}
    for split, count in expected.items():
        assert np.load(out / f"{split}_flat.npy").shape == (count, 784)
        assert np.load(out / f"{split}_channel.npy").shape == (count, 28, 28, 1)
        assert np.load(out / f"{split}_labels.npy").shape == (count,)
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f"{split}_{kind}.npy" for split in expected for kind in ("flat", "channel", "labels")
    )
