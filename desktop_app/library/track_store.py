"""Batched reads and writes of track rows for the scanner.

Core statements with executemany, not ORM objects: a scan touches tens of thousands of rows
and must spend its time reading files, not building Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Connection, and_, bindparam, delete, insert, or_, select, update

from desktop_app.library.models import TagGenre, Track
from desktop_app.library.portable import upsert
from desktop_app.library.tags import FileInfo

tracks = Track.__table__
tag_genres = TagGenre.__table__

_INFO_COLUMNS = (
    "size",
    "mtime",
    "format",
    "duration",
    "sample_rate",
    "channels",
    "bitrate",
    "title",
    "artist",
    "album",
    "album_artist",
    "track_number",
    "disc_number",
    "year",
    "genre",
    "error",
)


@dataclass(slots=True, frozen=True)
class KnownTrack:
    id: int
    size: int | None
    mtime: float | None
    available: bool


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # not datetime.UTC: Python 3.10 has none


def under(root: str) -> ColumnElement[bool]:
    """Rows at ``root`` or inside it, as an index-friendly range on the unique path column."""
    folder = root.rstrip("/") + "/"
    # "0" is the character after "/", so [folder, folder-with-"0") is exactly the subtree.
    return or_(tracks.c.path == root, and_(tracks.c.path >= folder, tracks.c.path < folder[:-1] + "0"))


ROOTS_PER_QUERY = 100  # SQLite refuses expression trees deeper than 1,000 terms


def known_tracks(conn: Connection, roots: Sequence[str]) -> dict[str, KnownTrack]:
    """The rows at or under any of ``roots`` (a drop can name thousands of files)."""
    columns = (tracks.c.path, tracks.c.id, tracks.c.size, tracks.c.mtime, tracks.c.available)
    known: dict[str, KnownTrack] = {}
    for start in range(0, len(roots), ROOTS_PER_QUERY):
        chunk = roots[start : start + ROOTS_PER_QUERY]
        for row in conn.execute(select(*columns).where(or_(*(under(root) for root in chunk)))):
            known[row.path] = KnownTrack(row.id, row.size, row.mtime, bool(row.available))
    return known


def _row(info: FileInfo, now: datetime) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(info, name) for name in _INFO_COLUMNS}
    row["scanned_at"] = now
    row["available"] = True
    return row


def _genre_rows(track_id: int, info: FileInfo) -> list[dict[str, object]]:
    return [{"track_id": track_id, "position": i, "name": name} for i, name in enumerate(info.genres)]


def insert_tracks(conn: Connection, infos: Sequence[FileInfo]) -> None:
    """Add new tracks. A path that another scan of the same folder added in the meantime (two
    scans at once) is updated instead: it is the same file, and the row keeps its id."""
    if not infos:
        return
    now = utc_now()
    rows = [{**_row(info, now), "path": info.path, "added_at": now} for info in infos]
    insert_statement = upsert(conn, tracks)
    statement = insert_statement.on_conflict_do_update(
        index_elements=[tracks.c.path],
        set_={name: insert_statement.excluded[name] for name in (*_INFO_COLUMNS, "scanned_at", "available")},
    )
    ids = list(conn.execute(statement.returning(tracks.c.id, sort_by_parameter_order=True), rows).scalars())
    conn.execute(delete(tag_genres).where(tag_genres.c.track_id.in_(ids)))
    genre_rows = [g for track_id, info in zip(ids, infos) for g in _genre_rows(track_id, info)]
    if genre_rows:
        conn.execute(insert(tag_genres), genre_rows)


def update_tracks(conn: Connection, updates: Sequence[tuple[int, FileInfo]]) -> None:
    if not updates:
        return
    now = utc_now()
    rows = [{**_row(info, now), "_id": track_id} for track_id, info in updates]
    conn.execute(update(tracks).where(tracks.c.id == bindparam("_id")), rows)
    ids = [track_id for track_id, _ in updates]
    conn.execute(delete(tag_genres).where(tag_genres.c.track_id.in_(ids)))
    genre_rows = [g for track_id, info in updates for g in _genre_rows(track_id, info)]
    if genre_rows:
        conn.execute(insert(tag_genres), genre_rows)


def set_available(conn: Connection, ids: Iterable[int], available: bool) -> None:
    ids = list(ids)
    for start in range(0, len(ids), 500):
        conn.execute(update(tracks).where(tracks.c.id.in_(ids[start : start + 500])).values(available=available))
