"""Downloading the published CCMusic checkpoint and installing it.

Source: ``<base>/ccmusic-database/music_genre/resolve/<revision>/vgg19_bn_cqt/save.pt``.
base is ``https://huggingface.co`` unless ``base_url=`` / ``GENRESCOPE_HUB_URL`` names a mirror
(or a test server); revision is ``DEFAULT_REVISION`` unless ``revision=`` /
``GENRESCOPE_HUB_REVISION`` pins another. The URL, revision included, is recorded as the installed
model's ``source``. The file is ~488 MB, so the download reports progress, can be cancelled, and
resumes with an HTTP Range request: after a dropped connection within the same call (up to
``retries`` times), and on the next call (also after the app was closed) from the ``.part`` file
a cancelled or failed call left. The part is named after the revision, so bytes of one revision
are never resumed into another; a part of another revision is deleted once the server has
answered for the one asked for (a mistyped revision does not cost the bytes already fetched).

Checksum: an ``expected_sha256`` argument wins; otherwise the server's ``X-Linked-Etag`` (or
``ETag``) when it is a strong SHA-256, as the hub states it for LFS files. A missing ETag, a git
blob id (40 hex, what the hub sends for non-LFS files) or a weak ``W/"..."`` ETag (RFC 9110: a
weak validator does not promise the same bytes) is not a checksum: the download then goes ahead,
its SHA-256 is computed locally and recorded, and the result says so (``HubInstall.checksum`` is
``"local"``). A mismatch deletes the ``.part`` and installs nothing. A resumed file is always
checked as a whole, so a remote file that changed between attempts cannot be spliced in silently
when the server states its hash. Either way the file is loaded strictly (``weights_only``) before
it is installed, atomically, by ``model_store.install_file``.

Why urllib and not ``huggingface_hub`` (the hub's own client; evaluated with huggingface_hub 2.4.0
against a hub-like local server that answers HEAD with ``X-Repo-Commit``, ``X-Linked-Etag`` and
``X-Linked-Size``, redirects to another host and serves Range requests):

- It loses resumption across calls: ``hf_hub_download(local_dir=...)`` writes to a process-unique
  ``.incomplete`` file and deletes it when the call fails or is cancelled; measured: cancelled
  after 10 MiB of 64 MiB, nothing was left on disk and the next call fetched from byte 0 (no
  Range). Resuming a 488 MB download after Cancel or a restart is a guarantee of this module.
- It refuses what this module accepts: a response without an ETag ("Distant resource does not
  have an ETag") and a mirror that is a plain file server without ``X-Repo-Commit``.
- It does not check the SHA-256 of what it downloaded (the ETag only names its cache entry), so
  our check and strict load would stay anyway; progress and cancellation would go through a
  ``tqdm_class`` subclass that raises from ``update`` every 10 MiB, not through an API; and it
  adds its ``.cache/huggingface`` folder and lock files to the models folder.
- Cost: 9 more distributions (huggingface_hub, hf_xet, httpx2, httpcore2, anyio, h11, click,
  pyyaml, truststore; ~27 MB installed, hf_xet's native library 11 MB of it; filelock, fsspec,
  packaging, tqdm and typing_extensions are here already) and ~105 ms to import
  ``hf_hub_download`` against ~21 ms for ``urllib.request`` (warm, ``python -X importtime``): a
  second HTTP stack for one file that a resolve URL, a redirect and Range requests deliver.

torch is imported only to validate the finished file.
"""

from __future__ import annotations

import email.message
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from desktop_app.config import models_dir
from desktop_app.errors import InferenceError
from desktop_app.inference.identity import Origin
from desktop_app.inference.model_store import InstalledModel, install_file

