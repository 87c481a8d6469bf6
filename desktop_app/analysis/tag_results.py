"""The built-in tagger's verdict on one song, and its stored form: three analyses per track.

One tagger pass gives each track three rows in the library: the MSD tags (``musicnn-msd``), the
MTT tags (``musicnn-mtt``) and the broad genres derived from both (``broad-genre``, see
`genres.broad`). A tagger's row keeps every tag's song-level probability; its top-1 is its best
*genre* tag (moods, decades and instruments are not genres). The broad-genre row keeps the
per-patch broad genres too, for the timeline under the spectrogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_app.audio.prepare import TaggerInputs
from desktop_app.genres import broad
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.inference.identity import ModelIdentity
from desktop_app.inference.tagger import TAGGERS, SongTags, Tagger, song_tags, split
from desktop_app.library.analyses import AnalysisRecord

TOP_K = 5


@dataclass(frozen=True)
class BroadScore:
    key: str
    display_name: str
    probability: float
    evidence: str
    """The tag that gave the probability, ``msd:rock``."""


@dataclass(frozen=True)
class BroadGenres:
    """A song's broad genres: every genre's probability (in `broad.BROAD_GENRES` order), the Top-5
    with the tag behind each, and each patch's broad genres for the timeline."""

    sha256: str
    probabilities: tuple[float, ...]
    top5: tuple[BroadScore, ...]
    patch_probabilities: np.ndarray
    majority: str


@dataclass(frozen=True)
class TaggerVerdict:
    tags: dict[str, SongTags]
    broad: BroadGenres
    embeddings: dict[str, np.ndarray]
    """Each tagger's song embedding: the mean over the patches of its penultimate layer, [200]."""


def broad_sha256(identities: dict[str, ModelIdentity]) -> str:
    return broad.table_sha256({name: identities[name].sha256 for name in TAGGERS})


def verdict(patch_outputs: np.ndarray, tagger: Tagger) -> TaggerVerdict:
    """Song tags, broad genres and embeddings from `Tagger.predict`'s output for one song."""
    outputs = split(patch_outputs)
    per_model = outputs.probabilities
    tags = {name: song_tags(per_model[name], tagger.identities[name]) for name in TAGGERS}
    means = {name: np.asarray(tags[name].probabilities) for name in TAGGERS}
    song = broad.derive(means)
    why = broad.evidence(means)
    order = np.argsort(-song, kind="stable")[:TOP_K]
    genres = broad.BROAD_GENRES
    per_patch = broad.derive(per_model)
    votes = np.bincount(per_patch.argmax(axis=1), minlength=len(genres))
    tied = np.flatnonzero(votes == votes.max())
    return TaggerVerdict(
        tags=tags,
        broad=BroadGenres(
            sha256=broad_sha256(tagger.identities),
            probabilities=tuple(float(p) for p in song),
            top5=tuple(
                BroadScore(genres[i].key, genres[i].display_name, float(song[i]), why[genres[i].key][0]) for i in order
            ),
            patch_probabilities=per_patch,
            majority=genres[int(tied[np.argmax(song[tied])])].key,
        ),
        embeddings={
            name: outputs.embeddings[name].mean(axis=0, dtype=np.float64).astype(np.float32) for name in TAGGERS
        },
    )


def records(
    result: TaggerVerdict | None,
    prepared: TaggerInputs | None,
    *,
    device: str,
    seconds: float,
    precision: str | None = None,
    error: str | None = None,
) -> dict[str, AnalysisRecord]:
    """The rows to store, by model name (``musicnn-msd``, ``musicnn-mtt``, ``broad-genre``)."""
    names = (*TAGGERS, broad.BROAD_MODEL)
    if result is None or prepared is None:
        return {name: AnalysisRecord(error=error or "no result", device=device, seconds=seconds) for name in names}
    flags: dict[str, Any] = {
        "short_clip": prepared.short_clip,
        "silent": prepared.silent,
        "device": device,
        "precision": precision,
        "seconds": seconds,
    }
    stored: dict[str, AnalysisRecord] = {}
    for name in TAGGERS:
        song = result.tags[name]
        genre_indices = broad.GENRE_TAG_INDICES[name]
        best = max(genre_indices, key=lambda i: (song.probabilities[i], -i))
        stored[name] = AnalysisRecord(
            top1=TAGGER_TAGS[name][best],
            confidence=song.probabilities[best],
            probabilities=[round(p, 6) for p in song.probabilities],
            window_count=song.patches,
            **flags,
        )
    genres = result.broad
    stored[broad.BROAD_MODEL] = AnalysisRecord(
        top1=genres.top5[0].key,
        confidence=genres.top5[0].probability,
        majority=genres.majority,
        probabilities=[round(p, 6) for p in genres.probabilities],
        window_probabilities=[[round(float(p), 4) for p in row] for row in genres.patch_probabilities],
        window_count=len(genres.patch_probabilities),
        **flags,
    )
    return stored
