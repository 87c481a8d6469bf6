"""Tagging the library's tracks with the built-in tagger: the job the CLI and the window share.

The tagger is the first pass: it needs no download and decodes at 16 kHz only, so every track
gets real broad genres before the CCMusic network (when installed; a similar cost per track,
bench/tagger.py) starts on the library. Resumable like `classify_tracks`: a track the current tagger
and broad-genre table already analysed is skipped, and each finished track is committed at once
(its three rows and both taggers' embeddings in one transaction), so a crash loses at most the tracks in flight.
Several workers may tag one library at once: each claims the tracks it tags (`claimed_work`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from desktop_app.analysis import tag_results
from desktop_app.analysis.claimed_work import DEFAULT_LEASE_SECONDS, ClaimedWork
from desktop_app.analysis.passes import PassProgress, PassSummary, run_pass
from desktop_app.analysis.precision_switch import PrecisionCheck
from desktop_app.audio.prepare import TaggerInputs, prepare_for_tagger
from desktop_app.genres import broad
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.inference.identity import MODEL_TITLES
from desktop_app.inference.pipeline import PipelineResult, run_pipeline
from desktop_app.inference.tagger import EMBEDDING_LAYER, TAGGERS, Tagger
from desktop_app.library import analyses as store
from desktop_app.library.database import Library
from desktop_app.library.embeddings import save_embeddings


def register_tagger_models(conn: Connection, tagger: Tagger) -> dict[str, int]:
    """The library ids of both taggers and of the broad-genre table over them, by model name."""
    ids: dict[str, int] = {}
    for name in TAGGERS:
        identity = tagger.identities[name]
        ids[name] = store.register_model(
            conn, identity.sha256, identity.label, identity.origin, TAGGER_TAGS[name], name=name
        )
    sha = tag_results.broad_sha256(tagger.identities)
    origin = _origin(tagger)
    label = MODEL_TITLES[broad.BROAD_MODEL] + (" — TEST weights" if origin == "test" else "")
    ids[broad.BROAD_MODEL] = store.register_model(
        conn, sha, f"{label}, sha256 {sha[:12]}", origin, broad.BROAD_KEYS, name=broad.BROAD_MODEL
    )
    return ids


def _origin(tagger: Tagger) -> str:
    """``test`` if either tagger's weights are test weights, else ``builtin``."""
    return "test" if any(tagger.identities[name].origin == "test" for name in TAGGERS) else "builtin"


def store_result(
    work: ClaimedWork, model_ids: dict[str, int], result: PipelineResult[int, TaggerInputs], tagger: Tagger
) -> dict[str, store.AnalysisRecord] | None:
    """Store one track's three rows in one transaction; returns them by model name (None, and
    nothing stored, when the pass's claim on the track was taken over)."""
    device = str(tagger.device)
    found = None
    if result.error is not None or result.prepared is None or result.window_probs is None:
        rows = tag_results.records(None, None, device=device, seconds=result.seconds, error=result.error)
    else:
        found = tag_results.verdict(result.window_probs, tagger)
        rows = tag_results.records(
            found, result.prepared, device=device, precision=result.precision, seconds=result.seconds
        )
    with work.library.writer.begin() as conn:
        if not work.finish(conn, result.key):
            return None
        for name, record in rows.items():
            store.save_analyses(conn, model_ids[name], [(result.key, record)])
        for name in TAGGERS:
            vector = None if found is None else found.embeddings[name]
            save_embeddings(conn, model_ids[name], EMBEDDING_LAYER, [(result.key, vector)])
    return rows


def tag_tracks(
    library: Library,
    tagger: Tagger,
    *,
    track_ids: Sequence[int] | None = None,
    limit: int | None = None,
    progress: Callable[[PassProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_result: Callable[[int, store.AnalysisRecord], None] | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    precision_check: PrecisionCheck | None = None,
) -> PassSummary:
    """Tag the tracks the current tagger has not tagged yet (all, or those in ``track_ids``), beside
    any other workers on the library (claims on the broad-genre model, `claimed_work`).

    ``on_result`` gets each track's broad-genre row. ``precision_check``: as for `classify_tracks`.
    """
    started = time.perf_counter()
    cancelled = should_cancel or (lambda: False)
    summary = PassSummary(device=str(tagger.device), model_origin=_origin(tagger), precision=tagger.precision)
    with library.writer.begin() as conn:
        model_ids = register_tagger_models(conn, tagger)
    summary.models = {name: tagger.identities[name].sha256 for name in TAGGERS}
    summary.models[broad.BROAD_MODEL] = tag_results.broad_sha256(tagger.identities)

    def save(work: ClaimedWork, result: PipelineResult[int, TaggerInputs]) -> store.AnalysisRecord | None:
        rows = store_result(work, model_ids, result, tagger)
        if rows is not None and precision_check is not None and result.prepared is not None:
            if result.window_probs is not None:
                precision_check.observe(
                    result.path, result.prepared.inputs, result.window_probs, silent=result.prepared.silent
                )
        return None if rows is None else rows[broad.BROAD_MODEL]

    predict = tagger.predict if precision_check is None else precision_check.timed(tagger.predict)

    return run_pass(
        library,
        model_ids[broad.BROAD_MODEL],
        summary,
        pipeline=lambda items: run_pipeline(
            items,
            prepare_for_tagger,
            predict,
            batch_windows=tagger.batch_size,
            should_cancel=cancelled,
            ran_in=lambda: tagger.precision,
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
