"""Scanning dropped or chosen files and folders on a pool thread, one scan after another.

The library's `Scanner` does the work (tag reading in worker processes, batched writes); this
wraps it in a `Job`, turns its progress into throttled signals and, when it ends, finds the
scanned tracks so the window can select the first one and queue them all for analysis. Every
batch of tags written and every scan's end is announced as `LibraryEvents.tracksChanged`.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import BACKGROUND_NICENESS, Job, JobContext, JobRunner
from desktop_app.library.browse import track_ids_under
from desktop_app.library.database import Library
from desktop_app.library.scanner import Scanner, ScanProgress, ScanResult

ROOTS_PER_SCAN = 200  # the scanner ORs one condition per root: SQLite allows an expression depth of 1000


def _add(total: ScanResult, part: ScanResult) -> None:
    total.added += part.added
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.missing += part.missing
    total.seconds += part.seconds
    total.cancelled = total.cancelled or part.cancelled
    total.error_files.extend(part.error_files)


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[str, ...]
    select_first: bool = False
    """Select the first scanned track when done (a drop or "Open folder…", not a start-up rescan)."""


@dataclass
class ScanOutcome:
    request: ScanRequest
    result: ScanResult
    track_ids: list[int] = field(default_factory=list)
    """Readable tracks under the scanned paths, in path order."""


class ScanQueue(QObject):
    """Signals: ``progress(ScanProgress)``, ``scanned(ScanOutcome)``, ``failed(Exception)``."""

    progress = Signal(object)
    scanned = Signal(object)
    failed = Signal(object)

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._jobs = jobs
        self._events = events
        self._pending: deque[ScanRequest] = deque()
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None or bool(self._pending)

    def scan(self, paths: list[str], *, select_first: bool = False) -> None:
        request = ScanRequest(tuple(os.path.abspath(p) for p in paths), select_first)
        self._pending.append(request)
        if self._job is None:
            self._next()

    def cancel(self) -> None:
        """Stop the running scan (what it wrote stays) and drop the queued ones."""
        self._pending.clear()
        if self._job is not None:
            self._job.cancel()

    def _next(self) -> None:
        if not self._pending:
            self._job = None
            return
        request = self._pending.popleft()
        library = self._library

        def work(context: JobContext) -> ScanOutcome:
            scanner = Scanner(
                library, progress=context.report, should_cancel=context.cancelled, niceness=BACKGROUND_NICENESS
            )
            result = ScanResult()
            # Thousands of files dropped one by one: the scanner looks each root up in one
            # statement, so hand it a few hundred at a time.
            for start in range(0, len(request.paths), ROOTS_PER_SCAN):
                if context.cancelled():
                    result.cancelled = True
                    break
                _add(result, scanner.scan(request.paths[start : start + ROOTS_PER_SCAN]))
            with library.engine.connect() as conn:
                ids = track_ids_under(conn, [library.paths.to_library(path) for path in request.paths])
            return ScanOutcome(request, result, ids)

        self._job = self._jobs.start(
            work, name="scan", on_done=self._done, on_failed=self._failed, on_progress=self._progress
        )

    def _progress(self, progress: ScanProgress) -> None:
        self.progress.emit(progress)
        if progress.phase == "reading":
            self._events.tracksChanged.emit()

    def _done(self, outcome: ScanOutcome) -> None:
        self._job = None
        self._events.tracksChanged.emit()
        self.scanned.emit(outcome)
        self._next()

    def _failed(self, error: Exception) -> None:
        self._job = None
        self.failed.emit(error)
        self._next()
