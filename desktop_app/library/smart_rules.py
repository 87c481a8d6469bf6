"""Smart-playlist rules: what they mean, how they are stored (JSON) and how they become SQL.

A rule set is a list of conditions joined by AND ("all") or OR ("any"), plus a sort and an
optional limit. Conditions reuse the window's query pieces (`browse`): free text is the search
box's language, predicted genres come from the current model's analyses, so a smart playlist
shows exactly what the same filter shows in the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Connection, and_, exists, false, func, or_, select, true

from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.library.browse import contains, search_condition, with_analysis
from desktop_app.library.models import Analysis, TagGenre, Track
from desktop_app.library.search import parse_search

tracks = Track.__table__
tag_genres = TagGenre.__table__
analyses = Analysis.__table__

RuleField = Literal["predicted", "confidence", "tag_genre", "artist", "album", "year", "duration", "text",
                    "available"]
RULE_FIELDS: tuple[RuleField, ...] = get_args(RuleField)
PlaylistOrder = Literal["confidence", "album_order", "artist", "album", "title", "year", "duration", "added",
                        "predicted"]
ORDERS: tuple[PlaylistOrder, ...] = get_args(PlaylistOrder)
ORDER_LABELS: dict[PlaylistOrder, str] = {
    "confidence": "Confidence", "album_order": "Artist, album, track number", "artist": "Artist",
    "album": "Album", "title": "Title", "year": "Year", "duration": "Duration", "added": "Date added",
    "predicted": "Predicted genre",
}
Match = Literal["all", "any"]


class RuleError(ValueError):
    """Stored or typed rules that do not make sense; the message says which part."""


@dataclass(frozen=True)
class Rule:
    """One condition on a track.

    ``predicted`` and ``tag_genre`` use ``values`` (any of them matches); ``artist``, ``album`` and
    ``text`` use ``text`` (contains; ``text`` is the search box's language); ``confidence``,
    ``year`` and ``duration`` (seconds) use ``minimum``/``maximum`` (inclusive, either may be
    None); ``available`` uses ``flag`` (True: the file is there, False: it is missing).
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
        rule.check()
        return rule

    def check(self) -> None:
        if self.field == "predicted":
            unknown = [v for v in self.values if v not in GENRE_KEYS]
            if unknown or not self.values:
                raise RuleError(f"predicted genre rule needs genre keys, not {unknown or 'nothing'}")
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

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "rules": [rule.to_json() for rule in self.rules],
            "order": self.order,
            "descending": self.descending,
            "limit": self.limit,
            "available_only": self.available_only,
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
        )


def genre_rules(genre_key: str, min_confidence: float, order: PlaylistOrder = "confidence") -> SmartRules:
    """The rules of a genre playlist: top-1 is the genre with at least this confidence."""
    rules = [Rule("predicted", values=(genre_key,))]
    if min_confidence > 0:
        rules.append(Rule("confidence", minimum=min_confidence))
    return SmartRules(tuple(rules), "all", order, descending=order == "confidence")


def _range(column: ColumnElement[Any], rule: Rule) -> ColumnElement[bool]:
    parts = []
    if rule.minimum is not None:
        parts.append(column >= rule.minimum)
    if rule.maximum is not None:
        parts.append(column <= rule.maximum)
    return and_(column.is_not(None), *parts) if parts else true()


def rule_condition(rule: Rule, model_id: int | None) -> ColumnElement[bool]:
    """The rule as a condition on tracks joined with `with_analysis(…, model_id)`."""
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
        return search_condition(parse_search(rule.text), model_id)
    return tracks.c.available.is_(rule.flag)


def _order_by(order: PlaylistOrder, descending: bool, model_id: int | None) -> list[ColumnElement[Any]]:
    """Sort expressions, missing values last, ties broken by id so the order is stable."""
    def nocase(name: str) -> ColumnElement[Any]:
        return tracks.c[name].collate("NOCASE")

    if order == "album_order":
        keys = [func.coalesce(tracks.c.album_artist, tracks.c.artist).collate("NOCASE"), nocase("album"),
                tracks.c.disc_number, tracks.c.track_number, nocase("title")]
    elif order in ("confidence", "predicted"):
        keys = [analyses.c.confidence if order == "confidence" else analyses.c.top1] if model_id is not None else []
    elif order == "added":
        keys = [tracks.c.added_at]
    elif order in ("year", "duration"):
        keys = [tracks.c[order]]
    else:
        keys = [nocase(order)]
    result: list[ColumnElement[Any]] = []
    for key in keys:
        result += [key.is_(None), key.desc() if descending else key.asc()]
    return [*result, tracks.c.id.desc() if descending else tracks.c.id.asc()]


def evaluate(conn: Connection, rules: SmartRules, model_id: int | None) -> list[int]:
    """The ids of the tracks these rules select, in their order, at most ``limit`` of them."""
    conditions = [rule_condition(rule, model_id) for rule in rules.rules]
    combined = (and_ if rules.match == "all" else or_)(*conditions) if conditions else true()
    query = with_analysis(select(tracks.c.id), model_id).where(combined)
    if rules.available_only:
        query = query.where(tracks.c.available.is_(True))
    query = query.order_by(*_order_by(rules.order, rules.descending, model_id))
    if rules.limit is not None:
        query = query.limit(rules.limit)
    return list(conn.execute(query).scalars())
