"""Tracks that sound alike: exact cosine search over every track's stored embedding.

An embedding is one vector per track and model, the mean over the song's 3 s patches of a layer
of the built-in tagger. Which layer was measured, not assumed (bench/similarity_quality.py, real
music in three categories, 30 s clips, other songs only): precision@10 0.77 for the MSD tagger's
200-unit ``penultimate`` layer used raw, against 0.71-0.74 for its pooled mid-level features or
tag probabilities, 0.58 for mean MFCC + chroma and 0.35 for random picks. Standardising each
dimension over the library first measured worse for that layer (0.74: it already leaves a
BatchNorm), so rows are only scaled to unit length and one matrix product gives every similarity.

Exact search is enough: 100,000 tracks x 200 float32 is 80 MB and a matrix-vector product over it
takes a few milliseconds on this machine's two cores (bench/similar_search.py); an approximate
index would add a dependency, a build step and wrong answers for nothing. `index_for` builds the
index once per state of the stored embeddings (a count and the latest analysis time tell whether it
is stale) and keeps it, so the window, smart playlists and seed playlists share it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, func, select

from desktop_app.errors import LibraryError
from desktop_app.library.embeddings import matrix_of
from desktop_app.library.models import Embedding, Track

EMBEDDING_MODEL = "musicnn-msd"
"""The model whose embedding similarity uses unless told otherwise: it measured best of the two
taggers (0.77 against MTT's 0.74); both networks side by side measured 0.78, within the noise of
91 clips, for twice the storage."""


class SimilarityError(LibraryError):
    """A similarity query that cannot be answered; ``str()`` says why, for a person."""


def unit_vectors(matrix: np.ndarray, *, standardise: bool = False) -> np.ndarray:
    """Rows scaled to unit length, float32, after standardising each dimension over the rows if
    asked (the benchmark compares both). A row of zeros stays zeros (similarity 0)."""
    values = np.asarray(matrix, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"expected a [tracks, dims] matrix, got shape {values.shape}")
    if standardise:
        std = values.std(axis=0)
        values = (values - values.mean(axis=0)) / np.where(std > 1e-6, std, 1.0).astype(np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


@dataclass(frozen=True)
class Neighbour:
    track_id: int
    similarity: float


class SimilarityIndex:
    """Every track's unit embedding of one model, ready for exact nearest-neighbour queries."""

    def __init__(self, model_id: int, track_ids: np.ndarray, embeddings: np.ndarray) -> None:
        if len(track_ids) != len(embeddings):
            raise ValueError("one embedding per track is needed")
        self.model_id = model_id
        self.track_ids = np.asarray(track_ids, dtype=np.int64)
        self.vectors = unit_vectors(
            np.asarray(embeddings).reshape(len(track_ids), -1) if len(track_ids) else np.empty((0, 0), np.float32)
        )
        self._row = {int(track): row for row, track in enumerate(self.track_ids)}

    def __len__(self) -> int:
        return len(self.track_ids)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._row

    def rows_of(self, track_ids: Sequence[int]) -> np.ndarray:
        """The rows of `vectors` that hold these tracks (all of them must be in the index)."""
        return np.array([self._row[int(t)] for t in track_ids], dtype=np.int64)

    def vector_of(self, track_id: int) -> np.ndarray:
        row = self._row.get(int(track_id))
        if row is None:
            raise SimilarityError(f"track {track_id} has no embedding yet: analyse it first")
        return self.vectors[row]

    def unit(self, embedding: np.ndarray) -> np.ndarray:
        """An outside embedding (a file not in the library) as a unit vector of this index."""
        return unit_vectors(np.asarray(embedding, dtype=np.float32)[np.newaxis])[0]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``vector`` (a unit vector of this index) to every track, in index order."""
        return self.vectors @ vector

    def nearest(
        self, vector: np.ndarray, limit: int, *, exclude: Sequence[int] = (), minimum: float | None = None
    ) -> list[Neighbour]:
        """The ``limit`` most similar tracks, most similar first (ties: lower track id first)."""
        if limit <= 0 or not len(self):
            return []
        scores = self.similarities(vector)
        skip = [self._row[t] for t in exclude if t in self._row]
        if skip:
            scores = scores.copy()
            scores[skip] = -np.inf
        wanted = min(limit + len(skip), len(scores))
        top = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < len(scores) else np.arange(len(scores))
        order = top[np.lexsort((self.track_ids[top], -scores[top]))]
        found = [Neighbour(int(self.track_ids[i]), float(scores[i])) for i in order if np.isfinite(scores[i])]
        if minimum is not None:
            found = [n for n in found if n.similarity >= minimum]
        return found[:limit]

    def similar_to(self, track_id: int, limit: int, *, minimum: float | None = None) -> list[Neighbour]:
        """The tracks most like this one (itself left out)."""
        return self.nearest(self.vector_of(track_id), limit, exclude=[track_id], minimum=minimum)

    def above(self, track_id: int, minimum: float) -> list[Neighbour]:
        """Every other track at least ``minimum`` similar to this one, most similar first."""
        vector = self.vector_of(track_id)
        scores = self.similarities(vector)
        rows = np.flatnonzero(scores >= minimum)
        rows = rows[self.track_ids[rows] != track_id]
        order = rows[np.lexsort((self.track_ids[rows], -scores[rows]))]
        return [Neighbour(int(self.track_ids[i]), float(scores[i])) for i in order]


CACHED_INDEXES = 2
"""Indexes kept (one per library and model): 76 MB each for 100,000 tracks."""
_CACHE: dict[tuple[str, int], tuple[tuple[object, ...], SimilarityIndex]] = {}
_CACHE_LOCK = threading.Lock()


def index_for(conn: Connection, model_id: int) -> SimilarityIndex:
    """The index of every available track this model embedded, rebuilt only when embeddings changed.

    Whether they changed: the embeddings table's row count and largest analysis id (a new analysis,
    a deleted one or a re-analysis by new weights moves one of them; indexed queries, well under a
    millisecond), and whether the set of available tracks changed (a scan marking files missing).
    """
    embeddings, tracks = Embedding.__table__, Track.__table__
    state = tuple(
        conn.execute(query).scalar()
        for query in (  # apart, each is answered from an index
            select(func.count()).select_from(embeddings),
            select(func.max(embeddings.c.analysis_id)),
            select(func.count()).where(tracks.c.available.is_(False)),
        )
    )
    key = (str(conn.engine.url), model_id)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached[0] == state:
        return cached[1]
    index = SimilarityIndex(model_id, *matrix_of(conn, model_id))
    with _CACHE_LOCK:
        _CACHE.pop(key, None)
        _CACHE[key] = (state, index)
        while len(_CACHE) > CACHED_INDEXES:
            del _CACHE[next(iter(_CACHE))]
    return index


def seed_walk(
    index: SimilarityIndex, seed: int, length: int, artist_of: Mapping[int, str | None], *, pool_factor: int = 4
) -> list[int]:
    """A playlist of ``length`` tracks starting at ``seed``, each following smoothly from the last.

    The candidates are the seed's ``pool_factor * length`` nearest tracks (so the walk stays near
    the seed instead of drifting); from the seed, each next track is the candidate most similar to
    the current one whose artist differs from the current one's (the same artist is taken only
    when no other is left). No track repeats.
    """
    if length <= 0:
        return []
    pool = [n.track_id for n in index.similar_to(seed, max(pool_factor * length, 50))]
    rows = index.rows_of(pool)
    left = np.ones(len(pool), dtype=bool)
    artists = [_artist_key(artist_of.get(t)) for t in pool]
    walk = [seed]
    current_vector, current_artist = index.vector_of(seed), _artist_key(artist_of.get(seed))
    while len(walk) < length and left.any():
        scores = index.vectors[rows] @ current_vector
        scores[~left] = -np.inf
        other = np.array([a is None or a != current_artist for a in artists])
        choice_scores = np.where(other, scores, -np.inf) if np.isfinite(scores[other]).any() else scores
        chosen = int(np.argmax(choice_scores))
        left[chosen] = False
        walk.append(pool[chosen])
        current_vector, current_artist = index.vectors[rows[chosen]], artists[chosen]
    return walk


def _artist_key(artist: str | None) -> str | None:
    return artist.casefold().strip() or None if artist else None
