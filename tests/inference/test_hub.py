"""Downloading the model from a real HTTP server on 127.0.0.1: progress, resume, checksum (stated,
given, or computed locally), pinned revisions, cancellation, atomic install, and the offline
message."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app.inference.checkpoint import CheckpointError, Problem
from desktop_app.inference.hub import (
    DEFAULT_REVISION,
    HUB_URL_ENV,
    REVISION_ENV,
    DownloadCancelled,
    HubError,
    HubUnreachableError,
    download_model,
    model_url,
    part_name,
)
from desktop_app.inference.model_store import MANIFEST, installed_model
from tests.inference_fixtures import (  # noqa: F401
    CDN_PATH,
    HUB_PATH,
    PINNED_REVISION,
    HubServer,
    RandomCheckpoint,
    closed_port,
    copy_truncated,
    hub_path,
    hub_server,
    random_checkpoint,
    tmp_path,
)

PART_NAME = part_name(DEFAULT_REVISION)


@pytest.fixture(autouse=True)
def _no_hub_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own hub settings must not redirect these tests."""
    monkeypatch.delenv(HUB_URL_ENV, raising=False)
    monkeypatch.delenv(REVISION_ENV, raising=False)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_model_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_REVISION == "main"  # until a release records the commit id it verified
    assert model_url() == "https://huggingface.co/ccmusic-database/music_genre/resolve/main/vgg19_bn_cqt/save.pt"
    monkeypatch.setenv(HUB_URL_ENV, "http://mirror.invalid/")
    assert model_url() == "http://mirror.invalid/ccmusic-database/music_genre/resolve/main/vgg19_bn_cqt/save.pt"
    assert model_url("http://127.0.0.1:9").startswith("http://127.0.0.1:9/ccmusic-database/")
    monkeypatch.setenv(REVISION_ENV, PINNED_REVISION)
    assert model_url() == f"http://mirror.invalid/ccmusic-database/music_genre/resolve/{PINNED_REVISION}/vgg19_bn_cqt/save.pt"
    assert model_url(revision="refs/pr/1").endswith("/resolve/refs%2Fpr%2F1/vgg19_bn_cqt/save.pt")  # as the hub quotes it


def test_download_reports_progress_and_installs(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    calls: list[tuple[int, int | None]] = []
    result = download_model(
        base_url=hub_server.base_url, root=root, origin="test", progress=lambda d, t: calls.append((d, t))
    )
    model = result.model
    size = random_checkpoint.path.stat().st_size
    assert model.sha256 == random_checkpoint.sha256
    assert (result.revision, result.checksum) == ("main", "hub")  # checked against X-Linked-Etag
    assert result.checksum_message() == "SHA-256 checked against the one the server states."
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
    model = download_model(
        base_url=hub_server.base_url, root=root, origin="test", progress=lambda d, t: calls.append(d)
    ).model
    assert model.sha256 == random_checkpoint.sha256
    assert hub_server.range_requests() == [f"bytes={cut}-"]
    assert calls.count(cut) >= 1 and calls[-1] == random_checkpoint.path.stat().st_size
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])


def test_checksum_mismatch_installs_nothing(hub_server: HubServer, tmp_path: Path) -> None:
    root = tmp_path / "models"
    hub_server.linked_etag = f'"{"0" * 64}"'  # the server says the file should hash to this
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

    model = download_model(base_url=hub_server.base_url, root=root, origin="test").model
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
    with pytest.raises(HubError, match="not found there at revision 'main'") as caught:
        download_model(base_url=hub_server.base_url + "/elsewhere", root=tmp_path / "models", origin="test")
    assert "genrescope model import" in str(caught.value)


