"""Downloading the published CCMusic checkpoint and installing it.

Source: ``<base>/ccmusic-database/music_genre/resolve/main/vgg19_bn_cqt/save.pt`` with base
``https://huggingface.co`` (``GENRESCOPE_HUB_URL`` or ``base_url=`` replaces it, e.g. a mirror or
a test server). The file is ~488 MB, so the download reports progress, can be cancelled, and
resumes with an HTTP Range request: after a dropped connection within the same call (up to
``retries`` times), and on the next call from the ``.part`` file a cancelled or failed call left.

Checksum: an ``expected_sha256`` argument wins; otherwise the hub's ``X-Linked-Etag`` (or an
``ETag``) is used when it is a SHA-256, as it is for Hugging Face LFS files; otherwise the hash is
only recorded. A mismatch deletes the ``.part`` and installs nothing. A resumed file is always
checked as a whole, so a remote file that changed between attempts cannot be spliced in silently
when the server states its hash.

Uses urllib only (no extra dependency). torch is imported only to validate the finished file.
"""

from __future__ import annotations

import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from desktop_app.config import models_dir
from desktop_app.inference.identity import Origin
from desktop_app.inference.model_store import InstalledModel, install_file

DEFAULT_HUB_URL = "https://huggingface.co"
HUB_URL_ENV = "GENRESCOPE_HUB_URL"
REPO_ID = "ccmusic-database/music_genre"
FILE_IN_REPO = "vgg19_bn_cqt/save.pt"
HUB_PAGE = f"{DEFAULT_HUB_URL}/{REPO_ID}"
PART_NAME = "vgg19_bn_cqt-save.pt.part"
CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]
"""Called with (bytes on disk so far, total bytes or None if the server does not say)."""


class HubError(Exception):
    """The model could not be downloaded; the message says what to do instead."""


class HubUnreachableError(HubError):
    """No connection to the hub at all (offline, DNS failure, refused, timed out)."""


class DownloadCancelled(HubError):
    """The caller cancelled; the partial file is kept so the next download resumes."""


def model_url(base_url: str | None = None) -> str:
    """The checkpoint's URL under ``base_url``, else ``GENRESCOPE_HUB_URL``, else the hub."""
    base = (base_url or os.environ.get(HUB_URL_ENV) or DEFAULT_HUB_URL).rstrip("/")
    return f"{base}/{REPO_ID}/resolve/main/{FILE_IN_REPO}"


def manual_install_instructions() -> str:
    return (
        f"To install it by hand: on a computer with internet access open {HUB_PAGE}, download the "
        f"file {FILE_IN_REPO} (about 488 MB; direct link {model_url(DEFAULT_HUB_URL)}), "
        "copy it to this computer and run: genrescope model import /path/to/save.pt"
    )


def download_model(
    *,
    base_url: str | None = None,
    root: str | os.PathLike[str] | None = None,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    timeout: float = 20.0,
    retries: int = 3,
    origin: Origin = "hub",
) -> InstalledModel:
    """Download the checkpoint into the models folder, verify it, and install it.

    cancel: polled between 1 MiB chunks (e.g. ``threading.Event().is_set``); True raises
    ``DownloadCancelled``. Raises ``HubUnreachableError`` at once when offline, ``HubError`` for
    other download failures, ``CheckpointError`` when the file is wrong (checksum or content).
    """
    url = model_url(base_url)
    folder = Path(root) if root is not None else models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / PART_NAME
    stated_sha: str | None = None
    failures = 0
    while True:
        try:
            stated_sha = _fetch(url, part, progress, cancel, timeout) or stated_sha
            break
        except _Interrupted as exc:
            stated_sha = stated_sha or exc.stated_sha256
            failures += 1
            if failures > retries:
                raise HubError(
                    f"The download from {url} kept failing ({exc.__cause__}); "
                    f"{part.stat().st_size if part.exists() else 0:,} bytes are kept and the next "
                    "download resumes. "
                    + manual_install_instructions()
                ) from None
    return install_file(
        part,
        root=folder,
        origin=origin,
        source=url,
        expected_sha256=expected_sha256 or stated_sha,
    )


class _Interrupted(Exception):
    """The transfer broke after the server answered: worth resuming."""

    def __init__(self, stated_sha256: str | None) -> None:
        super().__init__("transfer interrupted")
        self.stated_sha256 = stated_sha256


class _RecordingRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does, remembering the headers of each redirect response.

    The hub states the file's SHA-256 in ``X-Linked-Etag`` on its redirect to the CDN, and
    urllib would otherwise only show the final response's headers.
    """

    def __init__(self) -> None:
        self.headers: list[http.client.HTTPMessage] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        self.headers.append(headers)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _stated_sha256(headers: list[http.client.HTTPMessage]) -> str | None:
    for name in ("X-Linked-Etag", "ETag"):
        for h in headers:
            value = (h.get(name) or "").strip().removeprefix("W/").strip('"').lower()
            if re.fullmatch(r"[0-9a-f]{64}", value):
                return value
    return None


def _fetch(
    url: str,
    part: Path,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
    timeout: float,
) -> str | None:
    """One request: resume ``part`` from its size to the end; returns the SHA-256 the server states."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "genrescope", "Accept-Encoding": "identity"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    redirects = _RecordingRedirects()
    try:
        response = urllib.request.build_opener(redirects).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Our part is not a prefix the server can continue (larger, or the file changed).
            part.unlink()
            raise _Interrupted(None) from exc
        raise HubError(_http_message(url, exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubUnreachableError(
            f"Could not reach {url.split('/')[2]} to download the genre model ({reason}). "
            + manual_install_instructions()
        ) from None
    stated = _stated_sha256([*redirects.headers, response.headers])
    with response:
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                part.unlink()
                raise _Interrupted(stated) from HubError(f"server resumed at byte {start}, not {offset}")
        else:  # 200: the whole file, from the start
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
        try:
            _copy(response, part, offset, total, progress, cancel)
        except (http.client.HTTPException, OSError) as exc:  # includes socket timeouts and resets
            raise _Interrupted(stated) from exc
    return stated


def _copy(
    response: http.client.HTTPResponse,
    part: Path,
    offset: int,
    total: int | None,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> None:
    done = offset
    with part.open("r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        if progress:
            progress(done, total)
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(
                    f"Download cancelled; {done:,} bytes are kept in {part} and the next download resumes."
                )
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        raise http.client.IncompleteRead(b"", total - done)


def _content_range(value: str) -> tuple[int, int | None]:
    found = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", value.strip())
    if not found:
        raise HubError(f"the server sent an unusable Content-Range: {value!r}")
    return int(found.group(1)), None if found.group(2) == "*" else int(found.group(2))


def _http_message(url: str, exc: urllib.error.HTTPError) -> str:
    if exc.code == 404:
        what = "the file was not found there (the hub's layout may have changed)"
    elif exc.code in (401, 403):
        what = "the hub refused access"
    else:
        what = f"the server answered {exc.code} {exc.reason}"
    return f"Could not download the genre model from {url}: {what}. " + manual_install_instructions()

