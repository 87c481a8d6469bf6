"""Read-side queries over the library, streamed so large libraries never sit whole in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from desktop_app.library.database import Library
from desktop_app.library.models import Track

_tracks = Track.__table__


def iter_tracks(library: Library, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every track as a plain dict, in id order; ``tag_genre`` is the genre as written in the file."""
    query = select(_tracks).order_by(_tracks.c.id)
    with library.engine.connect() as conn:
        for row in conn.execution_options(yield_per=batch).execute(query).mappings():
            track = dict(row)
            track["tag_genre"] = track.pop("genre")
            yield track
