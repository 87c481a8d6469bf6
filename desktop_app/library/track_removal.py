"""Removing tracks from the library. The files stay where they are: only the library forgets them.

A removed track's analyses, embeddings, work claims and manual-playlist entries go with it (the
database's cascades). Its past tag writes keep their record with no track, so undoing a genre
written earlier still finds the file by its path. Scanning the folder again adds the files back
as new tracks that must be analysed again, which is why the window asks first and `genrescope
remove` only removes with ``--yes``: `what_removal_takes` counts what would go.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, or_, select

from desktop_app.library.models import Analysis, PlaylistEntry, Track
from desktop_app.library.track_store import ROOTS_PER_QUERY, under

tracks = Track.__table__
analyses = Analysis.__table__
entries = PlaylistEntry.__table__

_BATCH = 500
"""Track ids per statement: far below SQLite's limit on bound parameters."""


@dataclass(frozen=True, slots=True)
class Removal:
    """What removing tracks takes (or took) from the library."""

    tracks: int = 0
    analyses: int = 0
    playlist_entries: int = 0

    def __add__(self, other: Removal) -> Removal:
        return Removal(
            self.tracks + other.tracks,
            self.analyses + other.analyses,
            self.playlist_entries + other.playlist_entries,
        )


def _batches(track_ids: Sequence[int]) -> Iterator[list[int]]:
    unique = list(dict.fromkeys(track_ids))
    for start in range(0, len(unique), _BATCH):
        yield unique[start : start + _BATCH]


def what_removal_takes(conn: Connection, track_ids: Sequence[int]) -> Removal:
    """The tracks of ``track_ids`` still in the library, their analyses and playlist entries."""
    total = Removal()
    for batch in _batches(track_ids):
        total += Removal(
            *(
                conn.execute(select(func.count()).select_from(table).where(column.in_(batch))).scalar_one()
                for table, column in (
                    (tracks, tracks.c.id),
                    (analyses, analyses.c.track_id),
                    (entries, entries.c.track_id),
                )
            )
        )
    return total


def remove_tracks(conn: Connection, track_ids: Sequence[int]) -> Removal:
    """Forget these tracks (ids no longer there are skipped); what went, counted before it went."""
    removed = what_removal_takes(conn, track_ids)
    for batch in _batches(track_ids):
        conn.execute(delete(tracks).where(tracks.c.id.in_(batch)))
    return removed


def track_ids_at(conn: Connection, paths: Sequence[str]) -> list[int]:
    """Every track at or inside these stored paths, missing ones too, in path order."""
    found: dict[str, int] = {}
    for start in range(0, len(paths), ROOTS_PER_QUERY):
        chunk = paths[start : start + ROOTS_PER_QUERY]
        rows = conn.execute(select(tracks.c.path, tracks.c.id).where(or_(*(under(p) for p in chunk))))
        found.update({path: track_id for path, track_id in rows})
    return [found[path] for path in sorted(found)]


def missing_track_ids(conn: Connection) -> list[int]:
    """The tracks whose files the last complete scan did not find, in path order."""
    return list(
        conn.execute(select(tracks.c.id).where(tracks.c.available.is_(False)).order_by(tracks.c.path)).scalars()
    )
