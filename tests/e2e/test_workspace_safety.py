"""End to end: what a careless user does to the workspace loses nothing. A file edited in
place cannot corrupt DVC's cache, a seed folder that is a symbolic link is refused (also where
DVC restores the seed's models through it from its run-cache), and a seed dropped from
params.yaml leaves evaluate depending on exactly the models it scores.
Real `dvc` and `git`, real MNIST at tiny params.
"""

import hashlib
import shutil

import pytest
import yaml

from tests.conftest import SEEDS, copy_project, dvc, run, set_params, stages_run

pytestmark = pytest.mark.e2e


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def locked(repo, stage, path):
    """The entry of `path` among `stage`'s deps and outs in dvc.lock."""
    entries = yaml.safe_load((repo / "dvc.lock").read_text())["stages"][stage]
    return next(entry for kind in ("deps", "outs") for entry in entries.get(kind, [])
                if entry["path"] == path)


@pytest.fixture(scope="module")
def repo(built_project, tmp_path_factory):
    return copy_project(built_project[0], tmp_path_factory.mktemp("safety") / "repo")


def test_overwriting_a_tracked_file_leaves_the_cache_intact(repo):
    model, other = repo / "models" / "seed-3" / "cnn.keras", repo / "models" / "seed-3" / "dense.keras"
    original = md5(model)
    shutil.copyfile(other, model)  # as root, the read-only bit would not stop it either
    assert "modified" in dvc("status", cwd=repo).stdout
    dvc("checkout", "--force", cwd=repo)
    assert md5(model) == original == locked(repo, "train_cnn@3", "models/seed-3/cnn.keras")["md5"]


def test_a_linked_seed_folder_is_refused_then_a_dropped_seed_leaves_nothing_behind(repo):
    (repo / "models" / "seed-8").symlink_to("seed-3")
    set_params(repo / "params.yaml", {"seeds": [3, 8]})
    refused = dvc("repro", cwd=repo, check=False)
    assert refused.returncode != 0
    expected = "error: models/seed-8 is a symbolic link (to seed-3): outputs are never written through a link"
    assert expected in refused.stderr + refused.stdout
    (repo / "models" / "seed-8").unlink()
    dvc("repro", cwd=repo)  # seed 3's models come back from the cache, seed 8's are trained
    seed_3, seed_8 = (md5(repo / "models" / f"seed-{seed}" / "cnn.keras") for seed in (3, 8))
    assert seed_3 != seed_8 and seed_3 == locked(repo, "train_cnn@3", "models/seed-3/cnn.keras")["md5"]

    set_params(repo / "params.yaml", {"seeds": [8]})
    dropped = dvc("repro", cwd=repo).stdout
    assert stages_run(dropped) == ["evaluate", "robustness", "permuted", "compare"]  # seed 8 is now the first
    assert "removed models/seed-3" in dropped
    assert not (repo / "models" / "seed-3").exists()
    files = sorted(str(path.relative_to(repo)) for path in (repo / "models").rglob("*") if path.is_file())
    assert files == ["models/seed-8/.gitignore", "models/seed-8/cnn.keras", "models/seed-8/dense.keras"]
    assert locked(repo, "evaluate", "models")["nfiles"] == len(files)  # what a fresh clone has
    assert stages_run(dvc("repro", cwd=repo).stdout) == []
    run(["git", "checkout", "-q", "--", "."], cwd=repo)  # back to seeds [3]: restored, not retrained
    back = dvc("repro", cwd=repo).stdout
    assert "train_cnn" not in stages_run(back), back


def test_a_linked_seed_folder_that_dvc_restores_through_is_refused(built_project, seeds_project, tmp_path):
    # The session's project with the seeds project's DVC cache, as a team's shared cache holds what
    # a teammate trained: seed 0's models are in its run-cache, and DVC restores them, untrained.
    repo = copy_project(built_project[0], tmp_path / "repo")
    shutil.copytree(seeds_project[0] / ".dvc" / "cache", repo / ".dvc" / "cache", dirs_exist_ok=True)
    seed = SEEDS[1]
    (repo / "models" / f"seed-{seed}").symlink_to("seed-3")
    set_params(repo / "params.yaml", {"seeds": [3, seed]})
    refused = dvc("repro", cwd=repo, check=False)
    assert refused.returncode != 0
    assert f"Stage 'train_cnn@{seed}' is cached" in refused.stdout  # written through the link, over seed 3's
    assert (f"error: models/seed-{seed} is a symbolic link (to seed-3): models are never read through a "
            "link") in refused.stderr
    (repo / "models" / f"seed-{seed}").unlink()
    restored = dvc("repro", cwd=repo).stdout
    assert not {"train_dense", "train_cnn"} & set(stages_run(restored)), restored
    for each in (3, seed):
        path = f"models/seed-{each}/cnn.keras"
        assert md5(repo / path) == locked(repo, f"train_cnn@{each}", path)["md5"]
    assert md5(repo / "models" / "seed-3" / "cnn.keras") != md5(repo / f"models/seed-{seed}/cnn.keras")