DEFAULT_HUB_URL = "https://huggingface.co"
HUB_URL_ENV = "GENRESCOPE_HUB_URL"
# "main" is whatever the repository holds today, and it has moved these weights twice. A release
# must set this to the 40-hex commit id whose file it verified (downloaded, checked to load
# strictly and to give the published results), so that every install gets those bytes or fails
# with a clear message. No machine of this project can reach the hub to learn that id yet.
DEFAULT_REVISION = "main"
REVISION_ENV = "GENRESCOPE_HUB_REVISION"
REPO_ID = "ccmusic-database/music_genre"
FILE_IN_REPO = "vgg19_bn_cqt/save.pt"
HUB_PAGE = f"{DEFAULT_HUB_URL}/{REPO_ID}"
PART_STEM = "vgg19_bn_cqt-save.pt"
CHUNK = 1 << 20

Progress = Callable[[int, int | None], object]
"""Called with (bytes on disk so far, total bytes or None if the server does not say)."""

Checksum = Literal["given", "hub", "local"]
"""Where the SHA-256 the file was checked against came from: the caller, the server's ETag, or
nowhere (the server stated none, so the hash was only computed locally and recorded)."""


class HubError(InferenceError):
    """The model could not be downloaded; the message says what to do instead."""


class HubUnreachableError(HubError):
    """No connection to the hub at all (offline, DNS failure, refused, timed out)."""


class DownloadCancelled(HubError):
    """The caller cancelled; the partial file is kept so the next download resumes."""


@dataclass(frozen=True)
class HubInstall:
    """What ``download_model`` installed, from which revision, and how its bytes were checked.

    server_etag: the ``X-Linked-Etag`` (else ``ETag``) the server sent, verbatim, or None.
    """

    model: InstalledModel
    revision: str
    checksum: Checksum
    server_etag: str | None

    def checksum_message(self) -> str:
        if self.checksum == "given":
            return "SHA-256 checked against the value you gave."
        if self.checksum == "hub":
            return "SHA-256 checked against the one the server states."
        stated = f"its ETag {self.server_etag} is not one" if self.server_etag else "it sent no ETag"
        return (
            f"Checksum computed locally: the server stated no SHA-256 ({stated}), "
            "so the file was checked only by loading it strictly."
        )


def hub_revision(revision: str | None = None) -> str:
    """``revision``, else ``GENRESCOPE_HUB_REVISION``, else ``DEFAULT_REVISION``."""
    return revision or os.environ.get(REVISION_ENV) or DEFAULT_REVISION


def model_url(base_url: str | None = None, revision: str | None = None) -> str:
    """The checkpoint's URL under ``base_url`` (else ``GENRESCOPE_HUB_URL``, else the hub) at
    ``revision`` (see ``hub_revision``; quoted as the hub expects, so ``refs/pr/1`` works)."""
    base = (base_url or os.environ.get(HUB_URL_ENV) or DEFAULT_HUB_URL).rstrip("/")
    rev = urllib.parse.quote(hub_revision(revision), safe="")
    return f"{base}/{REPO_ID}/resolve/{rev}/{FILE_IN_REPO}"


def part_name(revision: str) -> str:
    """The partial download's file name in the models folder for ``revision``."""
    return f"{PART_STEM}@{urllib.parse.quote(revision, safe='')}.part"


def manual_install_instructions(revision: str | None = None) -> str:
    return (
        f"To install it by hand: on a computer with internet access open {HUB_PAGE}, download the "
        f"file {FILE_IN_REPO} (about 488 MB; direct link {model_url(DEFAULT_HUB_URL, revision)}), "
        "copy it to this computer and run: genrescope model import /path/to/save.pt"
    )