def test_a_complete_part_left_by_a_crash_is_installed_without_downloading_again(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    shutil.copyfile(random_checkpoint.path, root / PART_NAME)
    size = random_checkpoint.path.stat().st_size
    model = download_model(base_url=hub_server.base_url, root=root, origin="test").model
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


def test_a_pinned_revision_is_requested_and_recorded(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    monkeypatch.setenv(REVISION_ENV, PINNED_REVISION)
    result = download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert [p for p, _ in hub_server.requests] == [hub_path(PINNED_REVISION), CDN_PATH]
    assert result.revision == PINNED_REVISION
    assert result.model.source == hub_server.base_url + hub_path(PINNED_REVISION)
    assert installed_model(root) == result.model  # the manifest records the pinned URL
    assert result.model.sha256 == random_checkpoint.sha256


def test_an_unknown_revision_gets_the_hubs_404_and_a_message_naming_it(
    hub_server: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    (root / PART_NAME).write_bytes(b"main's first bytes")
    monkeypatch.setenv(REVISION_ENV, PINNED_REVISION)  # the argument wins over the environment
    with pytest.raises(HubError) as caught:
        download_model(base_url=hub_server.base_url, root=root, revision="v9-gone", origin="test")
    message = str(caught.value)
    assert "the hub has no revision 'v9-gone' of ccmusic-database/music_genre" in message
    assert "--revision" in message and REVISION_ENV in message
    assert "genrescope model import" in message
    assert hub_server.requests == [(hub_path("v9-gone"), None)]
    assert _files(root) == [PART_NAME]  # a mistyped revision does not cost main's partial download


def test_a_part_of_another_revision_is_not_resumed(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    copy_truncated(random_checkpoint.path, root / part_name("main"))
    model = download_model(base_url=hub_server.base_url, root=root, revision=PINNED_REVISION, origin="test").model
    assert hub_server.range_requests() == []  # fetched whole, not spliced onto main's bytes
    assert model.sha256 == random_checkpoint.sha256
    assert _files(root) == sorted([f"{model.sha256}.pt", MANIFEST])


@pytest.mark.parametrize(
    "linked_etag,etag",
    [
        (None, None),
        (None, '"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"'),  # a git blob id, as the hub sends for non-LFS files
        (f'W/"{"0" * 64}"', None),  # weak: does not promise these bytes, so it is not checked against
    ],
    ids=["no-etag", "git-blob-sha1", "weak-etag"],
)
def test_without_a_stated_sha256_the_checksum_is_computed_locally(
    hub_server: HubServer,
    random_checkpoint: RandomCheckpoint,
    tmp_path: Path,
    linked_etag: str | None,
    etag: str | None,
) -> None:
    root = tmp_path / "models"
    hub_server.linked_etag, hub_server.etag = linked_etag, etag
    result = download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert result.checksum == "local"
    assert result.server_etag == (linked_etag or etag)
    assert result.checksum_message().startswith("Checksum computed locally: the server stated no SHA-256")
    assert result.model.sha256 == random_checkpoint.sha256  # computed from the bytes and recorded
    assert installed_model(root) == result.model
    assert _files(root) == sorted([f"{result.model.sha256}.pt", MANIFEST])


def test_a_sha256_in_a_plain_etag_is_checked(hub_server: HubServer, tmp_path: Path) -> None:
    root = tmp_path / "models"
    hub_server.linked_etag, hub_server.etag = None, f'"{"0" * 64}"'
    with pytest.raises(CheckpointError) as caught:
        download_model(base_url=hub_server.base_url, root=root, origin="test")
    assert caught.value.problem is Problem.CHECKSUM
    assert _files(root) == []


def _genrescope(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], env=env, capture_output=True, text=True, timeout=600)


def test_model_install_json_names_the_revision_and_a_locally_computed_checksum(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, cli_env: dict[str, str]
) -> None:
    hub_server.linked_etag = None
    args = ["model", "install", "--hub-url", hub_server.base_url, "--revision", PINNED_REVISION, "--json"]
    result = _genrescope(args, cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["revision"] == PINNED_REVISION
    assert report["source"] == hub_server.base_url + hub_path(PINNED_REVISION)
    assert (report["checksum"], report["server_etag"]) == ("local", None)
    assert report["message"].startswith("Checksum computed locally")
    assert report["sha256"] == random_checkpoint.sha256
    assert Path(report["path"]) == Path(cli_env["GENRESCOPE_DATA_DIR"]) / "models" / f"{random_checkpoint.sha256}.pt"


def test_model_install_says_how_the_checksum_was_checked(
    hub_server: HubServer, random_checkpoint: RandomCheckpoint, cli_env: dict[str, str]
) -> None:
    args = ["model", "install", "--hub-url", hub_server.base_url, "--sha256", random_checkpoint.sha256]
    result = _genrescope(args, cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Revision main. SHA-256 checked against the value you gave."

    unknown = _genrescope(["model", "install", "--hub-url", hub_server.base_url, "--revision", "nope"], cli_env)
    assert unknown.returncode == 1
    assert "the hub has no revision 'nope'" in unknown.stderr
