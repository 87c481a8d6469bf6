"""Large libraries for GUI tests, inserted straight into the database with executemany (no files, no scan).

The statements are written for SQLite's driver (``?`` parameters, ``lastrowid``); `_Raw` runs the
same ones on PostgreSQL's (psycopg: ``%s``, ``RETURNING id``), whose id sequences it then moves past
the ids given explicitly.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import Connection

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


class _Raw:
    """The DB-API connection under ``conn``, taking SQLite-style statements on either back end."""

    def __init__(self, conn: Connection) -> None:
        self._raw = conn.connection.driver_connection
        self._postgresql = conn.dialect.name == "postgresql"

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._postgresql else statement

    def executemany(self, statement: str, rows: list[tuple]) -> None:
        if self._postgresql:
            with self._raw.cursor() as cursor:
                cursor.executemany(self._sql(statement), rows)
        else:
            self._raw.executemany(statement, rows)

    def insert_id(self, statement: str, row: tuple) -> int:
        """Run one INSERT; the id of the row it added."""
        if self._postgresql:
            return int(self._raw.execute(self._sql(statement) + " RETURNING id", row).fetchone()[0])
        return int(self._raw.execute(statement, row).lastrowid)

    def ids_given(self, table: str) -> None:
        """After rows were inserted with explicit ids: new rows get ids after them (PostgreSQL)."""
        if self._postgresql:
            following = f"(SELECT coalesce(max(id), 0) + 1 FROM {table})"
            self._raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {following}, false)")


def insert_tracks(library: Library, count: int) -> None:
    rows = [track_row(i) for i in range(count)]
    genres = [{"track_id": r["id"], "position": 0, "name": r["genre"]} for r in rows]
    columns = list(rows[0])
    with library.writer.begin() as conn:
        raw = _Raw(conn)
        raw.executemany(
            f"INSERT INTO tracks ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(r[c] for c in columns) for r in rows],
        )
        raw.executemany(
            "INSERT INTO tag_genres (track_id, position, name) VALUES (?, ?, ?)",
            [(g["track_id"], g["position"], g["name"]) for g in genres],
        )
        raw.ids_given("tracks")


def insert_model(library: Library, origin: str = "test", sha256: str = "ab" * 32) -> int:
    with library.writer.begin() as conn:
        return _Raw(conn).insert_id(
            "INSERT INTO models (sha256, label, origin, classes, first_used_at) VALUES (?, ?, ?, ?, ?)",
            (sha256, f"{origin} model", origin, '["' + '","'.join(GENRE_KEYS) + '"]', NOW),
        )


def predicted_index(track_id: int) -> int:
    return track_id % NUM_CLASSES


def confidence_of(track_id: int) -> float:
    return round(0.2 + (track_id % 8) / 10, 2)


def insert_analyses(library: Library, model_id: int, track_ids: range) -> None:
    """Analyses for ``track_ids``: genre ``id % 16``, confidence 0.2 … 0.9 by ``id % 8``."""
    with library.writer.begin() as conn:
        _Raw(conn).executemany(
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
        raw = _Raw(conn)
        model_id = raw.insert_id(
            "INSERT INTO models (sha256, name, label, origin, classes, first_used_at) VALUES (?, ?, ?, ?, ?, ?)",
            (builtin_sha256()[name], name, f"{name} (generated)", "builtin",
             '["' + '","'.join(TAGGER_TAGS[name]) + '"]', NOW),
        )
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