def download_model(
    *,
    base_url: str | None = None,
    revision: str | None = None,
    root: str | os.PathLike[str] | None = None,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    timeout: float = 20.0,
    retries: int = 3,
    origin: Origin = "hub",
) -> HubInstall:
    """Download the checkpoint into the models folder, verify it, and install it.

    cancel: polled between 1 MiB chunks (e.g. ``threading.Event().is_set``); True raises
    ``DownloadCancelled``. Raises ``HubUnreachableError`` at once when offline, ``HubError`` for
    other download failures (an unknown revision among them), ``CheckpointError`` when the file
    is wrong (checksum or content).
    """
    rev = hub_revision(revision)
    url = model_url(base_url, rev)
    folder = Path(root) if root is not None else models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / part_name(rev)
    response, offset, etags = _open(url, rev, part, timeout)  # None: the part holds the whole file
    for other in folder.glob(f"{PART_STEM}*.part"):
        if other != part:  # the server has this revision; another's bytes are no prefix of it
            other.unlink(missing_ok=True)
    failures = 0
    while response is not None:
        try:
            _copy(response, part, offset, progress, cancel)
            break
        except _Interrupted as exc:
            failures += 1
            if failures > retries:
                raise HubError(
                    f"The download from {url} kept breaking off ({exc.__cause__}); "
                    f"{part.stat().st_size:,} bytes are kept and the next download resumes. "
                    + manual_install_instructions(rev)
                ) from None
        response, offset, sent = _open(url, rev, part, timeout)
        etags = sent or etags
    stated = _stated_sha256(etags)
    checksum: Checksum = "given" if expected_sha256 else "hub" if stated else "local"
    model = install_file(part, root=folder, origin=origin, source=url, expected_sha256=expected_sha256 or stated)
    return HubInstall(model, rev, checksum, etags[0] if etags else None)


class _Interrupted(Exception):
    """The connection broke off during the transfer: worth resuming."""


class _RecordingRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does, remembering the headers of each redirect response.

    The hub states the file's SHA-256 in ``X-Linked-Etag`` on its redirect to the CDN, and
    urllib would otherwise only show the final response's headers.
    """

    def __init__(self) -> None:
        self.headers: list[email.message.Message] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.headers.append(headers)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _etags(headers: list[email.message.Message]) -> list[str]:
    """The ETags the responses carried, verbatim: every ``X-Linked-Etag`` first, then ``ETag``."""
    return [value.strip() for name in ("X-Linked-Etag", "ETag") for h in headers if (value := h.get(name))]


def _stated_sha256(etags: list[str]) -> str | None:
    """The first strong ETag that is a SHA-256 (64 hex digits, quoted or not), lower-cased."""
    for etag in etags:
        value = etag.strip('"').lower()
        if re.fullmatch(r"[0-9a-f]{64}", value):
            return value
    return None


def _open(
    url: str, revision: str, part: Path, timeout: float
) -> tuple[http.client.HTTPResponse | None, int, list[str]]:
    """Request the rest of the file after what ``part`` holds.

    Returns the response (None when ``part`` is already complete), the offset its body starts
    at, and the ETags the server sent.
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
                return None, offset, _etags([*redirects.headers, exc.headers])
            part.unlink()  # longer than the remote file: not a prefix of it
            return _open(url, revision, part, timeout)
        raise HubError(_http_message(url, revision, exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubUnreachableError(
            f"Could not reach {url.split('/')[2]} to download the genre model ({reason}). "
            + manual_install_instructions(revision)
        ) from None
    etags = _etags([*redirects.headers, response.headers])
    if response.status == 206:
        start, _ = _content_range(response.headers.get("Content-Range", ""))
        if start != offset:
            response.close()
            raise HubError(f"{url} resumed at byte {start:,} instead of {offset:,}")
        return response, offset, etags
    return response, 0, etags  # 200: the whole file, from the start


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


def _http_message(url: str, revision: str, exc: urllib.error.HTTPError) -> str:
    """Why the server refused, in the user's terms; the hub names the cause in ``X-Error-Code``."""
    code = exc.headers.get("X-Error-Code") if exc.headers is not None else None
    if code == "RevisionNotFound":
        what = (
            f"the hub has no revision {revision!r} of {REPO_ID} "
            f"(check --revision or {REVISION_ENV}: a branch, tag or commit id of that repository)"
        )
    elif exc.code == 404:
        what = (
            f"the file was not found there at revision {revision!r} (that revision may not exist "
            "there, or the hub's layout may have changed)"
        )
    elif exc.code in (401, 403):
        what = "the hub refused access"
    else:
        what = f"the server answered {exc.code} {exc.reason}"
    return f"Could not download the genre model from {url}: {what}. " + manual_install_instructions(revision)
