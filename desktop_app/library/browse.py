"""Read queries behind the window: which tracks a view shows, in which order, and the sidebar counts.

A view is resolved in two steps so a 100,000-track library never sits whole in Python objects:
``ordered_track_ids`` returns only the ids, in the view's order, packed in an ``array``; the
rows on screen are then read a page at a time by primary key with ``track_rows``. Filtering and
sorting happen in SQL. Tracks that are missing or could not be read are not shown (the scan
reports them).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    false,
    func,
    null,
    or_,
    select,
    true,
)

from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.library.analyses import StoredAnalysis, analysis_of
from desktop_app.library.models import Analysis, GenreModel, TagGenre, Track
from desktop_app.library.portable import contains_nocase, contains_nocase_any, nocase, nocase_equals
from desktop_app.library.search import SearchQuery
from desktop_app.library.tags import printable_path

tracks = Track.__table__
tag_genres = TagGenre.__table__
analyses = Analysis.__table__
models = GenreModel.__table__

ScopeKind = Literal["all", "missing", "predicted", "not_analysed", "low_confidence", "tag_genre", "artist", "album"]
SortKey = Literal["title", "artist", "album", "duration", "tag_genre", "predicted", "confidence", "path"]
SORT_KEYS: tuple[SortKey, ...] = (
    "title",
    "artist",
    "album",
    "duration",
    "tag_genre",
    "predicted",
    "confidence",
    "path",
)
DEFAULT_LOW_CONFIDENCE = 0.4
_ID_BATCH = 10_000
_WORD_COLUMNS = (tracks.c.title, tracks.c.artist, tracks.c.album, tracks.c.path)
"""Where a search word may appear (`Track.search_text` holds them folded)."""


@dataclass(frozen=True)
class Scope:
    """What the sidebar selected: all tracks, one predicted genre, one artist, ...

    ``value`` is the genre key, tag genre, artist or album; None for an artist or album means the
    tracks without one.
    """

    kind: ScopeKind = "all"
    value: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """The model whose analyses the window shows; ``id`` is None until it has analysed anything."""

    id: int | None
    sha256: str
    label: str
    origin: str
    name: str = "ccmusic"
    """Which model: ``ccmusic``, ``broad-genre``, ``musicnn-msd`` or ``musicnn-mtt``."""

    @property
    def is_test(self) -> bool:
        return self.origin == "test"


@dataclass(frozen=True)
class TrackView:
    scope: Scope = Scope()
    search: SearchQuery = SearchQuery()
    sort: SortKey = "artist"
    descending: bool = False
    model_id: int | None = None
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    taxonomy: str = "ccmusic"
    """Whose genres ``model_id``'s analyses hold: what ``predicted:`` in a search matches."""


class TrackRow(NamedTuple):
    """One line of the track table: plain values, cheap to keep a few thousand of."""

    id: int
    title: str | None
    artist: str | None
    album: str | None
    duration: float | None
    tag_genre: str | None
    path: str
    predicted: str | None
    confidence: float | None
    analysis_error: str | None


@dataclass(frozen=True)
class TrackDetail:
    """Everything the detail panel shows about one track: its columns, tag genres and analyses.

    ``tag_genre`` is the genre as written in the file, ``tag_genres`` its split list;
    ``analysis`` is the analysis by the model whose taxonomy the window shows, or None;
    ``analyses`` every analysis of this track by one of the current models, by model name.
    """

    id: int
    path: str
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration: float | None = None
    tag_genre: str | None = None
    tag_genres: list[str] = field(default_factory=list)
    analysis: StoredAnalysis | None = None
    analyses: dict[str, StoredAnalysis] = field(default_factory=dict)
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    size: int | None = None
    mtime: float | None = None
    format: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bitrate: int | None = None
    added_at: datetime | None = None
    scanned_at: datetime | None = None
    available: bool = True
    error: str | None = None


@dataclass
class SidebarCounts:
    total: int = 0
    predicted: dict[str, int] = field(default_factory=dict)
    not_analysed: int = 0
    low_confidence: int = 0
    tag_genres: list[tuple[str, int]] = field(default_factory=list)
    artists: list[tuple[str | None, int]] = field(default_factory=list)
    albums: list[tuple[str | None, int]] = field(default_factory=list)
    missing: int = 0
    """Tracks whose files the last scan of their folder did not find (not among the others)."""


def _visible() -> ColumnElement[bool]:
    return and_(tracks.c.available.is_(True), tracks.c.error.is_(None))


def _missing() -> ColumnElement[bool]:
    return and_(tracks.c.available.is_(False), tracks.c.error.is_(None))


