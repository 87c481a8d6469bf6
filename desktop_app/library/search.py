"""The search box's little language: free words plus ``field:value`` filters.

``artist:"Miles Davis" year:1959 blue`` means: artist contains "Miles Davis", year is 1959, and
"blue" appears in the title, artist, album or path. Parsing is kept apart from SQL and from Qt so
it can be tested on its own and reused by the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEXT_FIELDS: tuple[str, ...] = ("artist", "album", "genre", "predicted", "title")
FIELDS: tuple[str, ...] = (*TEXT_FIELDS, "year")

_TOKEN = re.compile(r'(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))')
_YEAR = re.compile(r"^\s*(?P<low>\d{1,4})?\s*(?P<dash>-|\.\.)?\s*(?P<high>\d{1,4})?\s*$")


@dataclass(frozen=True)
class YearRange:
    low: int | None
    high: int | None


@dataclass(frozen=True)
class SearchQuery:
    """What the user typed, split into words that match anywhere and per-field conditions.

    Every condition must hold (AND). ``fields`` maps a text field to the substrings it must all
    contain; ``years`` are ranges the year must fall in; ``problems`` explains ignored parts.
    """

    words: tuple[str, ...] = ()
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    years: tuple[YearRange, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.fields or self.years)


def _parse_year(value: str) -> YearRange | None:
    """``1999``, ``1990-1999``, ``1990..1999``, ``1990-`` (from) or ``-1999`` (until)."""
    match = _YEAR.match(value)
    if not match or not (match["low"] or match["high"]):
        return None
    low = int(match["low"]) if match["low"] else None
    high = int(match["high"]) if match["high"] else None
    if not match["dash"]:
        return YearRange(low, low)
    return YearRange(low, high)


def parse_search(text: str) -> SearchQuery:
    """Parse the search box; unknown ``field:`` prefixes are searched as plain words."""
    words: list[str] = []
    fields: dict[str, list[str]] = {}
    years: list[YearRange] = []
    problems: list[str] = []
    for match in _TOKEN.finditer(text):
        name = (match["field"] or "").lower()
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        value = (value or "").strip()
        if name and name not in FIELDS:
            value = f"{match['field']}:{value}"
            name = ""
        if not value or (not name and value.endswith(":") and value[:-1].lower() in FIELDS):
            continue  # an empty value, or a field name still being typed
        if name == "year":
            year = _parse_year(value)
            if year is None:
                problems.append(f"year:{value} is not a year or a range like 1990-1999")
            else:
                years.append(year)
        elif name:
            fields.setdefault(name, []).append(value)
        else:
            words.append(value)
    return SearchQuery(
        words=tuple(words),
        fields={name: tuple(values) for name, values in fields.items()},
        years=tuple(years),
        problems=tuple(problems),
    )
