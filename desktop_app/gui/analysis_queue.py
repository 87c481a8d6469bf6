"""The analysis queue: one inference runner that owns the model and works through queued tracks.

Runs on its own single-thread pool so scans and queries never wait behind a forward pass and two
analyses never load the model twice. The classifier is loaded only when there is something to
analyse (importing torch there, not at start-up) and kept for the next requests until the model
or device changes. `classify_tracks` does the work (decode/CQT/images overlapped with inference,
one commit per track) on chunks of tracks, so a 100,000-track request never becomes one SQL
statement with 100,000 parameters; this reports which tracks got their analysis, throttled.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.gui.model_source import ModelSource
from desktop_app.gui.workers import Job, JobContext, JobRunner
from desktop_app.library import analyses as store
from desktop_app.library.database import Library

if TYPE_CHECKING:
    from desktop_app.inference.classify_library import ClassifyProgress
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.identity import ModelIdentity

CHUNK = 256  # tracks per classify_tracks call: well under SQLite's limit on bound parameters
_LOADING = "loading"  # progress marker: the model is being read


@dataclass(frozen=True)
class AnalysisProgress:
    done: int
    """Tracks finished since the queue started running."""
    total: int
    """``done`` plus what is still queued."""
    path: str
    track_ids: list[int]
    """Tracks analysed (or failed) since the previous report."""


@dataclass
class AnalysisOutcome:
    analysed: int = 0
    failed: int = 0
    cancelled: bool = False
    error_files: list[dict[str, str]] = field(default_factory=list)
    model: ModelIdentity | None = None


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


class AnalysisQueue(QObject):
    """Signals: ``modelLoading()`` before the weights are read, ``modelLoaded(ModelIdentity)``,
    ``progress(AnalysisProgress)``,
    ``finished(AnalysisOutcome)`` when the queue runs dry, ``failed(Exception)`` (e.g. the model
    cannot load)."""

    modelLoading = Signal()
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
        """Chunks of track ids; None stands for "every track not analysed yet"."""
        self._queued = 0
        """Tracks in the pending chunks."""
        self._source: ModelSource | None = None
        self._device = "auto"
        self._loaded: tuple[tuple[ModelSource, str], GenreClassifier] | None = None
        self._load_lock = threading.Lock()
        """Held while the model loads: the analysis and the explanations share one copy of it."""
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
        """Queue these tracks (None: every track not analysed yet); False when there is no model.

        Tracks this model has analysed already are skipped when their turn comes.
        """
        if self._source is None:
            return False
        with self._lock:
            if track_ids is None:
                self._pending.append(None)
            else:
                for chunk in _chunks(list(track_ids)):
                    self._pending.append(chunk)
                    self._queued += len(chunk)
        if self._job is None:
            self._start()
        return True

    def cancel(self) -> None:
        """Drop the queue and stop after the track in flight (finished analyses are kept)."""
        with self._lock:
            self._pending.clear()
            self._queued = 0
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

    # --- worker thread ----------------------------------------------------------------------

    def _take(self) -> list[int] | None | bool:
        """The next chunk, or False when the queue is empty."""
        with self._lock:
            if not self._pending:
                return False
            chunk = self._pending.popleft()
            if chunk is not None:
                self._queued -= len(chunk)
            return chunk

    def _todo(self, chunk: list[int] | None, sha256: str | None) -> list[int]:
        """Which tracks of ``chunk`` (None: of the library) this model still has to analyse."""
        with self._library.engine.connect() as conn:
            model_id = store.model_id_for(conn, sha256) if sha256 is not None else None
            return [track_id for track_id, _path in store.tracks_to_analyse(conn, model_id, chunk)]

    def classifier(self) -> GenreClassifier:
        """The loaded classifier for the current model and device, loading it if needed.

        Blocks for as long as loading takes (torch and ~488 MB): call it off the GUI thread. The
        explanations use it too, so there is only ever one copy of the weights in memory.
        """
        with self._lock:
            key = (self._source, self._device)
        source, device = key
        if source is None:
            raise RuntimeError("no genre model is installed")
        with self._load_lock:
            if self._loaded is None or self._loaded[0] != key:
                self._loaded = None
                self._loaded = (key, source.open_classifier(device))
            return self._loaded[1]

    def _work(self, context: JobContext) -> AnalysisOutcome:
        from desktop_app.inference.classify_library import classify_tracks

        with self._lock:
            source = self._source
        classifier: GenreClassifier | None = None
        outcome = AnalysisOutcome()
        done = 0
        while not context.cancelled():
            chunk = self._take()
            if chunk is False:
                break
            sha = classifier.identity.sha256 if classifier is not None else source.sha256 if source else None
            # Know the work before paying for torch and a 488 MB model (a file in place has no
            # known SHA-256 yet: every readable track counts as work until it is loaded).
            todo = self._todo(chunk, sha)
            if not todo:
                continue
            if classifier is None:
                if self._loaded is None:
                    context.report(_LOADING, force=True)
                classifier = self.classifier()
                outcome.model = classifier.identity
                context.report(classifier.identity, force=True)
            for part in _chunks(todo):
                unsent: list[int] = []

                def progress(p: ClassifyProgress, unsent: list[int] = unsent, start: int = done) -> None:
                    if p.track_id is not None:
                        unsent.append(p.track_id)
                    finished = start + p.done
                    with self._lock:
                        total = finished + (p.total - p.done) + self._queued
                    if context.report(AnalysisProgress(finished, total, p.path, list(unsent))):
                        unsent.clear()

                summary = classify_tracks(
                    self._library, classifier, track_ids=part, progress=progress,
                    should_cancel=context.cancelled,
                )
                done += summary.analysed + summary.failed
                with self._lock:
                    total = done + self._queued
                context.report(AnalysisProgress(done, total, "", list(unsent)), force=True)
                outcome.analysed += summary.analysed
                outcome.failed += summary.failed
                outcome.error_files.extend(summary.error_files)
                if context.cancelled():
                    break
        outcome.cancelled = context.cancelled()
        return outcome

    # --- GUI thread -------------------------------------------------------------------------

    def _on_progress(self, progress: object) -> None:
        if isinstance(progress, AnalysisProgress):
            self.progress.emit(progress)
        elif progress == _LOADING:
            self.modelLoading.emit()
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
            self._queued = 0
        self.failed.emit(error)