def _shown(scope: Scope) -> ColumnElement[bool]:
    """The tracks a scope draws from: the missing ones for Missing files, else those shown everywhere
    (a missing file's track is kept, analyses and all, for when its drive is back)."""
    return _missing() if scope.kind == "missing" else _visible()


def with_analysis(query: Select[Any], model_id: int | None) -> Select[Any]:
    """Join each track's analysis by this model (if any), so `analyses` columns can be used."""
    if model_id is None:
        return query
    return query.outerjoin(analyses, and_(analyses.c.track_id == tracks.c.id, analyses.c.model_id == model_id))


def _top1(model_id: int | None) -> ColumnElement[Any]:
    return analyses.c.top1 if model_id is not None else null()


def _confidence(model_id: int | None) -> ColumnElement[Any]:
    return analyses.c.confidence if model_id is not None else null()


def contains(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` literally, ignoring case."""
    return contains_nocase(column, text)


def _scope_condition(view: TrackView) -> ColumnElement[bool]:
    scope, model_id = view.scope, view.model_id
    top1, confidence = _top1(model_id), _confidence(model_id)
    if scope.kind == "predicted":
        return top1 == scope.value if model_id is not None else false()
    if scope.kind == "not_analysed":
        return top1.is_(None) if model_id is not None else true()
    if scope.kind == "low_confidence":
        return confidence < view.low_confidence if model_id is not None else false()
    if scope.kind == "tag_genre":
        return exists().where(tag_genres.c.track_id == tracks.c.id, nocase_equals(tag_genres.c.name, scope.value))
    if scope.kind in ("artist", "album"):
        column = tracks.c[scope.kind]
        return column.is_(None) if scope.value is None else column == scope.value
    return true()


def search_condition(search: SearchQuery, model_id: int | None, taxonomy: str = "ccmusic") -> ColumnElement[bool]:
    """The search box's query as a condition on tracks joined by `with_analysis` (smart playlists reuse it);
    ``predicted:`` matches the genres of ``taxonomy`` whose key or name contains the text."""
    conditions: list[ColumnElement[bool]] = []
    for word in search.words:
        conditions.append(contains_nocase_any(_WORD_COLUMNS, tracks.c.search_text, word))
    columns = {"artist": tracks.c.artist, "album": tracks.c.album, "title": tracks.c.title, "genre": tracks.c.genre}
    for name, values in search.fields.items():
        for value in values:
            if name == "predicted":
                keys = TAXONOMIES[taxonomy].matching(value)
                conditions.append(_top1(model_id).in_(keys) if keys and model_id is not None else false())
            else:
                conditions.append(contains(columns[name], value))
    for years in search.years:
        if years.low is not None:
            conditions.append(tracks.c.year >= years.low)
        if years.high is not None:
            conditions.append(tracks.c.year <= years.high)
    return and_(true(), *conditions)


def _sort_expression(key: SortKey, model_id: int | None) -> ColumnElement[Any]:
    if key == "predicted":
        return _top1(model_id)
    if key == "confidence":
        return _confidence(model_id)
    if key == "tag_genre":
        return nocase(tracks.c.genre)
    if key == "duration":
        return tracks.c.duration
    return nocase(tracks.c[key])


def ordered_track_ids(conn: Connection, view: TrackView) -> array[int]:
    """The ids of the tracks the view shows, in its order (ties by id), missing values last."""
    sort = _sort_expression(view.sort, view.model_id)
    direction = sort.desc() if view.descending else sort.asc()
    tiebreak = tracks.c.id.desc() if view.descending else tracks.c.id.asc()
    order: list[ColumnElement[Any]] = [direction, tiebreak]
    if view.model_id is not None or view.sort not in ("predicted", "confidence"):
        order.insert(0, sort.is_(None))
    query = (
        with_analysis(select(tracks.c.id), view.model_id)
        .where(_shown(view.scope), _scope_condition(view), search_condition(view.search, view.model_id, view.taxonomy))
        .order_by(*order)
    )
    ids: array[int] = array("q")
    result = conn.execute(query)
    while batch := result.fetchmany(_ID_BATCH):
        ids.extend(row[0] for row in batch)
    return ids


def track_rows(conn: Connection, ids: Sequence[int], model_id: int | None) -> dict[int, TrackRow]:
    """The table rows of these tracks, by id (ids that vanished meanwhile are left out)."""
    if not ids:
        return {}
    query = with_analysis(
        select(
            tracks.c.id,
            tracks.c.title,
            tracks.c.artist,
            tracks.c.album,
            tracks.c.duration,
            tracks.c.genre,
            tracks.c.path,
            _top1(model_id).label("predicted"),
            _confidence(model_id).label("confidence"),
            (analyses.c.error if model_id is not None else null()).label("analysis_error"),
        ),
        model_id,
    ).where(tracks.c.id.in_(list(ids)))
    return {row[0]: TrackRow(*row) for row in conn.execute(query)}


def track_detail(
    conn: Connection, track_id: int, model: ModelInfo | None, models: Mapping[str, ModelInfo] | None = None
) -> TrackDetail | None:
    """The track with this id, its tag genres, ``model``'s analysis (the taxonomy the window
    shows) and the analyses by ``models`` (the current model of each name); None if it is gone."""
    stored = [column for column in tracks.columns if column.computed is None]  # not search_text
    row = conn.execute(select(*stored).where(tracks.c.id == track_id)).mappings().first()
    if row is None:
        return None
    columns = dict(row)
    columns["tag_genre"] = columns.pop("genre")
    names = conn.execute(
        select(tag_genres.c.name).where(tag_genres.c.track_id == track_id).order_by(tag_genres.c.position)
    ).scalars()
    found = {name: analysis_of(conn, track_id, info.id) for name, info in (models or {}).items() if info.id is not None}
    return TrackDetail(
        **columns,
        tag_genres=list(names),
        analysis=analysis_of(conn, track_id, model.id) if model and model.id is not None else None,
        analyses={name: analysis for name, analysis in found.items() if analysis is not None},
    )


def sidebar_counts(conn: Connection, model_id: int | None, low_confidence: float) -> SidebarCounts:
    """Counts of shown tracks per sidebar entry, computed with one aggregate query per section."""
    counts = SidebarCounts()
    visible = _visible()
    counts.total = conn.execute(select(func.count()).select_from(tracks).where(visible)).scalar_one()
    counts.missing = conn.execute(select(func.count()).select_from(tracks).where(_missing())).scalar_one()
    if model_id is not None:
        by_genre = conn.execute(
            with_analysis(select(analyses.c.top1, func.count()), model_id).where(visible).group_by(analyses.c.top1)
        )
        for top1, count in by_genre:
            if top1 is None:
                counts.not_analysed = count
            else:
                counts.predicted[top1] = count
        counts.low_confidence = conn.execute(
            with_analysis(select(func.count()).select_from(tracks), model_id).where(
                visible, analyses.c.confidence < low_confidence
            )
        ).scalar_one()
    else:
        counts.not_analysed = counts.total
    # One entry per genre whatever its case ("Rock", "rock"), under one of its spellings: SQLite
    # shows a grouped query's bare column from one of the group's rows; PostgreSQL wants an
    # aggregate, and the smallest spelling is as good a choice.
    spelling = tag_genres.c.name if conn.dialect.name == "sqlite" else func.min(tag_genres.c.name)
    counts.tag_genres = [
        (name, count)
        for name, count in conn.execute(
            select(spelling, func.count(func.distinct(tracks.c.id)))
            .join(tracks, tracks.c.id == tag_genres.c.track_id)
            .where(visible)
            .group_by(nocase(tag_genres.c.name))
            .order_by(nocase(tag_genres.c.name))
        )
    ]
    for kind in ("artist", "album"):
        column = tracks.c[kind]
        rows = conn.execute(
            select(column, func.count()).where(visible).group_by(column).order_by(column.is_(None), nocase(column))
        )
        setattr(counts, f"{kind}s", [(value, count) for value, count in rows])
    return counts


def current_model(conn: Connection, installed_sha256: str | None, name: str = "ccmusic") -> ModelInfo | None:
    """The registered model of this name whose analyses to show: the installed one (or, for the
    built-in tagger and broad genres, the shipped one), else the one of that name registered last.

    None when the installed model has not analysed anything yet (or nothing was ever analysed).
    Without an installed model, earlier analyses stay visible, labelled with the model that made them.
    """
    query = select(models.c.id, models.c.sha256, models.c.label, models.c.origin, models.c.name).where(
        models.c.name == name
    )
    if installed_sha256 is not None:
        row = conn.execute(query.where(models.c.sha256 == installed_sha256)).first()
        if row is None:
            return None
        return ModelInfo(*row)
    row = conn.execute(query.order_by(models.c.first_used_at.desc(), models.c.id.desc()).limit(1)).first()
    return ModelInfo(*row) if row else None


def track_ids_under(conn: Connection, paths: Sequence[str]) -> list[int]:
    """Shown tracks at or inside ``paths``, the first path's tracks first, each path's in path order."""
    found: dict[int, None] = {}
    for path in map(printable_path, paths):  # the stored form of names that are not UTF-8
        folder = path.rstrip("/") + "/"
        inside = and_(tracks.c.path >= folder, tracks.c.path < folder[:-1] + "0")
        rows = conn.execute(
            select(tracks.c.id).where(_visible(), or_(tracks.c.path == path, inside)).order_by(tracks.c.path)
        )
        found.update(dict.fromkeys(rows.scalars()))
    return list(found)
