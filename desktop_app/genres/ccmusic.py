"""The 16 CCMusic genres in the network's output order.

The order is the checkpoint's contract: output index ``i`` means ``GENRES[i]``. Keys are the
dataset's own labels (stored in the library and in manifests); display names are what the user
reads (`genres.taxonomy.CCMUSIC` finds one from what a person types). This module must stay free of
torch so that the library, playlists and the CLI can use it without loading the model stack.
"""

from __future__ import annotations

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
