"""Broad genres: one documented table from the two taggers' tags to genres a person recognises.

The CCMusic classes are pop sub-genres and four classical forms; the taggers' tags mix genres
with moods, decades and instruments. A broad genre is what a music library is sorted by.

How a broad genre's probability is derived (`derive`): it is the highest probability among the
tags that stand for it in `BROAD_GENRES`, from either tagger (``msd:rock``, ``mtt:rock``). Tags are
independent sigmoid outputs, so broad genres do not sum to one either: "Rock 0.62" means the
tagger gave "rock" (or a tag listed under Rock) 0.62. `evidence` names the tag that decided each
genre, so every figure the window shows can say where it came from. The same rule applies per
3 s patch (for the timeline) and to the song-level tag probabilities (the mean over the patches,
as the original tagger computes them); the song's broad genres come from the latter.

Tags that are not genres (moods, decades, voice, instruments) stay visible as raw tags.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from desktop_app.genres.musicnn_tags import TAGGER_TAGS

BROAD_MODEL = "broad-genre"
"""The name of the derived model under which broad genres are stored and chosen."""

SOURCE_PREFIX = {"musicnn-msd": "msd", "musicnn-mtt": "mtt"}


@dataclass(frozen=True)
class BroadGenre:
    key: str
    display_name: str
    tags: tuple[str, ...]
    """``msd:<tag>`` or ``mtt:<tag>``: the taggers' tags that stand for this genre."""


BROAD_GENRES: tuple[BroadGenre, ...] = (
    BroadGenre(
        "Rock",
        "Rock",
        (
            "msd:rock",
            "msd:alternative rock",
            "msd:classic rock",
            "msd:indie rock",
            "msd:hard rock",
            "msd:Progressive rock",
            "mtt:rock",
        ),
    ),
    BroadGenre("Metal", "Metal", ("msd:metal", "msd:heavy metal", "mtt:metal")),
    BroadGenre("Punk", "Punk", ("msd:punk",)),
    BroadGenre("Pop", "Pop", ("msd:pop", "msd:indie pop", "mtt:pop")),
    BroadGenre("Electronic", "Electronic", ("msd:electronic", "msd:electronica", "msd:electro", "mtt:electronic")),
    BroadGenre("Dance", "Dance", ("msd:dance", "msd:House", "mtt:dance", "mtt:techno")),
    BroadGenre("Hip_hop", "Hip-hop", ("msd:Hip-Hop",)),
    BroadGenre("RnB_soul", "R&B / Soul", ("msd:soul", "msd:rnb")),
    BroadGenre("Funk", "Funk", ("msd:funk",)),
    BroadGenre("Jazz", "Jazz", ("msd:jazz",)),
    BroadGenre("Blues", "Blues", ("msd:blues",)),
    BroadGenre("Country", "Country", ("msd:country", "mtt:country")),
    BroadGenre("Folk", "Folk", ("msd:folk",)),
    BroadGenre("Classical", "Classical", ("mtt:classical", "mtt:opera", "mtt:choral")),
    BroadGenre("Ambient_new_age", "Ambient / New age", ("msd:ambient", "mtt:ambient", "mtt:new age")),
    BroadGenre("Easy_listening", "Easy listening", ("msd:easy listening",)),
    BroadGenre("Experimental", "Experimental", ("msd:experimental",)),
    BroadGenre("Indian", "Indian", ("mtt:indian", "mtt:sitar")),
)
BROAD_KEYS: tuple[str, ...] = tuple(g.key for g in BROAD_GENRES)
BROAD_TAGGERS: tuple[str, ...] = tuple(SOURCE_PREFIX)
"""The taggers a broad genre is derived from; both run on the same patches."""


def _column(source: str) -> tuple[str, int]:
    prefix, tag = source.split(":", 1)
    model = next(name for name, p in SOURCE_PREFIX.items() if p == prefix)
    return model, TAGGER_TAGS[model].index(tag)


_SOURCES: tuple[tuple[tuple[str, int], ...], ...] = tuple(
    tuple(_column(tag) for tag in genre.tags) for genre in BROAD_GENRES
)
GENRE_TAG_INDICES: dict[str, tuple[int, ...]] = {
    model: tuple(sorted({index for sources in _SOURCES for m, index in sources if m == model}))
    for model in SOURCE_PREFIX
}
"""For each tagger, the indices of its tags that stand for a genre (its "top-1 genre" is the best
of these; the others are moods, decades, voice and instruments)."""


def table_sha256(tagger_sha256: Mapping[str, str]) -> str:
    """The derived model's identity: this table and the weights of the taggers it reads."""
    table = [[g.key, g.display_name, list(g.tags)] for g in BROAD_GENRES]
    blob = json.dumps({"table": table, "taggers": dict(sorted(tagger_sha256.items()))}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def derive(tag_probs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Broad-genre probabilities from each tagger's tag probabilities.

    ``tag_probs[model]`` is [..., 50] (a song's mean, or [patches, 50]); the result is
    [..., len(BROAD_GENRES)] float32 in `BROAD_GENRES` order.
    """
    missing = [m for m in BROAD_TAGGERS if m not in tag_probs]
    if missing:
        raise ValueError(f"broad genres need every tagger's tags; missing {missing}")
    columns = [
        np.max(np.stack([np.asarray(tag_probs[model])[..., index] for model, index in sources]), axis=0)
        for sources in _SOURCES
    ]
    return np.stack(columns, axis=-1).astype(np.float32)


def evidence(tag_probs: Mapping[str, np.ndarray]) -> dict[str, tuple[str, float]]:
    """For each broad genre of a song, the tag (``msd:rock``) that gave it its probability."""
    found: dict[str, tuple[str, float]] = {}
    for genre, sources in zip(BROAD_GENRES, _SOURCES):
        values = [float(np.asarray(tag_probs[model])[index]) for model, index in sources]
        best = int(np.argmax(values))
        found[genre.key] = (genre.tags[best], values[best])
    return found
