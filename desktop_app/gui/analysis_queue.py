"""The analysis queue: one inference runner that owns the models and works through queued tracks.

Runs on its own single-thread pool so scans and queries never wait behind a forward pass and two
analyses never load a model twice. Every request goes through two passes: first the built-in
tagger (always there, so every track of the request gets real broad genres first, and the
person's learned genres from its embeddings when they have learned some), then the CCMusic
network when one is installed (a similar cost per track, bench/tagger.py). Models are
loaded only when there is something to analyse (importing torch there, not at start-up) and kept
for the next requests until the model or device changes. `tag_tracks` and `classify_tracks` do
the work (decoding overlapped with inference, one commit per track) on chunks of tracks, so a
100,000-track request never becomes one SQL statement with 100,000 parameters; this reports which
tracks got their analyses, throttled, as `LibraryEvents.analysesChanged`, and the end of a run
that wrote any as ``analysesChanged(None)`` (similarity reads every track's embedding).

Precision follows `analysis.precision_switch` under the window's Settings → Precision: while a
model's reduced precision is being checked, its passes run exact and feed the check; once the
check decides, the model is loaded again as the verdict says (the tagger at once, CCMusic at the
next chunk). Each plan goes to the window as ``precisionChanged(PrecisionPlan)``. Explanations get
the exact tagger; they share the CCMusic copy the analysis runs (one 488 MB copy in memory).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import Job, JobContext, JobRunner, lower_thread_priority
from desktop_app.inference.registry import CCMusicSource, builtin_sha256
from desktop_app.library import analyses as store
from desktop_app.library.database import Library

if TYPE_CHECKING:
    from desktop_app.analysis.precision_switch import ClassifierRun, PrecisionPlan, TaggerRun
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.identity import ModelIdentity
    from desktop_app.inference.tagger import Tagger

Phase = str
TAGGING: Phase = "Tagging"
CLASSIFYING: Phase = "CCMusic"

CHUNK = 256  # tracks per classify_tracks call: well under SQLite's limit on bound parameters
_LOADING = "loading"  # progress marker: the model is being read


@dataclass(frozen=True)
class AnalysisProgress:
    done: int
    """Tracks finished in this pass since the queue started running."""
    total: int
    """``done`` plus what is still to do in this pass."""
    path: str
    track_ids: list[int]
    """Tracks analysed (or failed) since the previous report."""
    phase: Phase = CLASSIFYING
    """`TAGGING` (the built-in tagger) or `CLASSIFYING` (the CCMusic network)."""


@dataclass
class AnalysisOutcome:
    analysed: int = 0
    """Tracks the CCMusic network analysed."""
    tagged: int = 0
    """Tracks the built-in tagger tagged."""
    failed: int = 0
    cancelled: bool = False
    error_files: list[dict[str, str]] = field(default_factory=list)
    model: ModelIdentity | None = None
    """The CCMusic weights, when they were loaded."""


@contextmanager
def _loading(*, model: bool) -> Iterator[None]:
    """Load a ``model`` or import torch with the cyclic GC off, then freeze what the load made.

    Importing torch makes a few hundred thousand objects that live until exit, and a model's
    load many more allocations. With the GC on, full collections walked them while the worker
    held the GIL, 20-230 ms each, measured as the window's longest stalls while the built-in
    tagger loaded during a first scan and while the CCMusic weights loaded
    (bench/gui_responsiveness.py); with it off until the load ends, the first collection after
    walked everything allocated meanwhile (110 ms). Frozen, as `app.freeze_long_lived_objects`
    freezes Qt's and SQLAlchemy's at start-up, no collection walks them again. Only after a load
    (``model``) or the import of torch: a freeze also pins whatever cyclic garbage exists then.
    """
    importing = "torch" not in sys.modules
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if model or (importing and "torch" in sys.modules):
            gc.freeze()
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _PlanReport:
    plan: PrecisionPlan


def _plan_of(run: TaggerRun | ClassifierRun) -> _PlanReport:
    """The run's plan as its check has fed it so far, for the window."""
    from desktop_app.analysis.precision_switch import refreshed

    return _PlanReport(refreshed(run.plan, run.check))


def _decided(run: TaggerRun | ClassifierRun) -> bool:
    """Whether the run's check has decided, so the model should load again as the verdict says."""
    return run.check is not None and run.check.verdict.decided


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


