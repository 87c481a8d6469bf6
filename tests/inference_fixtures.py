"""Shared fixtures for the inference tests: a random-weight checkpoint and a local model hub.

Import the fixtures into a test module (``from tests.inference_fixtures import random_checkpoint``).
The checkpoint is the exact CCMusic architecture with random weights (the real weights cannot be
downloaded here); results from it are always marked origin ``test``. It is 488 MB, so it is built
once per session even when several modules import the fixture.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import torch

from desktop_app.inference.hub import FILE_IN_REPO, REPO_ID
from desktop_app.inference.network import random_state_dict

SEED = 1234
PINNED_REVISION = "0123456789abcdef0123456789abcdef01234567"  # the local hub's commit; not the real one
CDN_PATH = "/cdn/save.pt"


def hub_path(revision: str) -> str:
    """The path the hub serves the checkpoint at, for ``revision`` as it goes in a URL."""
    return f"/{REPO_ID}/resolve/{revision}/{FILE_IN_REPO}"


HUB_PATH = hub_path("main")
_RESOLVE = re.compile(re.escape(f"/{REPO_ID}/resolve/") + "([^/]+)" + re.escape(f"/{FILE_IN_REPO}"))


@dataclass(frozen=True)
class RandomCheckpoint:
    path: Path
    sha256: str
    state_dict: dict[str, torch.Tensor]


_built: dict[str, RandomCheckpoint] = {}


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RandomCheckpoint]:
    """The exact architecture with seeded random weights, saved once as a plain state_dict."""
    if "checkpoint" not in _built:
        state = random_state_dict(SEED)
        path = tmp_path_factory.mktemp("checkpoint") / "random_vgg19_bn_cqt.pt"
        torch.save(state, path)
        _built["checkpoint"] = RandomCheckpoint(path, file_sha256(path), state)
    yield _built["checkpoint"]
    _built["checkpoint"].path.unlink(missing_ok=True)


@pytest.fixture
def tmp_path(tmp_path: Path) -> Iterator[Path]:
    """pytest's tmp_path, emptied after the test: pytest keeps the last three runs' folders, and
    these tests write several 488 MB files."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def random_windows(n: int, seed: int = 0) -> np.ndarray:
    """Inputs shaped like the audio layer's: float32 [n, 3, 224, 224] in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 3, 224, 224)).astype(np.float32)


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed, so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HubServer:
    """A local stand-in for the hub: the model path redirects to a CDN path, like Hugging Face.

    It knows the revisions in ``revisions``; any other gets the hub's 404 with
    ``X-Error-Code: RevisionNotFound``. linked_etag goes out verbatim in X-Linked-Etag on the
    redirect (None: no such header), etag in ETag on the file's responses. cut_after makes each
    of the next ``cuts`` transfers drop the connection after that many bytes. requests records
    (path, Range).
    """

    payload: Path
    linked_etag: str | None
    etag: str | None = None
    revisions: tuple[str, ...] = ("main", PINNED_REVISION)
    cut_after: int | None = None
    cuts: int = 1
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def range_requests(self) -> list[str]:
        return [r for p, r in self.requests if p == CDN_PATH and r is not None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        hub: HubServer = self.server.hub  # type: ignore[attr-defined]
        hub.requests.append((self.path, self.headers.get("Range")))
        resolve = _RESOLVE.fullmatch(self.path)
        if resolve:
            self._resolve(hub, unquote(resolve.group(1)))
            return
        if self.path != CDN_PATH:
            self.send_error(404)
            return
        size = hub.payload.stat().st_size
        start = 0
        wanted = self.headers.get("Range")
        if wanted:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))  # type: ignore[union-attr]
            if start >= size:
                self.send_response(416)
                self._send_etag(hub)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self._send_etag(hub)
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        cut = hub.cut_after if hub.cuts > 0 else None
        hub.cuts -= cut is not None
        sent = 0
        with hub.payload.open("rb") as f:
            f.seek(start)
            while chunk := f.read(1 << 20):
                if cut is not None and sent + len(chunk) > cut:
                    self.wfile.write(chunk[: cut - sent])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):  # the client cancelled
                    self.close_connection = True
                    return
                sent += len(chunk)

    def _resolve(self, hub: HubServer, revision: str) -> None:
        """The hub's answer for the checkpoint at ``revision``: a redirect, or 404 with its error code."""
        if revision not in hub.revisions:
            self.send_response(404)
            self.send_header("X-Error-Code", "RevisionNotFound")
            self.send_header("X-Error-Message", f"Invalid rev id: {revision}")
        else:
            self.send_response(302)
            self.send_header("Location", CDN_PATH)
            if hub.linked_etag is not None:
                self.send_header("X-Linked-Etag", hub.linked_etag)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_etag(self, hub: HubServer) -> None:
        if hub.etag is not None:
            self.send_header("ETag", hub.etag)


@pytest.fixture
def hub_server(random_checkpoint: RandomCheckpoint) -> Iterator[HubServer]:
    """A real HTTP server on 127.0.0.1 serving the random checkpoint, stating its true SHA-256
    in X-Linked-Etag as the hub does for LFS files."""
    hub = HubServer(payload=random_checkpoint.path, linked_etag=f'"{random_checkpoint.sha256}"')
    hub.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    hub.httpd.daemon_threads = True
    hub.httpd.hub = hub  # type: ignore[attr-defined]
    thread = threading.Thread(target=hub.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        hub.httpd.shutdown()
        hub.httpd.server_close()
        thread.join(timeout=10)


def copy_truncated(source: Path, dest: Path, fraction: float = 0.5) -> Path:
    """The first ``fraction`` of ``source``, like an interrupted copy or download."""
    with source.open("rb") as src, dest.open("wb") as out:
        shutil.copyfileobj(src, out)
        out.truncate(int(source.stat().st_size * fraction))
    return dest
