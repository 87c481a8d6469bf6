"""One pass's share of a library that several workers analyse at once: claim, renew, finish.

A pass (`classify_tracks`, `tag_tracks`) does not take the list of tracks still to analyse and
work through it: other workers (`genrescope classify` on other machines, the window) may be
working on the same library. It claims a few tracks at a time (`library.claims`), analyses them,
and stores each result only if its claim is still its own, deleting the claim in the same
transaction. A thread renews the pass's claims every quarter of a lease, so a track that takes
long to analyse keeps its claim, while a worker that died loses its claims a lease later.

When no track is left to claim but other workers still hold claims on tracks in scope, the pass
waits (cancellably) until they finish them, or until their claims expire and it takes the tracks
over itself: so the last worker running finishes the work of one that was killed.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from desktop_app.errors import AnalysisError
from desktop_app.library import claims
from desktop_app.library.database import Library

log = logging.getLogger(__name__)
R = TypeVar("R")

DEFAULT_LEASE_SECONDS = 120.0
"""How long a claim lasts without renewal: a killed worker's tracks wait this long for another."""
CLAIM_BATCH = 8
"""Tracks claimed at a time: enough to keep the pipeline's prefetch fed, few enough that the last
tracks spread over the workers."""
MAX_POLL_SECONDS = 2.0
"""How often a pass with nothing left to claim looks whether the other workers have finished."""

_passes = itertools.count(1)


def worker_name() -> str:
    """A name for a new pass, unique among the library's workers: host, process id, pass number."""
    return f"{socket.gethostname()}:{os.getpid()}:{next(_passes)}"


class ClaimedWork:
    """A pass's claims on tracks for one model (``model_id``): a context manager that renews them
    while it is open and gives back what is left when it closes."""

    def __init__(
        self,
        library: Library,
        model_id: int,
        *,
        track_ids: Sequence[int] | None = None,
        limit: int | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        batch: int = CLAIM_BATCH,
    ) -> None:
        if not lease_seconds > 0:
            raise AnalysisError(f"a lease must last longer than 0 seconds, not {lease_seconds}")
        self.library = library
        self.model_id = model_id
        self.track_ids = None if track_ids is None else list(track_ids)
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.worker = worker_name()
        self.claimed = 0
        """Tracks this pass claimed so far (counted against ``limit``)."""
        self._closed = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name=f"lease {self.worker}", daemon=True)

    def __enter__(self) -> ClaimedWork:
        self._renewer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closed.set()
        self._renewer.join()
        try:
            with self.library.writer.begin() as conn:
                claims.release(conn, self.model_id, self.worker)
        except SQLAlchemyError:
            # Closing after the database failed: the claims expire a lease later all the same.
            log.warning("could not give back the claims of %s", self.worker, exc_info=True)

    def results(
        self, pipeline: Callable[[Iterable[tuple[int, str]]], Iterator[R]], cancelled: Callable[[], bool]
    ) -> Iterator[R]:
        """``pipeline``'s results over the tracks this pass claims, until none is left in scope.

        Each round feeds ``pipeline`` claimed tracks until there are no more to claim and its
        results are all out; then, if other workers still hold tracks in scope, waits for them
        and goes round again for any they left behind.
        """
        while True:
            yield from pipeline(self._claimed_tracks(cancelled))
            if cancelled() or not self._wait_for_others(cancelled):
                return

    def finish(self, conn: Connection, track_id: int) -> bool:
        """In the transaction that stores the track's analysis: True if the claim was still this
        pass's (store it), False if another worker took the track over (drop the result)."""
        return claims.finish(conn, self.model_id, track_id, self.worker)

    def _left(self) -> int:
        return self.batch if self.limit is None else min(self.batch, self.limit - self.claimed)

    def _claimed_tracks(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, str]]:
        while not cancelled() and self._left() > 0:
            with self.library.writer.begin() as conn:
                found = claims.claim(conn, self.model_id, self.worker, self.lease_seconds, self._left(), self.track_ids)
            if not found:
                return
            self.claimed += len(found)
            yield from found

    def _wait_for_others(self, cancelled: Callable[[], bool]) -> bool:
        """Wait while other workers hold claims on tracks in scope; True when one has expired (go
        round again), False when there is nothing left for this pass."""
        if self._left() <= 0:
            return False
        poll = min(MAX_POLL_SECONDS, self.lease_seconds / 4)
        while not cancelled():
            with self.library.engine.connect() as conn:
                expires_in = claims.held_elsewhere(conn, self.model_id, self.worker, self.track_ids)
            if expires_in is None:
                return False
            if expires_in <= 0:
                return True
            deadline = time.monotonic() + min(expires_in, poll)
            while not cancelled() and time.monotonic() < deadline:
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return False

    def _renew(self) -> None:
        while not self._closed.wait(self.lease_seconds / 4):
            try:
                with self.library.writer.begin() as conn:
                    claims.renew(conn, self.model_id, self.worker, self.lease_seconds)
            except SQLAlchemyError:
                # The next renewal may get through; if none does, the claims expire and another
                # worker takes the tracks, and this pass's late results are dropped.
                log.warning("could not renew the claims of %s", self.worker, exc_info=True)
