"""Playlists in the library: create, list, edit, and resolve them to tracks.

Manual playlists keep ordered entries; smart ones keep `SmartRules` and are evaluated on every
read against the current models' analyses (``models``: the id of the current model of each name,
from `analysis.current.current_models`), so they are never stale. Functions take a Core
``Connection``: reads from ``library.engine.connect()``, writes inside ``library.writer.begin()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, delete, func, insert, select, update

from desktop_app.errors import LibraryError
from desktop_app.genres.taxonomy import GENRE_TAXONOMIES, TAXONOMIES, Label, Taxonomy, UnknownLabelError
from desktop_app.library.models import Playlist, PlaylistEntry, Track
from desktop_app.library.portable import nocase, nocase_equals
from desktop_app.library.smart_rules import ModelIds, PlaylistOrder, SmartRules, evaluate, genre_rules
from desktop_app.library.track_store import utc_now

playlists = Playlist.__table__
entries = PlaylistEntry.__table__
tracks = Track.__table__

PlaylistKind = Literal["manual", "smart"]
ID_BATCH = 500
"""Ids per IN (…): SQLite caps the parameters of one statement, and a genre can hold 50,000 tracks."""
NO_MODELS: ModelIds = {}
"""For reads that need no analyses (a manual playlist's entries)."""


class PlaylistError(LibraryError, ValueError):
    """A playlist operation that cannot be done (unknown playlist, name taken, …)."""


@dataclass(frozen=True)
class PlaylistInfo:
    id: int
    name: str
    kind: PlaylistKind
    rules: SmartRules | None

    @property
    def is_smart(self) -> bool:
        return self.kind == "smart"


@dataclass(frozen=True)
class PlaylistTrack:
    """What an export or a view needs of one entry."""

    id: int
    path: str
    title: str | None
    artist: str | None
    album: str | None
    duration: float | None
    available: bool


@dataclass(frozen=True)
class PlaylistSnapshot:
    """Everything needed to recreate a deleted playlist (undo)."""

    name: str
    kind: PlaylistKind
    rules: SmartRules | None
    track_ids: tuple[int, ...]


def find_genre(text: str, model: str | None = None) -> tuple[Taxonomy, Label]:
    """The genre ``text`` names, in ``model``'s taxonomy or else the first genre taxonomy that has it
    (broad genres, then CCMusic's): "rock" is the broad genre, "soft rock" CCMusic's."""
    candidates = [TAXONOMIES[model]] if model is not None else list(GENRE_TAXONOMIES)
    problems: list[UnknownLabelError] = []
    for taxonomy in candidates:
        try:
            return taxonomy, taxonomy.find(text)
        except UnknownLabelError as exc:
            problems.append(exc)
    # The taxonomy that has something close says it best ("soft rok": CCMusic's "Soft rock").
    raise next((p for p in problems if "Did you mean" in str(p)), problems[0])


def _info(row) -> PlaylistInfo:
    rules = SmartRules.from_json(row.rules) if row.rules is not None else None
    return PlaylistInfo(row.id, row.name, row.kind, rules)


def list_playlists(conn: Connection) -> list[PlaylistInfo]:
    """Every playlist, by name (case-insensitive)."""
    query = select(playlists).order_by(nocase(playlists.c.name), playlists.c.id)
    return [_info(row) for row in conn.execute(query)]


def get_playlist(conn: Connection, playlist_id: int) -> PlaylistInfo:
    row = conn.execute(select(playlists).where(playlists.c.id == playlist_id)).first()
    if row is None:
        raise PlaylistError(f"no playlist with id {playlist_id}")
    return _info(row)


def find_playlist(conn: Connection, name: str) -> PlaylistInfo:
    """The playlist with this name, ignoring case."""
    row = conn.execute(select(playlists).where(nocase_equals(playlists.c.name, name.strip()))).first()
    if row is None:
        known = [p.name for p in list_playlists(conn)]
        raise PlaylistError(f"no playlist named {name!r}" + (f" (playlists: {', '.join(known)})" if known else ""))
    return _info(row)


def name_taken(conn: Connection, name: str, except_id: int | None = None) -> bool:
    query = select(playlists.c.id).where(nocase_equals(playlists.c.name, name.strip()))
    if except_id is not None:
        query = query.where(playlists.c.id != except_id)
    return conn.execute(query).first() is not None


def free_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or "base (2)", "base (3)", … whichever is not in ``taken`` (ignoring case)."""
    used = {name.casefold() for name in taken}
    name, n = base.strip(), 2
    while name.casefold() in used:
        name, n = f"{base.strip()} ({n})", n + 1
    return name


def unique_name(conn: Connection, base: str) -> str:
    """``base``, or "base (2)", "base (3)", … whichever is free in the library."""
    return free_name(base, (playlist.name for playlist in list_playlists(conn)))


def _check_name(conn: Connection, name: str, except_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise PlaylistError("a playlist needs a name")
    if name_taken(conn, name, except_id):
        raise PlaylistError(f"a playlist named {name!r} exists already")
    return name


def create_playlist(conn: Connection, name: str, track_ids: Sequence[int] = (), rules: SmartRules | None = None) -> int:
    """A new manual playlist with these tracks, or a smart one when ``rules`` are given."""
    now = utc_now()
    key = conn.execute(
        insert(playlists).values(
            name=_check_name(conn, name),
            kind="smart" if rules is not None else "manual",
            rules=rules.to_json() if rules is not None else None,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key
    assert key is not None  # a single-row insert always has one
    playlist_id = int(key[0])
    _write_entries(conn, playlist_id, track_ids)
    return playlist_id


def genre_track_ids(
    conn: Connection,
    model: str,
    genre_key: str,
    min_confidence: float | None,
    models: ModelIds,
    order: PlaylistOrder = "confidence",
) -> list[int]:
    """Available tracks whose top-1 by ``model`` (``broad-genre``, ``ccmusic``) is this genre with at
    least this confidence (None: the taxonomy's low-confidence line), in this order."""
    rules = genre_rules(genre_key, _min_confidence(model, min_confidence), order, model)
    return evaluate(
        conn, SmartRules(rules.rules, "all", rules.order, rules.descending, available_only=True, model=model), models
    )


def _min_confidence(model: str, given: float | None) -> float:
    return TAXONOMIES[model].low_confidence if given is None else given


def create_genre_playlist(
    conn: Connection,
    genre: str,
    *,
    model: str | None = None,
    name: str | None = None,
    min_confidence: float | None = None,
    smart: bool = False,
    models: ModelIds,
    order: PlaylistOrder = "confidence",
) -> int:
    """A playlist of one predicted genre (key or display name, of ``model``'s taxonomy or the first
    that has it, see `find_genre`): smart (follows re-analyses) or a snapshot."""
    taxonomy, chosen = find_genre(genre, model)
    name = name or chosen.display_name
    threshold = _min_confidence(taxonomy.model, min_confidence)
    if smart:
        return create_playlist(conn, name, rules=genre_rules(chosen.key, threshold, order, taxonomy.model))
    return create_playlist(conn, name, genre_track_ids(conn, taxonomy.model, chosen.key, threshold, models, order))


def create_all_genre_playlists(
    conn: Connection,
    *,
    model: str,
    min_confidence: float | None = None,
    smart: bool = False,
    models: ModelIds,
    order: PlaylistOrder = "confidence",
) -> tuple[list[int], list[str]]:
    """One playlist per genre of ``model`` that has tracks, named after it; (new ids, names skipped as taken)."""
    created, skipped = [], []
    for genre in TAXONOMIES[model].labels:
        if not genre_track_ids(conn, model, genre.key, min_confidence, models, order):
            continue
        if name_taken(conn, genre.display_name):
            skipped.append(genre.display_name)
            continue
        created.append(
            create_genre_playlist(
                conn, genre.key, model=model, min_confidence=min_confidence, smart=smart, models=models, order=order
            )
        )
    return created, skipped


def playlist_track_ids(conn: Connection, playlist: PlaylistInfo, models: ModelIds) -> list[int]:
    """The playlist's tracks in order: its entries, or its rules evaluated now."""
    if playlist.rules is not None:
        return evaluate(conn, playlist.rules, models)
    query = select(entries.c.track_id).where(entries.c.playlist_id == playlist.id).order_by(entries.c.position)
    return list(conn.execute(query).scalars())


def playlist_counts(conn: Connection, models: ModelIds) -> dict[int, int]:
    """How many entries each playlist has now (smart ones evaluated)."""
    counts: dict[int, int] = dict(
        conn.execute(select(entries.c.playlist_id, func.count()).group_by(entries.c.playlist_id)).all()
    )
    result = {}
    for playlist in list_playlists(conn):
        result[playlist.id] = (
            len(evaluate(conn, playlist.rules, models)) if playlist.rules is not None else counts.get(playlist.id, 0)
        )
    return result


def tracks_by_id(conn: Connection, track_ids: Sequence[int]) -> list[PlaylistTrack]:
    """These tracks in this order (repeats kept); ids no longer in the library are left out."""
    found: dict[int, PlaylistTrack] = {}
    unique = list(dict.fromkeys(track_ids))
    for start in range(0, len(unique), ID_BATCH):
        rows = conn.execute(
            select(
                tracks.c.id,
                tracks.c.path,
                tracks.c.title,
                tracks.c.artist,
                tracks.c.album,
                tracks.c.duration,
                tracks.c.available,
            ).where(tracks.c.id.in_(unique[start : start + ID_BATCH]))
        )
        found.update((row.id, PlaylistTrack(*row)) for row in rows)
    return [found[i] for i in track_ids if i in found]


def _manual(conn: Connection, playlist_id: int) -> PlaylistInfo:
    playlist = get_playlist(conn, playlist_id)
    if playlist.is_smart:
        raise PlaylistError(f"{playlist.name!r} is a smart playlist: edit its rules instead of its tracks")
    return playlist


def _write_entries(conn: Connection, playlist_id: int, track_ids: Sequence[int]) -> None:
    conn.execute(delete(entries).where(entries.c.playlist_id == playlist_id))
    if track_ids:
        conn.execute(
            insert(entries),
            [{"playlist_id": playlist_id, "position": i, "track_id": t} for i, t in enumerate(track_ids)],
        )
    conn.execute(update(playlists).where(playlists.c.id == playlist_id).values(updated_at=utc_now()))


def set_tracks(conn: Connection, playlist_id: int, track_ids: Sequence[int]) -> None:
    """Replace a manual playlist's entries (reorder, remove and add all come down to this)."""
    playlist = _manual(conn, playlist_id)
    _write_entries(conn, playlist.id, track_ids)


def add_tracks(conn: Connection, playlist_id: int, track_ids: Sequence[int], at: int | None = None) -> None:
    """Insert tracks at position ``at`` (default: the end) of a manual playlist."""
    current = playlist_track_ids(conn, _manual(conn, playlist_id), NO_MODELS)
    at = len(current) if at is None else max(0, min(at, len(current)))
    _write_entries(conn, playlist_id, [*current[:at], *track_ids, *current[at:]])


def remove_positions(conn: Connection, playlist_id: int, positions: Sequence[int]) -> None:
    gone = set(positions)
    current = playlist_track_ids(conn, _manual(conn, playlist_id), NO_MODELS)
    _write_entries(conn, playlist_id, [t for i, t in enumerate(current) if i not in gone])


def move_positions(conn: Connection, playlist_id: int, positions: Sequence[int], before: int) -> list[int]:
    """Move the entries at ``positions`` (kept in their order) to just before position ``before``
    (counted before the move; ``len`` for the end). Returns the new positions of the moved entries."""
    current = playlist_track_ids(conn, _manual(conn, playlist_id), NO_MODELS)
    moving = sorted(set(p for p in positions if 0 <= p < len(current)))
    kept = [t for i, t in enumerate(current) if i not in set(moving)]
    at = before - sum(1 for p in moving if p < before)
    at = max(0, min(at, len(kept)))
    _write_entries(conn, playlist_id, [*kept[:at], *(current[p] for p in moving), *kept[at:]])
    return list(range(at, at + len(moving)))


def rename_playlist(conn: Connection, playlist_id: int, name: str) -> None:
    get_playlist(conn, playlist_id)
    conn.execute(
        update(playlists)
        .where(playlists.c.id == playlist_id)
        .values(name=_check_name(conn, name, playlist_id), updated_at=utc_now())
    )


def set_rules(conn: Connection, playlist_id: int, rules: SmartRules) -> None:
    if not get_playlist(conn, playlist_id).is_smart:
        raise PlaylistError("only smart playlists have rules")
    conn.execute(
        update(playlists).where(playlists.c.id == playlist_id).values(rules=rules.to_json(), updated_at=utc_now())
    )


def duplicate_playlist(conn: Connection, playlist_id: int, name: str | None = None) -> int:
    """A copy with the same rules or entries, named "<name> copy" unless given a name."""
    original = get_playlist(conn, playlist_id)
    new_name = name or unique_name(conn, f"{original.name} copy")
    return create_playlist(
        conn, new_name, playlist_track_ids(conn, original, NO_MODELS) if not original.is_smart else (), original.rules
    )


def delete_playlist(conn: Connection, playlist_id: int) -> PlaylistSnapshot:
    """Delete a playlist; the snapshot returned lets `restore_playlist` undo it."""
    playlist = get_playlist(conn, playlist_id)
    snapshot = PlaylistSnapshot(
        playlist.name,
        playlist.kind,
        playlist.rules,
        tuple(playlist_track_ids(conn, playlist, NO_MODELS)) if not playlist.is_smart else (),
    )
    conn.execute(delete(playlists).where(playlists.c.id == playlist_id))
    return snapshot


def restore_playlist(conn: Connection, snapshot: PlaylistSnapshot) -> int:
    """Recreate a deleted playlist (under a free name if its own was taken since)."""
    existing = {track.id for track in tracks_by_id(conn, snapshot.track_ids)}
    return create_playlist(
        conn, unique_name(conn, snapshot.name), [t for t in snapshot.track_ids if t in existing], snapshot.rules
    )
