"""Splitting the genre tags people actually write ("Rock; Pop", "Rock/Metal", "Jazz, Blues")."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"\s*(?:;|/|\||,|\x00)\s*")


def split_genres(values: Iterable[str]) -> list[str]:
    """Every distinct genre in the given tag values, in order of first appearance.

    Duplicates differing only in case collapse to the first spelling seen.
    """
    seen: dict[str, str] = {}
    for value in values:
        for part in _SEPARATORS.split(value.strip()):
            if part and part.lower() not in seen:
                seen[part.lower()] = part
    return list(seen.values())
