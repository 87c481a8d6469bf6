"""Storing and reading genre analyses: one row per (track, model), upserted.

The library layer keeps plain values here (genre keys, floats), so it needs nothing from the
inference package; `desktop_app.analysis` (classify_library, tag_results) converts results into these.
What is written is an `AnalysisRecord`; what is read back is a `StoredAnalysis`, the same record
plus the model that made it, so readers name fields the type checker knows instead of dict keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy import Connection, Select, and_, func, select

from desktop_app.library.models import Analysis, GenreModel, Track
from desktop_app.library.portable import upsert
from desktop_app.library.track_store import utc_now

analyses = Analysis.__table__
models = GenreModel.__table__
tracks = Track.__table__


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    """A successful analysis, or a failed one when ``error`` is set and the rest is None."""

    top1: str | None = None
    confidence: float | None = None
    majority: str | None = None
    probabilities: list[float] | None = None
    window_probabilities: list[list[float]] | None = None
    window_count: int | None = None
    short_clip: bool | None = None
    silent: bool | None = None
    device: str | None = None
    precision: str | None = None
    """What the network ran in (``fp32`` exact, ``bf16``, ``fp16``, ``int8``); None: not recorded."""
    seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredAnalysis(AnalysisRecord):
    """A stored analysis as read back: the record, the model that made it, and when.

    ``model_name`` says whose classes ``probabilities`` holds (``ccmusic``, ``broad-genre``, a
    tagger, ``my-genres``); ``model_label`` and ``model_origin`` say which weights, as the window
    names them.
    """

    model_name: str = "ccmusic"
    model_label: str | None = None
    model_origin: str | None = None
    model_sha256: str | None = None
    analysed_at: datetime | None = None


def register_model(
    conn: Connection, sha256: str, label: str, origin: str, classes: Sequence[str], name: str = "ccmusic"
) -> int:
    """The id of the model with this SHA-256, creating its row on first use."""
    conn.execute(
        upsert(conn, models)
        .values(sha256=sha256, name=name, label=label, origin=origin, classes=list(classes), first_used_at=utc_now())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    return conn.execute(select(models.c.id).where(models.c.sha256 == sha256)).scalar_one()


def save_analyses(conn: Connection, model_id: int, results: Sequence[tuple[int, AnalysisRecord]]) -> None:
    """Insert or replace the analyses of these tracks by this model."""
    if not results:
        return
    now = utc_now()
    rows = [
        {**asdict(record), "track_id": track_id, "model_id": model_id, "analysed_at": now}
        for track_id, record in results
    ]
    statement = upsert(conn, analyses)
    updated = {
        c.name: statement.excluded[c.name] for c in analyses.columns if c.name not in ("id", "track_id", "model_id")
    }
    conn.execute(statement.on_conflict_do_update(index_elements=["track_id", "model_id"], set_=updated), rows)


def unanalysed(model_id: int | None, track_ids: Sequence[int] | None = None) -> Select[tuple[int, str]]:
    """The query for (id, path) of available, readable tracks (of ``track_ids``, else all) that this
    model has not analysed yet, to order, limit or narrow further."""
    query = select(tracks.c.id, tracks.c.path).where(tracks.c.available.is_(True), tracks.c.error.is_(None))
    if model_id is not None:
        done = select(analyses.c.track_id).where(analyses.c.model_id == model_id)
        query = query.where(tracks.c.id.not_in(done))
    if track_ids is not None:
        query = query.where(tracks.c.id.in_(list(track_ids)))
    return query


def tracks_to_analyse(
    conn: Connection, model_id: int | None, track_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[tuple[int, str]]:
    """(id, path) of available, readable tracks that this model has not analysed yet, in id order."""
    query = unanalysed(model_id, track_ids).order_by(tracks.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [(row.id, row.path) for row in conn.execute(query)]


def count_to_analyse(conn: Connection, model_id: int | None, track_ids: Sequence[int] | None = None) -> int:
    """How many tracks `tracks_to_analyse` would list without a limit."""
    return conn.execute(select(func.count()).select_from(unanalysed(model_id, track_ids).subquery())).scalar_one()


def model_id_for(conn: Connection, sha256: str) -> int | None:
    return conn.execute(select(models.c.id).where(models.c.sha256 == sha256)).scalar()


_STORED_COLUMNS = [analyses.c[f.name] for f in fields(StoredAnalysis) if f.name in analyses.c]
"""The `analyses` columns a `StoredAnalysis` holds (the model's come from `models`)."""


def analysis_of(conn: Connection, track_id: int, model_id: int) -> StoredAnalysis | None:
    """This model's analysis of this track, with the model's name, label, origin and SHA-256, or None."""
    row = (
        conn.execute(
            select(
                *_STORED_COLUMNS,
                models.c.label.label("model_label"),
                models.c.origin.label("model_origin"),
                models.c.sha256.label("model_sha256"),
                models.c.name.label("model_name"),
            )
            .join(models, models.c.id == analyses.c.model_id)
            .where(and_(analyses.c.track_id == track_id, analyses.c.model_id == model_id))
        )
        .mappings()
        .first()
    )
    return StoredAnalysis(**row) if row else None


def predicted_genre_counts(conn: Connection, model_id: int) -> dict[str, int]:
    """How many tracks this model put in each genre (top-1), errors left out."""
    rows = conn.execute(
        select(analyses.c.top1, func.count())
        .where(analyses.c.model_id == model_id, analyses.c.top1.is_not(None))
        .group_by(analyses.c.top1)
    )
    return {top1: count for top1, count in rows}


def latest_model_ids(conn: Connection) -> dict[str, int]:
    """For each model name, the id of the model of that name registered last."""
    rows = conn.execute(select(models.c.name, models.c.id).order_by(models.c.first_used_at, models.c.id))
    return {name: model_id for name, model_id in rows}


@dataclass(frozen=True, slots=True)
class Prediction:
    """A track's top-1 by one model, as listings show it (None: an error row)."""

    top1: str | None
    confidence: float | None
    precision: str | None
    """What the network ran in (`AnalysisRecord.precision`)."""


def predictions_of(
    conn: Connection, track_ids: Sequence[int], model_ids: Sequence[int]
) -> dict[int, dict[int, Prediction]]:
    """The top-1 of these tracks by these models: ``{track_id: {model_id: Prediction}}``."""
    found: dict[int, dict[int, Prediction]] = {}
    if not track_ids or not model_ids:
        return found
    rows = conn.execute(
        select(
            analyses.c.track_id, analyses.c.model_id, analyses.c.top1, analyses.c.confidence, analyses.c.precision
        ).where(analyses.c.track_id.in_(list(track_ids)), analyses.c.model_id.in_(list(model_ids)))
    )
    for track_id, model_id, top1, confidence, precision in rows:
        found.setdefault(track_id, {})[model_id] = Prediction(top1, confidence, precision)
    return found
