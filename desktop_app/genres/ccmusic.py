"""The 16 CCMusic genres in the network's output order.

The order is the checkpoint's contract: output index ``i`` means ``GENRES[i]``. Keys are the
dataset's own labels (stored in the library and in manifests); display names are what the user
reads. This module must stay free of torch so that the library, playlists and the CLI can use it
without loading the model stack.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

CoarseGroup = Literal["Classical", "Popular"]


@dataclass(frozen=True)
class Genre:
    index: int
    key: str
    display_name: str
    group: CoarseGroup


def _genre(index: int, key: str, display_name: str) -> Genre:
    # The dataset's coarse split: indices 0-3 are Classical, 4-15 Popular.
    return Genre(index, key, display_name, "Classical" if index <= 3 else "Popular")


GENRES: tuple[Genre, ...] = tuple(
    _genre(i, key, name)
    for i, (key, name) in enumerate(
        [
            ("Symphony", "Symphony"),
            ("Opera", "Opera"),
            ("Solo", "Solo"),
            ("Chamber", "Chamber"),
            ("Pop_vocal_ballad", "Pop vocal ballad"),
            ("Adult_contemporary", "Adult contemporary"),
            ("Teen_pop", "Teen pop"),
            ("Contemporary_dance_pop", "Contemporary dance pop"),
            ("Dance_pop", "Dance pop"),
            ("Classic_indie_pop", "Classic indie pop"),
            ("Chamber_cabaret_and_art_pop", "Chamber cabaret & art pop"),
            ("Soul_or_r_and_b", "Soul / R&B"),
            ("Adult_alternative_rock", "Adult alternative rock"),
            ("Uplifting_anthemic_rock", "Uplifting anthemic rock"),
            ("Soft_rock", "Soft rock"),
            ("Acoustic_pop", "Acoustic pop"),
        ]
    )
)
NUM_CLASSES = len(GENRES)
GENRE_KEYS: tuple[str, ...] = tuple(g.key for g in GENRES)
COARSE_GROUPS: tuple[CoarseGroup, ...] = ("Classical", "Popular")


class UnknownGenreError(ValueError):
    """The text names none of the 16 genres; the message suggests close matches."""


def _normalize(text: str) -> str:
    # "Soft_rock", "soft rock" and "  SOFT  ROCK " all mean the same genre.
    return " ".join(text.replace("_", " ").casefold().split())


_BY_NAME: dict[str, Genre] = {}
for _g in GENRES:
    for _name in (_g.key, _g.display_name):
        _BY_NAME[_normalize(_name)] = _g


def genre_from_user(text: str) -> Genre:
    """The genre whose key or display name matches ``text``, ignoring case, '_' vs ' ' and spacing."""
    found = _BY_NAME.get(_normalize(text))
    if found is not None:
        return found
    close = difflib.get_close_matches(_normalize(text), list(_BY_NAME), n=3, cutoff=0.6)
    suggestions = dict.fromkeys(_BY_NAME[c].display_name for c in close)
    hint = f" Did you mean: {', '.join(map(repr, suggestions))}?" if suggestions else ""
    raise UnknownGenreError(
        f"Unknown genre {text!r}.{hint} Known genres: {', '.join(g.display_name for g in GENRES)}."
    )
