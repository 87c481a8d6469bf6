"""The analysis queue: one inference runner that owns the model and works through queued tracks.

Runs on its own single-thread pool so scans and queries never wait behind a forward pass and two
analyses never load the model twice. The classifier is loaded on the first request (importing
torch there, not at start-up) and kept for the next ones until the model or device changes.
`classify_tracks` does the work (decode/CQT/images overlapped with inference, one commit per
track); this reports which tracks got their analysis, throttled, so the window can refresh.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.gui.model_source import ModelSource
from desktop_app.gui.workers import Job, JobContext, JobRunner
from desktop_app.library.database import Library

if TYPE_CHECKING:
    from desktop_app.inference.classify_library import ClassifyProgress
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.identity import ModelIdentity


@dataclass(frozen=True)
class AnalysisProgress:
    done: int
    total: int
    path: str
    queued: int
    """Requests still waiting after the current one."""
    track_ids: list[int]
    """Tracks analysed (or failed) since the previous report."""


@dataclass
class AnalysisOutcome:
    analysed: int = 0
    failed: int = 0
    cancelled: bool = False
    error_files: list[dict[str, str]] = field(default_factory=list)
    model: ModelIdentity | None = None


class AnalysisQueue(QObject):
    """Signals: ``modelLoaded(ModelIdentity)``, ``progress(AnalysisProgress)``,
    ``finished(AnalysisOutcome)`` when the queue runs dry, ``failed(Exception)`` (e.g. the model
    cannot load)."""

    modelLoaded = Signal(object)
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)
        self.jobs = JobRunner(pool, self)
        self._lock = threading.Lock()
        self._pending: deque[list[int] | None] = deque()
        self._source: ModelSource | None = None
        self._device = "auto"
        self._loaded: tuple[tuple[ModelSource, str], GenreClassifier] | None = None
        self._job: Job | None = None

    @property
    def has_model(self) -> bool:
        return self._source is not None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def set_model(self, source: ModelSource | None, device: str) -> None:
        """Use this model on this device from the next request on (the loaded one is dropped)."""
        if (source, device) == (self._source, self._device):
            return
        self.cancel()
        with self._lock:
            self._source, self._device = source, device

    def enqueue(self, track_ids: list[int] | None) -> bool:
        """Queue these tracks (None: every track not analysed yet); False when there is no model."""
        if self._source is None:
            return False
        with self._lock:
            self._pending.append(list(track_ids) if track_ids is not None else None)
        if self._job is None:
            self._start()
        return True

    def cancel(self) -> None:
        """Drop the queue and stop after the track in flight (finished analyses are kept)."""
        with self._lock:
            self._pending.clear()
        if self._job is not None:
            self._job.cancel()

    def shutdown(self) -> None:
        self.cancel()
        self.jobs.shutdown()

    def _start(self) -> None:
        self._job = self.jobs.start(
            self._work, name="analysis", on_done=self._done, on_failed=self._failed,
            on_progress=self._on_progress,
        )

    def _classifier(self) -> GenreClassifier:
        """The loaded classifier for the current model and device (worker thread only)."""
        with self._lock:
            key = (self._source, self._device)
        source, device = key
        if source is None:
            raise RuntimeError("no genre model is installed")
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = None
            self._loaded = (key, source.open_classifier(device))
        return self._loaded[1]

    def _work(self, context: JobContext) -> AnalysisOutcome:
        from desktop_app.inference.classify_library import classify_tracks

        classifier = self._classifier()
        context.report(classifier.identity, force=True)
        outcome = AnalysisOutcome(model=classifier.identity)
        while not context.cancelled():
            with self._lock:
                if not self._pending:
                    break
                request = self._pending.popleft()
                queued = len(self._pending)
            unsent: list[int] = []

            def progress(p: ClassifyProgress, queued: int = queued, unsent: list[int] = unsent) -> None:
                if p.track_id is not None:
                    unsent.append(p.track_id)
                if context.report(AnalysisProgress(p.done, p.total, p.path, queued, list(unsent))):
                    unsent.clear()

            summary = classify_tracks(
                self._library, classifier, track_ids=request, progress=progress,
                should_cancel=context.cancelled,
            )
            context.report(AnalysisProgress(0, 0, "", queued, list(unsent)), force=True)
            outcome.analysed += summary.analysed
            outcome.failed += summary.failed
            outcome.error_files.extend(summary.error_files)
        outcome.cancelled = context.cancelled()
        return outcome

    def _on_progress(self, progress: object) -> None:
        if isinstance(progress, AnalysisProgress):
            self.progress.emit(progress)
        else:
            self.modelLoaded.emit(progress)

    def _done(self, outcome: AnalysisOutcome) -> None:
        self._job = None
        with self._lock:
            more = bool(self._pending)
        if more:  # queued while the worker was finishing
            self._start()
        else:
            self.finished.emit(outcome)

    def _failed(self, error: Exception) -> None:
        self._job = None
        with self._lock:
            self._pending.clear()
        self.failed.emit(error)
