"""A cheap summary of the library's contents, to notice what another program or machine wrote.

Several windows and ``genrescope`` commands may share one library (a SQLite file beside a
``genrescope classify``, a PostgreSQL database on a NAS). Each window hears its own writes as
they happen; what others wrote it learns by reading a `ChangeStamp` every few seconds and
comparing it with the last one. The stamp is the largest id of the tracks, analyses and models
(one primary-key lookup each) and a summary of the small playlists tables, so no writer needs to
bump a change counter and the schema stays as it is; it costs well under a few ms on a
100,000-track library on either back end (bench/change_stamp.py). A count would see more, but
counting 100,000 rows took 5-20 ms on PostgreSQL, every few seconds, in every window.

What it sees: tracks added (a scan), analyses added (every first analysis of a track by a model,
which is what ``genrescope classify`` and another window's analysis write), models registered,
and any playlist change (created, deleted, renamed, edited: ``updated_at``; entries added or
removed). What it does not see is a row rewritten in place: a rescan that only changes tags or
marks files missing, a failed analysis retried; those show with the next change it sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from desktop_app.library.models import Analysis, GenreModel, Playlist, PlaylistEntry, Track


@dataclass(frozen=True)
class ChangeStamp:
    """One reading per part of the library; two equal parts mean nothing seen changed there."""

    tracks: tuple[object, ...]
    analyses: tuple[object, ...]
    playlists: tuple[object, ...]
    models: tuple[object, ...]

    def changed_parts(self, earlier: ChangeStamp) -> frozenset[str]:
        """The names of the parts (``tracks``, ``analyses``, ``playlists``, ``models``) that differ."""
        return frozenset(part for part in PARTS if getattr(self, part) != getattr(earlier, part))


PARTS: tuple[str, ...] = ("models", "tracks", "analyses", "playlists")
"""In the order a reader should follow them: whose analyses are shown before the analyses."""


def read_change_stamp(conn: Connection) -> ChangeStamp:
    """The library's stamp now (one primary-key lookup per table; call it off the GUI thread)."""
    playlists = Playlist.__table__.c
    track_id = conn.execute(select(func.max(Track.__table__.c.id))).scalar_one()
    analysis_id = conn.execute(select(func.max(Analysis.__table__.c.id))).scalar_one()
    # Playlists are few (their table is tiny); their entries go by playlist, a few thousand at most.
    playlist_row = conn.execute(select(func.count(), func.max(playlists.id), func.max(playlists.updated_at))).one()
    entries = conn.execute(select(func.count()).select_from(PlaylistEntry.__table__)).scalar_one()
    model_id = conn.execute(select(func.max(GenreModel.__table__.c.id))).scalar_one()
    return ChangeStamp(
        tracks=(track_id,),
        analyses=(analysis_id,),
        playlists=(*playlist_row, entries),
        models=(model_id,),
    )
