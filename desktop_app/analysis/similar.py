""" "More like this": similar tracks and seed playlists, for a library track or any audio file.

Joins the pieces the CLI and the window share: which model's embeddings to use (the current model
of that name, `analysis.current`), the library's similarity index (`library.similarity`), and for
a file that is not in the library, its embedding computed on the spot by the built-in tagger (one
decode at 16 kHz, the same forward pass that tags it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, select

from desktop_app.analysis.current import current_models
from desktop_app.library.database import Library
from desktop_app.library.models import Track
from desktop_app.library.similarity import (
    EMBEDDING_MODEL,
    Neighbour,
    SimilarityError,
    SimilarityIndex,
    index_for,
    seed_walk,
)

SIMILAR_MODELS = ("musicnn-msd", "musicnn-mtt")
"""The models that store an embedding (the built-in taggers; the CCMusic network does not yet:
without its published weights here, nothing could say which of its layers to keep)."""
tracks = Track.__table__


@dataclass(frozen=True)
class SimilarTrack:
    track_id: int
    path: str
    artist: str | None
    title: str | None
    similarity: float


@dataclass(frozen=True)
class Seed:
    """What a similarity query starts from: a library track, or a file's own embedding."""

    track_id: int | None
    path: str
    embedding: np.ndarray | None = None


def model_index(conn: Connection, model: str = EMBEDDING_MODEL) -> SimilarityIndex:
    """The similarity index of the current model of this name; `SimilarityError` if it has none."""
    if model not in SIMILAR_MODELS:
        raise SimilarityError(f"{model} keeps no embeddings; similarity uses {' or '.join(SIMILAR_MODELS)}")
    info = current_models(conn).get(model)
    if info is None or info.id is None:
        raise SimilarityError(
            f"no track has been analysed by {model} yet: analyse the library first "
            "(Analysis → Analyse everything, or genrescope classify)"
        )
    index = index_for(conn, info.id)
    if not len(index):
        raise SimilarityError(f"no track has an embedding from {model} yet: analyse the library again")
    return index


def find_seed(library: Library, text: str) -> Seed:
    """A track id, or a path: the library's track at that path (as this machine reaches its file,
    through its path mappings), else the file itself (to embed). The seed's path is this machine's."""
    paths = library.paths
    with library.engine.connect() as conn:
        if text.isdigit():
            row = conn.execute(select(tracks.c.id, tracks.c.path).where(tracks.c.id == int(text))).first()
            if row is None:
                raise SimilarityError(f"there is no track {text} in the library")
            return Seed(row.id, paths.to_local(row.path))
        path = Path(text).expanduser()
        if not path.exists():
            raise SimilarityError(f"{text}: no such file, and not a track id")
        resolved = str(path.resolve())
        row = conn.execute(select(tracks.c.id).where(tracks.c.path == paths.to_library(resolved))).first()
    return Seed(row.id if row else None, resolved)


def embed_file(path: str | os.PathLike[str], model: str = EMBEDDING_MODEL, device: str | None = None) -> np.ndarray:
    """A file's embedding by this tagger, as the library stores it (the mean penultimate layer)."""
    from desktop_app.analysis.tag_results import verdict
    from desktop_app.audio.prepare import prepare_for_tagger
    from desktop_app.inference.registry import open_tagger

    tagger = open_tagger(device)
    return verdict(tagger.predict(prepare_for_tagger(path).inputs), tagger).embeddings[model]


def similar_tracks(
    library: Library, seed: Seed, *, model: str = EMBEDDING_MODEL, limit: int = 10, device: str | None = None
) -> list[SimilarTrack]:
    """The ``limit`` library tracks most like the seed, most similar first (the seed left out)."""
    with library.engine.connect() as conn:
        index = model_index(conn, model)
        if seed.track_id is not None and seed.track_id in index:
            found = index.similar_to(seed.track_id, limit)
        elif seed.track_id is not None and seed.embedding is None:
            raise SimilarityError(f"{seed.path} has not been analysed by {model} yet")
        else:
            vector = seed.embedding if seed.embedding is not None else embed_file(seed.path, model, device)
            found = index.nearest(index.unit(vector), limit, exclude=[seed.track_id] if seed.track_id else [])
        return _described(conn, found)


def seed_playlist(library: Library, seed_track: int, length: int, *, model: str = EMBEDDING_MODEL) -> list[int]:
    """``length`` track ids starting at the seed, each following smoothly from the last (`seed_walk`)."""
    with library.engine.connect() as conn:
        index = model_index(conn, model)
        if seed_track not in index:
            raise SimilarityError(f"track {seed_track} has not been analysed by {model} yet")
        candidates = [seed_track, *(n.track_id for n in index.similar_to(seed_track, max(4 * length, 50)))]
        artists = dict(conn.execute(select(tracks.c.id, tracks.c.artist).where(tracks.c.id.in_(candidates))).all())
    return seed_walk(index, seed_track, length, artists)


def create_seed_playlist(
    library: Library, seed_track: int, length: int, name: str | None = None, *, model: str = EMBEDDING_MODEL
) -> tuple[int, str, list[int]]:
    """A manual playlist of `seed_playlist`'s tracks: (its id, its name, the track ids).

    Without ``name`` it is called "Like <the seed's title>" (numbered if that is taken); a given
    name that is taken is refused (`PlaylistError`), as everywhere else.
    """
    from desktop_app.library.playlists import create_playlist, unique_name

    track_ids = seed_playlist(library, seed_track, length, model=model)
    with library.writer.begin() as conn:
        if name is None:
            row = conn.execute(select(tracks.c.title, tracks.c.path).where(tracks.c.id == seed_track)).one()
            name = unique_name(conn, f"Like {row.title or Path(row.path).stem}")
        return create_playlist(conn, name, track_ids), name.strip(), track_ids


def _described(conn: Connection, found: list[Neighbour]) -> list[SimilarTrack]:
    if not found:
        return []
    rows = {
        row.id: row
        for row in conn.execute(
            select(tracks.c.id, tracks.c.path, tracks.c.artist, tracks.c.title).where(
                tracks.c.id.in_([n.track_id for n in found])
            )
        )
    }
    return [
        SimilarTrack(n.track_id, rows[n.track_id].path, rows[n.track_id].artist, rows[n.track_id].title, n.similarity)
        for n in found
        if n.track_id in rows
    ]
