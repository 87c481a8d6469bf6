"""Analysing the library's tracks with a loaded classifier: the one job the CLI and the window share.

Resumable by construction: tracks that already have an analysis from this model are skipped, and
every finished track is committed at once, so a crash loses at most the tracks in flight. Several
workers may run it on one library at once: each claims the tracks it analyses (`claimed_work`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from desktop_app.analysis.claimed_work import DEFAULT_LEASE_SECONDS, ClaimedWork
from desktop_app.analysis.passes import PassProgress, PassSummary, run_pass
from desktop_app.analysis.precision_switch import PrecisionCheck
from desktop_app.audio.prepare import TrackInputs, prepare_track
from desktop_app.genres.ccmusic import GENRES
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.pipeline import PipelineResult, run_pipeline
from desktop_app.inference.summary import summarize
from desktop_app.library import analyses as store
from desktop_app.library.database import Library


def to_record(result: PipelineResult[int, TrackInputs], classifier: GenreClassifier) -> store.AnalysisRecord:
    """The library's stored form of one pipeline result."""
    if result.error is not None or result.prepared is None or result.window_probs is None:
        return store.AnalysisRecord(
            error=result.error or "no result", device=str(classifier.device), seconds=result.seconds
        )
    song = summarize(result.window_probs, model=classifier.identity)
    return store.AnalysisRecord(
        top1=song.top1.key,
        confidence=song.confidence,
        majority=song.majority.key,
        probabilities=[round(p, 6) for p in song.mean_probs],
        window_probabilities=[[round(float(p), 5) for p in row] for row in result.window_probs],
        window_count=song.n_windows,
        short_clip=result.prepared.short_clip,
        silent=result.prepared.silent,
        device=str(classifier.device),
        precision=result.precision,
        seconds=result.seconds,
    )


def classify_tracks(
    library: Library,
    classifier: GenreClassifier,
    *,
    track_ids: Sequence[int] | None = None,
    limit: int | None = None,
    progress: Callable[[PassProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_result: Callable[[int, store.AnalysisRecord], None] | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    precision_check: PrecisionCheck | None = None,
) -> PassSummary:
    """Analyse the tracks this model has not analysed yet (all, or those in ``track_ids``), beside
    any other workers on the library (each track's claim lasts ``lease_seconds`` unless renewed).

    ``precision_check``: while reduced precision is being checked (`precision_switch`), each stored
    track's first windows also run in it, and the verdict grows; what is stored is exact."""
    started = time.perf_counter()
    cancelled = should_cancel or (lambda: False)
    identity = classifier.identity
    summary = PassSummary(
        models={identity.model: identity.sha256},
        model_origin=identity.origin,
        device=str(classifier.device),
        precision=classifier.precision,
    )
    with library.writer.begin() as conn:
        model_id = store.register_model(conn, identity.sha256, identity.label, identity.origin, [g.key for g in GENRES])

    def save(work: ClaimedWork, result: PipelineResult[int, TrackInputs]) -> store.AnalysisRecord | None:
        record = to_record(result, classifier)
        with library.writer.begin() as conn:
            if not work.finish(conn, result.key):
                return None
            store.save_analyses(conn, model_id, [(result.key, record)])
        if precision_check is not None and result.prepared is not None and result.window_probs is not None:
            precision_check.observe(
                result.path, result.prepared.inputs, result.window_probs, silent=result.prepared.silent
            )
        return record

    predict = classifier.predict if precision_check is None else precision_check.timed(classifier.predict)

    finished = run_pass(
        library,
        model_id,
        summary,
        pipeline=lambda items: run_pipeline(
            items, prepare_track, predict, should_cancel=cancelled, ran_in=lambda: classifier.running_precision
        ),
        save=save,
        started=started,
        cancelled=cancelled,
        track_ids=track_ids,
        limit=limit,
        lease_seconds=lease_seconds,
        progress=progress,
        on_result=on_result,
    )
    finished.precision = classifier.precision  # a calibrating int8 run whose calibration failed stayed fp32
    return finished
