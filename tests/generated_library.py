"""Large libraries for GUI tests, inserted straight into SQLite with executemany (no files, no scan)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from desktop_app.genres.ccmusic import GENRE_KEYS, NUM_CLASSES
from desktop_app.library.database import Library

NOW = datetime(2026, 1, 1)
ARTISTS = 50
ALBUMS_PER_ARTIST = 4
TAG_GENRES = ("Rock", "Pop", "Jazz", "Classical", "Soul")


def track_row(i: int) -> dict[str, object]:
    """Track ``i``: deterministic tags so tests can compute expected counts and orders."""
    artist = i % ARTISTS
    return {
        "id": i + 1,
        "path": f"/music/artist{artist:03d}/album{i % ALBUMS_PER_ARTIST}/track{i:06d}.mp3",
        "size": 1000,
        "mtime": 0.0,
        "format": "mp3",
        "duration": 60.0 + (i * 7919) % 600,
        "title": f"Song {i:06d}",
        "artist": f"Artist {artist:03d}",
        "album": f"Album {artist:03d}-{i % ALBUMS_PER_ARTIST}",
        "year": 1960 + i % 60,
        "genre": TAG_GENRES[i % len(TAG_GENRES)],
        "added_at": NOW,
        "scanned_at": NOW,
        "available": True,
    }


def insert_tracks(library: Library, count: int) -> None:
    rows = [track_row(i) for i in range(count)]
    genres = [{"track_id": r["id"], "position": 0, "name": r["genre"]} for r in rows]
    columns = list(rows[0])
    with library.writer.begin() as conn:
        raw = conn.connection.driver_connection
        raw.executemany(
            f"INSERT INTO tracks ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(r[c] for c in columns) for r in rows],
        )
        raw.executemany(
            "INSERT INTO tag_genres (track_id, position, name) VALUES (?, ?, ?)",
            [(g["track_id"], g["position"], g["name"]) for g in genres],
        )


def insert_model(library: Library, origin: str = "test", sha256: str = "ab" * 32) -> int:
    with library.writer.begin() as conn:
        raw = conn.connection.driver_connection
        cursor = raw.execute(
            "INSERT INTO models (sha256, label, origin, classes, first_used_at) VALUES (?, ?, ?, ?, ?)",
            (sha256, f"{origin} model", origin, '["' + '","'.join(GENRE_KEYS) + '"]', NOW),
        )
        return int(cursor.lastrowid)


def predicted_index(track_id: int) -> int:
    return track_id % NUM_CLASSES


def confidence_of(track_id: int) -> float:
    return round(0.2 + (track_id % 8) / 10, 2)


def insert_analyses(library: Library, model_id: int, track_ids: range) -> None:
    """Analyses for ``track_ids``: genre ``id % 16``, confidence 0.2 … 0.9 by ``id % 8``."""
    with library.writer.begin() as conn:
        conn.connection.driver_connection.executemany(
            "INSERT INTO analyses (track_id, model_id, top1, confidence, majority, analysed_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (t, model_id, GENRE_KEYS[predicted_index(t)], confidence_of(t),
                 GENRE_KEYS[predicted_index(t)], NOW)
                for t in track_ids
            ],
        )


def insert_tagger_embeddings(library: Library, vectors: np.ndarray, name: str = "musicnn-msd") -> int:
    """The built-in tagger's model row (as the shipped weights register it) with analyses of tracks
    1..n, each holding row i-1 of ``vectors`` as its embedding; returns the model id."""
    from desktop_app.genres.musicnn_tags import TAGGER_TAGS
    from desktop_app.inference.registry import builtin_sha256

    with library.writer.begin() as conn:
        raw = conn.connection.driver_connection
        model_id = int(raw.execute(
            "INSERT INTO models (sha256, name, label, origin, classes, first_used_at) VALUES (?, ?, ?, ?, ?, ?)",
            (builtin_sha256()[name], name, f"{name} (generated)", "builtin",
             '["' + '","'.join(TAGGER_TAGS[name]) + '"]', NOW),
        ).lastrowid)
        tags = TAGGER_TAGS[name]
        raw.executemany(
            "INSERT INTO analyses (track_id, model_id, top1, confidence, analysed_at) VALUES (?, ?, ?, ?, ?)",
            [(i + 1, model_id, tags[i % len(tags)], 0.5, NOW) for i in range(len(vectors))],
        )
        raw.executemany(
            "INSERT INTO embeddings (analysis_id, layer, dims, vector) "
            "SELECT id, 'penultimate', ?, ? FROM analyses WHERE track_id = ? AND model_id = ?",
            [(vectors.shape[1], np.asarray(v, np.float16).tobytes(), i + 1, model_id) for i, v in enumerate(vectors)],
        )
    return model_id
