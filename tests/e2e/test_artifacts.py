"""End to end: the models as DVC artifacts (README, "The models as DVC artifacts").

In a copy of the session's project at tiny params (main's results, then its cnn-2-epochs
branch merged): push to a local DVC remote (a folder), register versions with `gto register`,
then `dvc artifacts get REPO cnn` from another folder, with the repository's own cache gone so
that only the remote can serve it.
"""

import hashlib
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from dense_vs_cnn.model.saving import load_model
from dense_vs_cnn.predict.cli import main as predict
from tests.conftest import CNN_BRANCH, copy_project, dvc, in_this_process, run

pytestmark = pytest.mark.e2e


def commit(repo, message):
    run(["git", "add", "-A"], cwd=repo)
    run(["git", "commit", "-q", "-m", message], cwd=repo)


def locked_md5(repo, path):
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return next(out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])
                if out["path"] == path)


def get_artifact(repo, folder, *arguments):
    """`dvc artifacts get REPO cnn ...` run in a new `folder`; the md5 of the file it wrote."""
    folder.mkdir()
    result = dvc("artifacts", "get", str(repo), "cnn", *arguments, cwd=folder)
    assert "Downloaded 1 file(s) to 'cnn.keras'" in result.stdout
    return hashlib.md5((folder / "cnn.keras").read_bytes()).hexdigest()


def test_registered_model_versions_are_downloaded_from_the_remote(cnn_branch_project, tmp_path, capsys):
    repo = copy_project(cnn_branch_project, tmp_path / "repo")  # main after one real `dvc repro`
    dvc("remote", "add", "-d", "storage", str(tmp_path / "remote"), cwd=repo)
    commit(repo, "results and a DVC remote")
    dvc("push", cwd=repo)
    assert "Created git tag 'cnn@v0.0.1'" in run(["gto", "register", "cnn"], cwd=repo).stdout
    first = locked_md5(repo, "models/seed-3/cnn.keras")

    # The artifact name works where a path does, in digits-predict (its console script, in this process).
    Image.fromarray(np.pad(np.full((20, 4), 255, np.uint8), 4)).save(tmp_path / "one.png")
    image = str(tmp_path / "one.png")
    by_name = in_this_process(predict, [image, "--model", "cnn"], repo, capsys)
    by_path = in_this_process(predict, [image, "--model", "models/seed-3/cnn.keras"], repo, capsys)
    assert by_name.returncode == by_path.returncode == 0, by_name.stderr + by_path.stderr
    assert by_name.stdout == by_path.stdout and " cnn: " in by_name.stdout

    # A second version: the CNN trained for one more epoch, on the session's branch, merged.
    run(["git", "merge", "-q", "--no-edit", CNN_BRANCH], cwd=repo)
    dvc("checkout", "-q", cwd=repo)
    dvc("push", cwd=repo)
    assert "Created git tag 'cnn@v0.0.2'" in run(["gto", "register", "cnn"], cwd=repo).stdout
    second = locked_md5(repo, "models/seed-3/cnn.keras")
    assert second != first

    shutil.rmtree(repo / ".dvc" / "cache")  # only the remote holds the models now
    assert get_artifact(repo, tmp_path / "latest") == second
    assert get_artifact(repo, tmp_path / "first", "--rev", "v0.0.1") == first
    model = load_model(tmp_path / "latest" / "cnn.keras")  # safe mode
    assert model.output_shape == (None, 10)
