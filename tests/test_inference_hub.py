"""Downloading the model from a real HTTP server on 127.0.0.1: progress, resume, checksum,
cancellation, atomic install, and the offline message."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from desktop_app.inference.checkpoint import CheckpointError, Problem
from desktop_app.inference.hub import (
    HUB_URL_ENV,
    PART_NAME,
    DownloadCancelled,
    HubError,
    HubUnreachableError,
    download_model,
    model_url,
)
from desktop_app.inference.model_store import MANIFEST, installed_model
from tests.inference_fixtures import (  # noqa: F401
    CDN_PATH,
    HUB_PATH,
    HubServer,
    RandomCheckpoint,
    closed_port,
    hub_server,
    random_checkpoint,
    tmp_path,
)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_model_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HUB_URL_ENV, raising=False)
    assert model_url() == "https://huggingface.co/ccmusic-database/music_genre/resolve/main/vgg19_bn_cqt/save.pt"
    monkeypatch.setenv(HUB_URL_ENV, "http://mirror.invalid/")
    assert model_url() == "http://mirror.invalid/ccmusic-database/music_genre/resolve/main/vgg19_bn_cqt/save.pt"
    assert model_url("http://127.0.0.1:9").startswith("http://127.0.0.1:9/ccmusic-database/")


def test_download_reports_progress_and_installs(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    calls: list[tuple[int, int | None]] = []
    model = download_model(
        base_url=hub_server.base_url, root=root, origin="test", progress=lambda d, t: calls.append((d, t))
    )
    size = random_checkpoint.path.stat().st_size
    assert model.sha256 == random_checkpoint.sha256
    assert model.source == hub_server.base_url + HUB_PATH
    assert model.origin == "test"
    assert installed_model(root) == model
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])  # no .part, no temp file
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) > 10
    assert [p for p, _ in hub_server.requests] == [HUB_PATH, CDN_PATH]  # followed the redirect


def test_download_resumes_after_the_connection_drops(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    cut = 150_000_000
    hub_server.cut_after = cut
    calls: list[int] = []
    model = download_model(base_url=hub_server.base_url, root=root, origin="test", progress=lambda d, t: calls.append(d))
    assert model.sha256 == random_checkpoint.sha256
    assert hub_server.range_requests() == [f"bytes={cut}-"]
    assert calls.count(cut) >= 1 and calls[-1] == random_checkpoint.path.stat().st_size
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])


def test_checksum_mismatch_installs_nothing(hub_server: HubServer, tmp_path: Path) -> None:
    root = tmp_path / "models"
    hub_server.stated_sha256 = "0" * 64  # the server says the file should hash to this
    with pytest.raises(CheckpointError) as caught:
        download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert caught.value.problem is Problem.CHECKSUM
    assert _files(root) == []  # the .part is gone too: its bytes are known to be wrong


def test_explicit_expected_checksum_wins(hub_server: HubServer, tmp_path: Path) -> None:
    root = tmp_path / "models"
    with pytest.raises(CheckpointError, match="expected 1111"):
        download_model(base_url=hub_server.base_url, root=root, origin="test", expected_sha256="1" * 64)
    assert _files(root) == []


def test_cancel_keeps_the_part_and_the_next_download_resumes(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    seen: list[int] = []
    with pytest.raises(DownloadCancelled, match="next download resumes"):
        download_model(
            base_url=hub_server.base_url,
            root=root,
            origin="test",
            progress=lambda d, t: seen.append(d),
            cancel=lambda: bool(seen) and seen[-1] >= 5 << 20,
        )
    assert _files(root) == [PART_NAME]
    kept = (root / PART_NAME).stat().st_size
    assert kept == seen[-1] >= 5 << 20
    assert installed_model(root) is None

    model = download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert hub_server.range_requests() == [f"bytes={kept}-"]
    assert model.sha256 == random_checkpoint.sha256
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])


def test_offline_fails_fast_with_manual_instructions(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(HubUnreachableError) as caught:
        download_model(base_url=f"http://127.0.0.1:{closed_port()}", root=tmp_path / "models", origin="test")
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "Could not reach 127.0.0.1" in message
    assert "https://huggingface.co/ccmusic-database/music_genre" in message
    assert "vgg19_bn_cqt/save.pt" in message and "488 MB" in message
    assert "genrescope model import /path/to/save.pt" in message
    assert installed_model(tmp_path / "models") is None


def test_missing_file_on_the_server(hub_server: HubServer, tmp_path: Path) -> None:
    with pytest.raises(HubError, match="not found there") as caught:
        download_model(base_url=hub_server.base_url + "/elsewhere", root=tmp_path / "models", origin="test")
    assert "genrescope model import" in str(caught.value)


def test_a_complete_part_left_by_a_crash_is_installed_without_downloading_again(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    shutil.copyfile(random_checkpoint.path, root / PART_NAME)
    size = random_checkpoint.path.stat().st_size
    model = download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert hub_server.range_requests() == [f"bytes={size}-"]  # answered 416: nothing left to send
    assert model.sha256 == random_checkpoint.sha256
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])


def test_a_connection_that_keeps_breaking_gives_up_and_keeps_the_part(hub_server: HubServer, tmp_path: Path) -> None:
    root = tmp_path / "models"
    hub_server.cut_after, hub_server.cuts = 3 << 20, 10
    with pytest.raises(HubError, match="kept breaking off") as caught:
        download_model(base_url=hub_server.base_url, root=root, origin="test", retries=2)
    assert "next download resumes" in str(caught.value)
    assert _files(root) == [PART_NAME]
    assert (root / PART_NAME).stat().st_size == 3 * (3 << 20)  # three attempts, each resumed
