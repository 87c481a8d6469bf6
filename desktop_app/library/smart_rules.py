"""Smart-playlist rules: what they mean, how they are stored (JSON) and how they become SQL.

A rule set is a list of conditions joined by AND ("all") or OR ("any"), plus a sort and an
optional limit. Conditions reuse the window's query pieces (`browse`): free text is the search
box's language, predicted genres come from the current analyses of the rule set's ``model``
(``broad-genre`` or ``ccmusic``), so a smart playlist shows exactly what the same filter shows in
the table. A ``tag`` rule reads the built-in tagger's song-level tag probabilities ("mtt:female
vocal" at least 0.5), whatever ``model`` is; a ``similar`` rule keeps the tracks that sound at least
this much like a given track (cosine similarity of their embeddings, `similarity`).

Evaluation takes ``models``: the library id of the current model of each name
(`analysis.current.current_models`), so the library never asks which weights are installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Connection, and_, exists, false, func, or_, select, true

from desktop_app.errors import LibraryError
from desktop_app.genres.broad import SOURCE_PREFIX
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.genres.taxonomy import MY_GENRES_MODEL, TAXONOMIES
from desktop_app.library.browse import contains, search_condition, with_analysis
from desktop_app.library.models import Analysis, TagGenre, Track
from desktop_app.library.portable import id_in, json_number, nocase
from desktop_app.library.search import parse_search
from desktop_app.library.similarity import EMBEDDING_MODEL, index_for

tracks = Track.__table__
tag_genres = TagGenre.__table__
analyses = Analysis.__table__

RuleField = Literal[
    "predicted", "confidence", "tag_genre", "tag", "similar", "artist", "album", "year", "duration", "text", "available"
]
RULE_FIELDS: tuple[RuleField, ...] = get_args(RuleField)
PlaylistOrder = Literal[
    "confidence", "album_order", "artist", "album", "title", "year", "duration", "added", "predicted"
]
ORDERS: tuple[PlaylistOrder, ...] = get_args(PlaylistOrder)
ORDER_LABELS: dict[PlaylistOrder, str] = {
    "confidence": "Confidence",
    "album_order": "Artist, album, track number",
    "artist": "Artist",
    "album": "Album",
    "title": "Title",
    "year": "Year",
    "duration": "Duration",
    "added": "Date added",
    "predicted": "Predicted genre",
}
Match = Literal["all", "any"]
ModelIds = Mapping[str, int]
"""The library id of the current model of each name (``ccmusic``, ``broad-genre``, ``musicnn-msd``, …)."""
LEGACY_MODEL = "ccmusic"
"""The model of rules stored before there was more than one (they name CCMusic genres)."""
_TAGGER_OF_PREFIX = {prefix: model for model, prefix in SOURCE_PREFIX.items()}


def tag_column(qualified: str) -> tuple[str, int]:
    """(tagger model name, output index) of a qualified tag such as ``mtt:female vocal``."""
    prefix, _, tag = qualified.partition(":")
    model = _TAGGER_OF_PREFIX.get(prefix)
    if model is None or tag not in TAGGER_TAGS[model]:
        raise RuleError(f"unknown tag {qualified!r}: write msd:TAG or mtt:TAG with one of the taggers' tags")
    return model, TAGGER_TAGS[model].index(tag)


class RuleError(LibraryError, ValueError):
    """Stored or typed rules that do not make sense; the message says which part."""


@dataclass(frozen=True)
class Rule:
    """One condition on a track.

    ``predicted`` and ``tag_genre`` use ``values`` (any of them matches); ``artist``, ``album`` and
    ``text`` use ``text`` (contains; ``text`` is the search box's language); ``confidence``,
    ``year`` and ``duration`` (seconds) use ``minimum``/``maximum`` (inclusive, either may be
    None); ``tag`` uses ``values`` (qualified tags, ``msd:instrumental``; any matches) and
    ``minimum`` (the tag's song-level probability, 0-1); ``similar`` uses ``values`` (one track id)
    and ``minimum`` (the cosine similarity of the two tracks' embeddings, -1 to 1); ``available``
    uses ``flag`` (True: the file is there, False: it is missing).
    """

    field: RuleField
    values: tuple[str, ...] = ()
    text: str = ""
    minimum: float | None = None
    maximum: float | None = None
    flag: bool = True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field}
        if self.field in ("predicted", "tag_genre"):
            data["values"] = list(self.values)
        elif self.field in ("tag", "similar"):
            data["values"], data["minimum"] = list(self.values), self.minimum
        elif self.field in ("artist", "album", "text"):
            data["text"] = self.text
        elif self.field == "available":
            data["flag"] = self.flag
        else:
            data["minimum"], data["maximum"] = self.minimum, self.maximum
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        name = data.get("field")
        if name not in RULE_FIELDS:
            raise RuleError(f"unknown rule field {name!r} (known: {', '.join(RULE_FIELDS)})")
        rule = cls(
            field=name,
            values=tuple(str(v) for v in data.get("values", ())),
            text=str(data.get("text", "")),
            minimum=_number(data.get("minimum")),
            maximum=_number(data.get("maximum")),
            flag=bool(data.get("flag", True)),
        )
        return rule

    def check(self, model: str = LEGACY_MODEL) -> None:
        """Raise `RuleError` unless the rule makes sense (``predicted`` values: genres of ``model``)."""
        if self.field == "predicted":
            # My genres are the person's and change when learned again: a playlist of a genre no
            # longer learned is empty, not broken.
            keys = TAXONOMIES[model].keys if model != MY_GENRES_MODEL else self.values
            unknown = [v for v in self.values if v not in keys]
            if unknown or not self.values:
                raise RuleError(
                    f"predicted genre rule needs {TAXONOMIES[model].title} genre keys, not {unknown or 'nothing'}"
                )
        if self.field == "tag":
            if not self.values:
                raise RuleError("a tag rule needs at least one tag (msd:TAG or mtt:TAG)")
            for value in self.values:
                tag_column(value)
            if self.minimum is None or not 0 <= self.minimum <= 1:
                raise RuleError(f"a tag rule needs a minimum probability between 0 and 1, not {self.minimum!r}")
        if self.field == "similar":
            if len(self.values) != 1 or not self.values[0].isdigit():
                raise RuleError(f"a similar rule needs one track id, not {list(self.values)}")
            if self.minimum is None or not -1 <= self.minimum <= 1:
                raise RuleError(f"a similar rule needs a minimum similarity between -1 and 1, not {self.minimum!r}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise RuleError(f"{self.field}: minimum {self.minimum} is above maximum {self.maximum}")


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RuleError(f"{value!r} is not a number") from None


@dataclass(frozen=True)
class SmartRules:
    """A smart playlist's definition, as stored in ``playlists.rules``."""

    rules: tuple[Rule, ...] = ()
    match: Match = "all"
    order: PlaylistOrder = "artist"
    descending: bool = False
    limit: int | None = None
    available_only: bool = False
    """Leave out missing files whatever the rules say (exports skip them anyway)."""
    model: str = LEGACY_MODEL
    """Whose genres ``predicted``, ``confidence`` and the genre orders mean: ``broad-genre`` or ``ccmusic``."""

    def __post_init__(self) -> None:
        if self.model not in TAXONOMIES or not TAXONOMIES[self.model].is_genre:
            raise RuleError(f"unknown genre model {self.model!r} (known: broad-genre, ccmusic, my-genres)")
        for rule in self.rules:
            rule.check(self.model)

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "rules": [rule.to_json() for rule in self.rules],
            "order": self.order,
            "descending": self.descending,
            "limit": self.limit,
            "available_only": self.available_only,
            "model": self.model,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SmartRules:
        match, order, limit = data.get("match", "all"), data.get("order", "artist"), data.get("limit")
        if match not in ("all", "any"):
            raise RuleError(f"match must be 'all' or 'any', not {match!r}")
        if order not in ORDERS:
            raise RuleError(f"unknown order {order!r} (known: {', '.join(ORDERS)})")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise RuleError(f"limit must be a whole number ≥ 0, not {limit!r}")
        return cls(
            rules=tuple(Rule.from_json(rule) for rule in data.get("rules", ())),
            match=match,
            order=order,
            descending=bool(data.get("descending", False)),
            limit=limit,
            available_only=bool(data.get("available_only", False)),
            model=str(data.get("model", LEGACY_MODEL)),
        )


def genre_rules(
    genre_key: str, min_confidence: float, order: PlaylistOrder = "confidence", model: str = LEGACY_MODEL
) -> SmartRules:
    """The rules of a genre playlist: ``model``'s top-1 is the genre with at least this confidence."""
    rules = [Rule("predicted", values=(genre_key,))]
    if min_confidence > 0:
        rules.append(Rule("confidence", minimum=min_confidence))
    return SmartRules(tuple(rules), "all", order, descending=order == "confidence", model=model)


def _range(column: ColumnElement[Any], rule: Rule) -> ColumnElement[bool]:
    parts = []
    if rule.minimum is not None:
        parts.append(column >= rule.minimum)
    if rule.maximum is not None:
        parts.append(column <= rule.maximum)
    return and_(column.is_not(None), *parts) if parts else true()


def _tag_condition(rule: Rule, models: ModelIds) -> ColumnElement[bool]:
    """Any of the rule's tags has at least ``minimum`` probability in the current tagger's analysis."""
    tagged = analyses.alias("tagged")
    conditions = []
    for value in rule.values:
        model, index = tag_column(value)
        if model not in models:
            continue  # the tagger has analysed nothing yet
        probability = json_number(tagged.c.probabilities, index)
        conditions.append(
            exists().where(
                tagged.c.track_id == tracks.c.id, tagged.c.model_id == models[model], probability >= rule.minimum
            )
        )
    return or_(*conditions) if conditions else false()


def _similar_condition(conn: Connection | None, rule: Rule, models: ModelIds) -> ColumnElement[bool]:
    """The track is at least ``minimum`` similar to the rule's track (which it never includes)."""
    model_id = models.get(EMBEDDING_MODEL)
    if conn is None or model_id is None:
        return false()
    index = index_for(conn, model_id)
    track_id = int(rule.values[0])
    if track_id not in index:
        return false()  # the track is gone or not analysed yet: nothing is like it
    assert rule.minimum is not None
    return id_in(conn, tracks.c.id, [n.track_id for n in index.above(track_id, rule.minimum)])


def rule_condition(
    rule: Rule,
    model_id: int | None,
    models: ModelIds | None = None,
    taxonomy: str = LEGACY_MODEL,
    conn: Connection | None = None,
) -> ColumnElement[bool]:
    """The rule as a condition on tracks joined with `with_analysis(…, model_id)` (the analyses of
    ``taxonomy``'s model); ``models`` for tag and similar rules, ``conn`` for similar rules."""
    if rule.field == "tag":
        return _tag_condition(rule, models or {})
    if rule.field == "similar":
        return _similar_condition(conn, rule, models or {})
    if rule.field == "predicted":
        return analyses.c.top1.in_(rule.values) if model_id is not None else false()
    if rule.field == "confidence":
        return _range(analyses.c.confidence, rule) if model_id is not None else false()
    if rule.field == "tag_genre":
        names = [v.casefold() for v in rule.values]
        return exists().where(tag_genres.c.track_id == tracks.c.id, func.lower(tag_genres.c.name).in_(names))
    if rule.field in ("artist", "album"):
        return contains(tracks.c[rule.field], rule.text)
    if rule.field in ("year", "duration"):
        return _range(tracks.c[rule.field], rule)
    if rule.field == "text":
        return search_condition(parse_search(rule.text), model_id, taxonomy)
    return tracks.c.available.is_(rule.flag)


def _order_by(order: PlaylistOrder, descending: bool, model_id: int | None) -> list[ColumnElement[Any]]:
    """Sort expressions, missing values last, ties broken by id so the order is stable."""

    def by_name(name: str) -> ColumnElement[Any]:
        return nocase(tracks.c[name])

    if order == "album_order":
        keys = [
            nocase(func.coalesce(tracks.c.album_artist, tracks.c.artist)),
            by_name("album"),
            tracks.c.disc_number,
            tracks.c.track_number,
            by_name("title"),
        ]
    elif order in ("confidence", "predicted"):
        keys = [analyses.c.confidence if order == "confidence" else analyses.c.top1] if model_id is not None else []
    elif order == "added":
        keys = [tracks.c.added_at]
    elif order in ("year", "duration"):
        keys = [tracks.c[order]]
    else:
        keys = [by_name(order)]
    result: list[ColumnElement[Any]] = []
    for key in keys:
        result += [key.is_(None), key.desc() if descending else key.asc()]
    return [*result, tracks.c.id.desc() if descending else tracks.c.id.asc()]


def evaluate(conn: Connection, rules: SmartRules, models: ModelIds) -> list[int]:
    """The ids of the tracks these rules select, in their order, at most ``limit`` of them."""
    model_id = models.get(rules.model)
    conditions = [rule_condition(rule, model_id, models, rules.model, conn) for rule in rules.rules]
    combined = (and_ if rules.match == "all" else or_)(*conditions) if conditions else true()
    query = with_analysis(select(tracks.c.id), model_id).where(combined)
    if rules.available_only:
        query = query.where(tracks.c.available.is_(True))
    query = query.order_by(*_order_by(rules.order, rules.descending, model_id))
    if rules.limit is not None:
        query = query.limit(rules.limit)
    return list(conn.execute(query).scalars())
