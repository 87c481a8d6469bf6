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
        response, offset, stated = _open(url, part, timeout)
        stated_sha = stated or stated_sha
        if response is None:
            break  # the part already holds the whole file
        try:
            _copy(response, part, offset, progress, cancel)
            break
        except _Interrupted as exc:
            failures += 1
            if failures > retries:
                raise HubError(
                    f"The download from {url} kept breaking off ({exc.__cause__}); "
                    f"{part.stat().st_size:,} bytes are kept and the next download resumes. "
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
    """The connection broke off during the transfer: worth resuming."""


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


def _open(url: str, part: Path, timeout: float) -> tuple[http.client.HTTPResponse | None, int, str | None]:
    """Request the rest of the file after what ``part`` holds.

    Returns the response (None when ``part`` is already complete), the offset its body starts
    at, and the SHA-256 the server states, if any.
    """
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "genrescope", "Accept-Encoding": "identity"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    redirects = _RecordingRedirects()
    try:
        response = urllib.request.build_opener(redirects).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            _, total = _content_range(exc.headers.get("Content-Range", ""))
            if total == offset:
                return None, offset, _stated_sha256([*redirects.headers, exc.headers])
            part.unlink()  # longer than the remote file: not a prefix of it
            return _open(url, part, timeout)
        raise HubError(_http_message(url, exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubUnreachableError(
            f"Could not reach {url.split('/')[2]} to download the genre model ({reason}). "
            + manual_install_instructions()
        ) from None
    stated = _stated_sha256([*redirects.headers, response.headers])
    if response.status == 206:
        start, _ = _content_range(response.headers.get("Content-Range", ""))
        if start != offset:
            response.close()
            raise HubError(f"{url} resumed at byte {start:,} instead of {offset:,}")
        return response, offset, stated
    return response, 0, stated  # 200: the whole file, from the start


def _copy(
    response: http.client.HTTPResponse,
    part: Path,
    offset: int,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> None:
    """Write the response body into ``part`` from ``offset``; network failures raise _Interrupted."""
    length = response.headers.get("Content-Length")
    total = offset + int(length) if length is not None else None
    done = offset
    with response, part.open("r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        if progress:
            progress(done, total)
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(
                    f"Download cancelled; {done:,} bytes are kept in {part} and the next download resumes."
                )
            try:
                chunk = response.read(CHUNK)
            except (http.client.HTTPException, OSError) as exc:  # resets, timeouts
                raise _Interrupted() from exc
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        raise _Interrupted() from ConnectionError(f"connection closed at byte {done:,} of {total:,}")


def _content_range(value: str) -> tuple[int | None, int | None]:
    """(first byte, total size) from 'bytes 100-199/200' or 'bytes */200'."""
    found = re.fullmatch(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)", value.strip())
    if not found:
        raise HubError(f"the server sent an unusable Content-Range: {value!r}")
    first, total = found.groups()
    return (int(first) if first else None), (None if total == "*" else int(total))


def _http_message(url: str, exc: urllib.error.HTTPError) -> str:
    if exc.code == 404:
        what = "the file was not found there (the hub's layout may have changed)"
    elif exc.code in (401, 403):
        what = "the hub refused access"
    else:
        what = f"the server answered {exc.code} {exc.reason}"
    return f"Could not download the genre model from {url}: {what}. " + manual_install_instructions()