class AnalysisQueue(QObject):
    """Signals: ``modelLoading()`` before the CCMusic weights are read, ``modelLoaded(ModelIdentity)``,
    ``progress(AnalysisProgress)``,
    ``finished(AnalysisOutcome)`` when the queue runs dry, ``failed(Exception)`` (e.g. the model
    cannot load), ``precisionChanged(PrecisionPlan)`` when a model's precision plan is known or changed."""

    modelLoading = Signal()
    modelLoaded = Signal(object)
    precisionChanged = Signal(object)
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, library: Library, events: LibraryEvents, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._events = events
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)
        self.jobs = JobRunner(pool, self)
        self._lock = threading.Lock()
        self._pending: deque[list[int] | None] = deque()
        """Chunks of track ids; None stands for "every track not analysed yet"."""
        self._queued = 0
        """Tracks in the pending chunks."""
        self._source: CCMusicSource | None = None
        self._device = "auto"
        self._precision = "auto"
        self._loaded: tuple[tuple[CCMusicSource | None, str, str], ClassifierRun] | None = None
        self._tagger: tuple[tuple[str, str], TaggerRun] | None = None
        self._load_lock = threading.Lock()
        """Held while the model loads: the analysis and the explanations share one copy of it."""
        self._job: Job | None = None

    @property
    def has_model(self) -> bool:
        """Whether the CCMusic network is there (the built-in tagger always is)."""
        return self._source is not None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def set_model(self, source: CCMusicSource | None, device: str, precision: str = "auto") -> None:
        """Use this model on this device with this precision choice (``auto``, ``exact``, ``fast``)
        from the next request on (the loaded one is dropped)."""
        if (source, device, precision) == (self._source, self._device, self._precision):
            return
        self.cancel()
        with self._lock:
            self._source, self._device, self._precision = source, device, precision

    def enqueue(self, track_ids: list[int] | None) -> None:
        """Queue these tracks (None: every track not analysed yet) for the tagger, then CCMusic.

        Tracks a model has analysed already are skipped when their turn comes.
        """
        with self._lock:
            if track_ids is None:
                self._pending.append(None)
            else:
                for chunk in _chunks(list(track_ids)):
                    self._pending.append(chunk)
                    self._queued += len(chunk)
        if self._job is None:
            self._start()

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
            self._work,
            name="analysis",
            on_done=self._done,
            on_failed=self._failed,
            on_progress=self._on_progress,
        )

    # --- worker thread ----------------------------------------------------------------------

    def _take_all(self) -> list[list[int] | None]:
        """Every queued chunk (None: the whole library), emptying the queue."""
        with self._lock:
            chunks = list(self._pending)
            self._pending.clear()
            self._queued = 0
        if None in chunks:
            return [None]
        return chunks

    def _todo(self, chunks: list[list[int] | None], sha256: str | None) -> list[int]:
        """Which tracks of ``chunks`` (None: of the library) this model still has to analyse."""
        with self._library.engine.connect() as conn:
            model_id = store.model_id_for(conn, sha256) if sha256 is not None else None
            found: dict[int, None] = {}
            for chunk in chunks:
                for track_id, _path in store.tracks_to_analyse(conn, model_id, chunk):
                    found[track_id] = None
            return list(found)

    def classifier(self) -> GenreClassifier:
        """The loaded classifier for the current model and device, loading it if needed.

        Blocks for as long as loading takes (torch and ~488 MB): call it off the GUI thread. The
        explanations use it, so there is only ever one float copy of the weights in memory: the
        analysis' own, or, when analyses run int8 (which has no float network to explain), the
        exact one loaded on the first explanation (`ClassifierRun.for_explanations`).
        """
        return self._classifier_run().for_explanations()

    def _choice(self):  # -> PrecisionChoice
        from desktop_app.analysis.precision_switch import resolve_choice

        with self._lock:
            setting = self._precision
        try:
            return resolve_choice(None, setting)
        except ValueError:  # a bad GENRESCOPE_PRECISION: the safe choice
            return "exact"

    def _classifier_run(self) -> ClassifierRun:
        from desktop_app.analysis.precision_switch import open_classifier_run

        with self._lock:
            key = (self._source, self._device, self._precision)
        source, device, _ = key
        if source is None:
            raise RuntimeError("no CCMusic genre model is installed")
        with self._load_lock:
            loaded = self._loaded
            if loaded is None or loaded[0] != key or _decided(loaded[1]):
                self._loaded = None  # the old model goes before the new one loads
                with _loading(model=True):
                    loaded = self._loaded = (key, open_classifier_run(source, device, self._choice()))
            return loaded[1]

    def tagger(self) -> Tagger:
        """The built-in tagger in exact fp32 on the current device, loaded once (a few MB; imports
        torch): what explanations read."""
        return self._tagger_run().exact

    def _tagger_run(self) -> TaggerRun:
        from desktop_app.analysis.precision_switch import open_tagger_run

        with self._lock:
            key = (self._device, self._precision)
        with self._load_lock:
            if self._tagger is None or self._tagger[0] != key or _decided(self._tagger[1]):
                with _loading(model=True):
                    self._tagger = (key, open_tagger_run(key[0], self._choice()))
            return self._tagger[1]

    def _work(self, context: JobContext) -> AnalysisOutcome:
        # Below the window, with the threads it starts (torch's, the decoders'): see BACKGROUND_NICENESS.
        lower_thread_priority()
        outcome = AnalysisOutcome()
        while not context.cancelled():
            chunks = self._take_all()
            if not chunks:
                break
            self._tag(chunks, context, outcome)  # the built-in pass first, for everything asked
            with self._lock:
                source = self._source
            if source is not None and not context.cancelled():
                self._classify(chunks, source, context, outcome)
        outcome.cancelled = context.cancelled()
        return outcome

    def _run_pass(self, todo: list[int], phase: Phase, run, context: JobContext, outcome: AnalysisOutcome):
        """Run ``run(part, progress)`` over ``todo`` in chunks, reporting throttled progress."""
        done = 0
        for part in _chunks(todo):
            unsent: list[int] = []

            def progress(p, unsent: list[int] = unsent, start: int = done) -> None:
                if p.track_id is not None:
                    unsent.append(p.track_id)
                finished = start + p.done
                if context.report(AnalysisProgress(finished, len(todo), p.path, list(unsent), phase)):
                    unsent.clear()

            summary = run(part, progress)
            done += summary.analysed + summary.failed
            context.report(AnalysisProgress(done, len(todo), "", list(unsent), phase), force=True)
            outcome.failed += summary.failed
            outcome.error_files.extend(summary.error_files)
            yield summary
            if context.cancelled():
                return

    def _tag(self, chunks: list[list[int] | None], context: JobContext, outcome: AnalysisOutcome) -> None:
        todo = self._todo(chunks, builtin_sha256()[BROAD_MODEL])
        if not todo:
            return  # before importing torch: a start-up with nothing to tag costs the window nothing
        with _loading(model=False):  # the first time, this imports torch
            from desktop_app.analysis.tag_library import tag_tracks

        tagger_run = self._tagger_run()
        context.report(_plan_of(tagger_run), force=True)

        run = self._following_verdicts(tag_tracks, tagger_run, self._tagger_run, context)
        for summary in self._run_pass(todo, TAGGING, run, context, outcome):
            outcome.tagged += summary.analysed
        if outcome.tagged:
            self._apply_my_genres()

    def _apply_my_genres(self) -> None:
        """Give the newly tagged tracks the person's learned genres too (no audio: their embeddings)."""
        from desktop_app.analysis.my_genres import apply
        from desktop_app.library.learned import latest_training

        with self._library.engine.connect() as conn:
            learned = latest_training(conn)
        if learned is not None:
            apply(self._library, learned.model_id)

    def _classify(
        self, chunks: list[list[int] | None], source: CCMusicSource, context: JobContext, outcome: AnalysisOutcome
    ) -> None:
        # Know the work before paying for torch and a 488 MB model (a file in place has no
        # known SHA-256 yet: every readable track counts as work until it is loaded).
        with self._lock:
            key = (source, self._device)
        loaded = self._loaded if self._loaded is not None and self._loaded[0][:2] == key else None
        todo = self._todo(chunks, loaded[1].analyse.identity.sha256 if loaded is not None else source.sha256)
        if not todo:
            return
        with _loading(model=False):  # the first time, this imports torch
            from desktop_app.analysis.classify_library import classify_tracks

        if loaded is None:
            context.report(_LOADING, force=True)
        classifier_run = self._classifier_run()
        outcome.model = classifier_run.analyse.identity
        context.report(classifier_run.analyse.identity, force=True)
        context.report(_plan_of(classifier_run), force=True)

        run = self._following_verdicts(classify_tracks, classifier_run, self._classifier_run, context)
        for summary in self._run_pass(todo, CLASSIFYING, run, context, outcome):
            outcome.analysed += summary.analysed

    def _following_verdicts(self, analyse_pass: Any, first: Any, reopen: Any, context: JobContext) -> Any:
        """Run ``analyse_pass`` (tagging or classifying) on one chunk of tracks at a time with the
        model run of the moment: once the precision check decides in a chunk, the next chunk
        follows its verdict (``reopen`` gives the run it chose)."""
        current = first

        def run(part, progress):
            nonlocal current
            if _decided(current):
                current = reopen()
            summary = analyse_pass(
                self._library,
                current.analyse,
                track_ids=part,
                progress=progress,
                should_cancel=context.cancelled,
                precision_check=current.check,
            )
            context.report(_plan_of(current), force=True)
            return summary

        return run

    # --- GUI thread -------------------------------------------------------------------------

    def _on_progress(self, progress: object) -> None:
        if isinstance(progress, AnalysisProgress):
            self.progress.emit(progress)
            if progress.track_ids:
                self._events.analysesChanged.emit(list(progress.track_ids))
        elif progress == _LOADING:
            self.modelLoading.emit()
        elif isinstance(progress, _PlanReport):
            self.precisionChanged.emit(progress.plan)
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
            if outcome.tagged or outcome.analysed:
                self._events.analysesChanged.emit(None)

    def _failed(self, error: Exception) -> None:
        self._job = None
        with self._lock:
            self._pending.clear()
            self._queued = 0
        self.failed.emit(error)
