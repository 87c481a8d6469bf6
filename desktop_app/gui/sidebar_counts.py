"""The sidebar's counts, read on the job pool whenever the library changes.

Counting every artist, album, tag genre and predicted genre of a 100,000-track library takes tens
of milliseconds, and a scan or an analysis changes them many times a second: `SidebarCounter`
reads them on a worker, coalesced (`CoalescingJob`, runs at least ``COUNTS_INTERVAL_MS`` apart),
together with the current model of each name, which genre and smart playlists evaluate against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from desktop_app.analysis.current import current_models
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner
from desktop_app.library.browse import ModelInfo, SidebarCounts, sidebar_counts
from desktop_app.library.database import Library

COUNTS_INTERVAL_MS = 400


@dataclass(frozen=True)
class CountsResult:
    """What the counts job read, with what it was read for."""

    model: ModelInfo | None
    threshold: float
    counts: SidebarCounts
    taxonomy: str
    models: dict[str, int]
    """The current model id of each name, for smart and genre playlists."""


class SidebarCounter(QObject):
    """``counted(CountsResult)`` after each read; ``model`` is whose predictions to count."""

    counted = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        library: Library,
        jobs: JobRunner,
        events: LibraryEvents,
        settings: AppSettings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._settings = settings
        self.model: ModelInfo | None = None
        self._job = CoalescingJob(
            jobs, "sidebar counts", self._work, self.counted.emit, self.failed.emit, COUNTS_INTERVAL_MS, self
        )
        for signal in (events.tracksChanged, events.analysesChanged, events.modelsChanged):
            signal.connect(self.request)

    def request(self) -> None:
        self._job.request()

    @property
    def pending(self) -> bool:
        return self._job.pending

    def _work(self) -> Callable[[JobContext], CountsResult]:
        info, threshold, library = self.model, self._settings.low_confidence, self._library
        taxonomy = self._settings.taxonomy
        model_id = info.id if info is not None else None

        def work(_context: JobContext) -> CountsResult:
            with library.engine.connect() as conn:
                models = {name: m.id for name, m in current_models(conn).items() if m.id is not None}
                return CountsResult(info, threshold, sidebar_counts(conn, model_id, threshold), taxonomy, models)

        return work
