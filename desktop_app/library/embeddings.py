"""Storing and reading track embeddings: one float16 vector per analysis, loaded as one matrix.

The similarity index needs every track's vector of one model at once, so `matrix_of` reads them in
one query into one array (100,000 tracks: bench/similar_search.py) instead of row objects.
Vectors are kept as float16, enough for cosine similarity (the rounding moves a similarity by
about 1e-3) at half the space.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, and_, delete, func, select

from desktop_app.library.models import Analysis, Embedding, Track
from desktop_app.library.portable import upsert

embeddings = Embedding.__table__
analyses = Analysis.__table__
tracks = Track.__table__

STORED_DTYPE = np.dtype("<f2")


def save_embeddings(
    conn: Connection, model_id: int, layer: str, vectors: Sequence[tuple[int, np.ndarray | None]]
) -> None:
    """Store each track's vector with its analysis by this model (saved before, in the same
    transaction); None removes a track's vector (its analysis failed this time)."""
    for track_id, vector in vectors:
        analysis_id = conn.execute(
            select(analyses.c.id).where(and_(analyses.c.track_id == track_id, analyses.c.model_id == model_id))
        ).scalar()
        if analysis_id is None:
            raise ValueError(f"track {track_id} has no analysis by model {model_id} to attach an embedding to")
        if vector is None:
            conn.execute(delete(embeddings).where(embeddings.c.analysis_id == analysis_id))
            continue
        values = np.asarray(vector, dtype=np.float32).ravel()
        if not np.isfinite(values).all():
            raise ValueError(f"track {track_id}'s embedding has NaN or infinite values")
        row = {
            "analysis_id": analysis_id,
            "layer": layer,
            "dims": values.size,
            "vector": values.astype(STORED_DTYPE).tobytes(),
        }
        statement = upsert(conn, embeddings).values(row)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["analysis_id"],
                set_={
                    "layer": statement.excluded.layer,
                    "dims": statement.excluded.dims,
                    "vector": statement.excluded.vector,
                },
            )
        )


def matrix_of(conn: Connection, model_id: int, *, available_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(track ids int64 [n], vectors float16 [n, dims]) of every track this model embedded, by id.

    Vectors of another length than the most common one (a model changed its layer) are left out.
    """
    query = (
        select(analyses.c.track_id, embeddings.c.dims, embeddings.c.vector)
        .join(analyses, analyses.c.id == embeddings.c.analysis_id)
        .where(analyses.c.model_id == model_id)
        .order_by(analyses.c.track_id)
    )
    if available_only:
        query = query.join(tracks, tracks.c.id == analyses.c.track_id).where(tracks.c.available.is_(True))
    rows = conn.execute(query).all()
    if not rows:
        return np.empty(0, np.int64), np.empty((0, 0), np.float16)
    dims = np.bincount([row.dims for row in rows]).argmax()
    kept = [row for row in rows if row.dims == dims]
    ids = np.fromiter((row.track_id for row in kept), dtype=np.int64, count=len(kept))
    vectors = np.frombuffer(b"".join(row.vector for row in kept), dtype=STORED_DTYPE).reshape(len(kept), dims)
    return ids, vectors


def embedding_of(conn: Connection, track_id: int, model_id: int) -> np.ndarray | None:
    """One track's vector by this model (float32), or None."""
    row = conn.execute(
        select(embeddings.c.vector)
        .join(analyses, analyses.c.id == embeddings.c.analysis_id)
        .where(and_(analyses.c.track_id == track_id, analyses.c.model_id == model_id))
    ).first()
    return None if row is None else np.frombuffer(row.vector, dtype=STORED_DTYPE).astype(np.float32)


def embedded_models(conn: Connection) -> dict[int, int]:
    """How many tracks each model has embedded: {model_id: count}."""
    rows = conn.execute(
        select(analyses.c.model_id, func.count())
        .join(analyses, analyses.c.id == embeddings.c.analysis_id)
        .group_by(analyses.c.model_id)
    )
    return {model_id: count for model_id, count in rows}
