"""The shown track's `TrackDetail`: read at once on a selection, re-read on a worker when its analyses change.

Selecting a track is what the person just did and playback follows it (a double click plays the
track it selected, the next track plays on at the end of one), so `read` answers at once, a few
primary-key queries. The refresh when the shown track's analyses arrive is not: it comes while an
analysis runs, when the worker holds the GIL most of the time and every query the GUI thread made
would wait for it again at each step, so it runs on the job pool (`CoalescingJob`) and comes back
as ``refreshed``. A refresh's answer is dropped when another track was shown, or the same track
read again, after it started: a stale read never replaces a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from desktop_app.analysis.current import current_models
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner
from desktop_app.library.browse import ModelInfo, TrackDetail, track_detail
from desktop_app.library.database import Library

REFRESH_INTERVAL_MS = 150


@dataclass(frozen=True)
class _Read:
    track_id: int
    reads: int
    """`TrackDetailReader.reads` when this read started: a later `read` makes it stale."""
    detail: TrackDetail | None


class TrackDetailReader(QObject):
    """``refreshed(TrackDetail | None)``: the shown track re-read after its analyses changed.

    ``model`` gives whose analysis is the shown taxonomy's (the window's ``model_info``).
    """

    refreshed = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        library: Library,
        jobs: JobRunner,
        events: LibraryEvents,
        model: Callable[[], ModelInfo | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._model = model
        self._track_id: int | None = None
        self.reads = 0
        """Counts `read` calls; a refresh started before the last one is stale."""
        self.stale = 0
        """Refreshes dropped because the shown track changed (or was read again) meanwhile."""
        self._job = CoalescingJob(
            jobs, "track detail", self._work, self._done, self.failed.emit, REFRESH_INTERVAL_MS, self
        )
        events.analysesChanged.connect(self._analyses_changed)

    @property
    def track_id(self) -> int | None:
        return self._track_id

    @property
    def pending(self) -> bool:
        """A refresh is scheduled, running or owed."""
        return self._job.pending

    def read(self, track_id: int | None) -> TrackDetail | None:
        """Show ``track_id`` from now on: its detail, read now (None for no track or one that is gone)."""
        self._track_id = track_id
        self.reads += 1
        if track_id is None:
            return None
        with self._library.engine.connect() as conn:
            return track_detail(conn, track_id, self._model(), current_models(conn))

    def refresh(self) -> None:
        """Re-read the shown track on a worker soon; ``refreshed`` brings it back."""
        if self._track_id is not None:
            self._job.request()

    def _analyses_changed(self, track_ids: list[int] | None) -> None:
        if track_ids is not None and self._track_id in track_ids:
            self.refresh()

    def _work(self) -> Callable[[JobContext], _Read | None]:
        track_id, reads, model, library = self._track_id, self.reads, self._model(), self._library

        def work(_context: JobContext) -> _Read | None:
            if track_id is None:
                return None
            with library.engine.connect() as conn:
                return _Read(track_id, reads, track_detail(conn, track_id, model, current_models(conn)))

        return work

    def _done(self, result: _Read | None) -> None:
        if result is None:
            return
        if result.reads != self.reads or result.track_id != self._track_id:
            self.stale += 1
            return
        self.refreshed.emit(result.detail)
