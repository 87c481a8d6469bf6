"""Storing learned "My genres" models: the ``models`` row, its training record, and its analyses.

Plain values only (lists, floats, strings): `analysis.my_genres` trains and evaluates, this module
keeps what it made so that a result can be traced back to the examples behind it after a restart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from desktop_app.genres.taxonomy import MY_GENRES_MODEL
from desktop_app.library.analyses import AnalysisRecord, register_model, save_analyses
from desktop_app.library.models import GenreModel, LearnedGenres, TagGenre
from desktop_app.library.track_store import utc_now

learned = LearnedGenres.__table__
models = GenreModel.__table__
tag_genres = TagGenre.__table__


@dataclass(frozen=True)
class StoredTraining:
    """A learned model as stored: its id, genres, what it learned from and how it evaluated."""

    model_id: int
    genres: tuple[str, ...]
    source: str
    embedding_model_id: int
    fingerprint: str
    examples: list[list[Any]]
    evaluation: dict[str, Any]
    parameters: dict[str, Any]
    trained_at: datetime


def fingerprint(examples: Sequence[tuple[int, str]]) -> str:
    """SHA-256 of the sorted (track id, label) pairs: equal exactly when the labels are."""
    text = json.dumps(sorted([int(t), str(label)] for t, label in examples), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_training(
    conn: Connection,
    *,
    genres: Sequence[str],
    source: str,
    embedding_model_id: int,
    examples: Sequence[tuple[int, str]],
    evaluation: dict[str, Any],
    parameters: dict[str, Any],
    label: str,
) -> int:
    """Register the learned model and its training record; returns the model id."""
    prints = fingerprint(examples)
    identity = json.dumps(
        {"genres": list(genres), "parameters": parameters, "examples": prints, "embedding_model": embedding_model_id},
        sort_keys=True,
    )
    sha = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    model_id = register_model(conn, sha, label, "learned", list(genres), name=MY_GENRES_MODEL)
    if conn.execute(select(learned.c.model_id).where(learned.c.model_id == model_id)).first() is None:
        conn.execute(
            learned.insert().values(
                model_id=model_id,
                source=source,
                embedding_model_id=embedding_model_id,
                fingerprint=prints,
                examples=[[int(t), str(label)] for t, label in examples],
                evaluation=evaluation,
                parameters=parameters,
                trained_at=utc_now(),
            )
        )
    return model_id


def training_of(conn: Connection, model_id: int) -> StoredTraining | None:
    row = conn.execute(
        select(learned, models.c.classes)
        .join(models, models.c.id == learned.c.model_id)
        .where(learned.c.model_id == model_id)
    ).first()
    if row is None:
        return None
    return StoredTraining(
        row.model_id,
        tuple(row.classes),
        row.source,
        row.embedding_model_id,
        row.fingerprint,
        row.examples,
        row.evaluation,
        row.parameters,
        row.trained_at,
    )


def latest_training(conn: Connection) -> StoredTraining | None:
    """The learned model trained last, or None."""
    model_id = conn.execute(
        select(learned.c.model_id).order_by(learned.c.trained_at.desc(), learned.c.model_id.desc()).limit(1)
    ).scalar()
    return None if model_id is None else training_of(conn, model_id)


def save_predictions(conn: Connection, model_id: int, rows: Sequence[tuple[int, str, float, list[float]]]) -> None:
    """Store (track id, genre, confidence, every genre's probability) as the model's analyses."""
    save_analyses(
        conn,
        model_id,
        [
            (
                track_id,
                AnalysisRecord(
                    top1=genre, confidence=confidence, probabilities=probabilities, device="cpu", precision="fp32"
                ),
            )
            for track_id, genre, confidence, probabilities in rows
        ],
    )


def first_tag_genres(conn: Connection) -> dict[int, str]:
    """Each track's first genre tag (as written in its file), for tracks that have one."""
    rows = conn.execute(select(tag_genres.c.track_id, tag_genres.c.name).where(tag_genres.c.position == 0))
    return {track_id: name for track_id, name in rows if name and name.strip()}
