"""The installed model: atomic import, manifest, status, and refusals that leave nothing behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop_app.config import models_dir
from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.inference.checkpoint import CheckpointError, Problem
from desktop_app.inference.model_store import (
    MANIFEST,
    ModelStoreError,
    import_model,
    installed_model,
    status,
)
from tests.inference_fixtures import RandomCheckpoint, copy_truncated, random_checkpoint, tmp_path  # noqa: F401


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_import_installs_atomically_with_a_manifest(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    root = tmp_path / "models"
    assert installed_model(root) is None
    model = import_model(random_checkpoint.path, root=root, origin="test")
    sha = random_checkpoint.sha256
    assert _files(root) == sorted([f"{sha}.pt", MANIFEST])  # no temporary file left
    assert model.path == root / f"{sha}.pt"
    assert (model.sha256, model.size, model.origin) == (sha, random_checkpoint.path.stat().st_size, "test")
    assert model.source == str(random_checkpoint.path.resolve())
    assert model.classes == GENRE_KEYS
    manifest = json.loads((root / MANIFEST).read_text())
    assert manifest["sha256"] == sha and manifest["file"] == f"{sha}.pt"
    assert manifest["installed_at"].endswith("+00:00")
    assert manifest["classes"] == list(GENRE_KEYS)
    assert installed_model(root) == model

    info = status(root)
    assert info["state"] == "installed"
    assert info["sha256"] == sha and info["path"] == str(model.path) and info["origin"] == "test"
    json.dumps(info)

    classifier = model.open_classifier(device="cpu")
    assert classifier.identity.sha256 == sha
    assert classifier.identity.origin == "test"


def test_default_folder_is_the_configured_models_dir(
    random_checkpoint: RandomCheckpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENRESCOPE_DATA_DIR", str(tmp_path / "data"))
    model = import_model(random_checkpoint.path, origin="test")
    assert model.path.parent == models_dir()
    assert status()["models_dir"] == str(models_dir())


def test_bad_file_installs_nothing_and_keeps_the_old_model(
    random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    good = import_model(random_checkpoint.path, root=root, origin="test")
    before = _files(root)
    broken = copy_truncated(random_checkpoint.path, tmp_path / "save.pt", fraction=0.3)
    with pytest.raises(CheckpointError) as caught:
        import_model(broken, root=root)
    assert caught.value.problem is Problem.TRUNCATED
    assert str(broken) in str(caught.value) and ".installing-" not in str(caught.value)
    assert _files(root) == before
    assert installed_model(root) == good

    with pytest.raises(CheckpointError, match="does not exist"):
        import_model(tmp_path / "missing.pt", root=root)
    assert _files(root) == before


def test_reinstall_replaces_the_previous_file(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    import torch

    root = tmp_path / "models"
    first = import_model(random_checkpoint.path, root=root, origin="test")
    wrapped = tmp_path / "wrapped.pt"
    torch.save({"model": random_checkpoint.state_dict}, wrapped)  # same weights, other bytes
    second = import_model(wrapped, root=root, origin="test")
    assert second.sha256 != first.sha256
    assert _files(root) == sorted([f"{second.sha256}.pt", MANIFEST])


def test_status_without_a_model(tmp_path: Path) -> None:
    info = status(tmp_path / "empty")
    assert info["state"] == "not_installed"
    assert "genrescope model import FILE" in info["message"]


def test_broken_installs_are_reported(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    root = tmp_path / "models"
    model = import_model(random_checkpoint.path, root=root, origin="test")

    os.truncate(model.path, 1000)
    with pytest.raises(ModelStoreError, match="has 1,000 bytes"):
        installed_model(root)
    model.path.unlink()
    assert status(root)["state"] == "broken"
    assert "is missing" in status(root)["message"]

    manifest = json.loads((root / MANIFEST).read_text())
    (root / MANIFEST).write_text(json.dumps({**manifest, "classes": list(reversed(GENRE_KEYS))}))
    with pytest.raises(ModelStoreError, match="other classes"):
        installed_model(root)

    (root / MANIFEST).write_text("{ not json")
    with pytest.raises(ModelStoreError, match="manifest .* is damaged"):
        installed_model(root)


def test_a_file_changed_after_installation_is_refused(
    random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    model = import_model(random_checkpoint.path, root=root, origin="test")
    with model.path.open("r+b") as f:  # same size, one byte different
        f.seek(model.size // 2)
        byte = f.read(1)
        f.seek(model.size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CheckpointError) as caught:
        installed_model(root).open_classifier(device="cpu")  # type: ignore[union-attr]
    assert caught.value.problem is Problem.CHECKSUM
