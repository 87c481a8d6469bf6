"""From per-window probabilities to one song-level result.

Genrescope shows more than the reference's single majority-vote label: the Top-5 of the mean of
the windows' softmax probabilities, the majority vote (kept for parity with the reference demo),
and every window's probabilities for a genre timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.genres.ccmusic import GENRES, NUM_CLASSES, Genre
from desktop_app.inference.identity import ModelIdentity

TOP_K = 5


@dataclass(frozen=True)
class GenreScore:
    key: str
    display_name: str
    probability: float


@dataclass(frozen=True, eq=False)
class SongPrediction:
    """A song's genres and the weights that produced them.

    top5: from the mean of the windows' probabilities, best first.
    majority: the reference demo's label, the most common per-window argmax; ties go to the tied
    class with the highest mean probability, then to the lower class index.
    votes: how many windows voted for each class, in class order.
    mean_probs: the mean of the windows' probabilities, in class order.
    window_probs: [n_windows, 16] float32, read-only.
    """

    model: ModelIdentity
    top5: tuple[GenreScore, ...]
    majority: Genre
    votes: tuple[int, ...]
    mean_probs: tuple[float, ...]
    window_probs: np.ndarray

    @property
    def top1(self) -> GenreScore:
        return self.top5[0]

    @property
    def confidence(self) -> float:
        return self.top5[0].probability

    @property
    def n_windows(self) -> int:
        return int(self.window_probs.shape[0])


def summarize(window_probs: np.ndarray, *, model: ModelIdentity) -> SongPrediction:
    """Summarize ``window_probs`` [n_windows, 16] (softmax rows) produced by ``model``."""
    probs = np.array(window_probs, dtype=np.float32)
    if probs.ndim != 2 or probs.shape[1] != NUM_CLASSES:
        raise ValueError(f"window_probs must be [n_windows, {NUM_CLASSES}], got {probs.shape}")
    if probs.shape[0] == 0:
        raise ValueError("a song needs at least one window to be summarized")
    probs.setflags(write=False)
    mean = probs.mean(axis=0, dtype=np.float64)
    # Stable sort on -mean: equal probabilities keep class order.
    order = np.argsort(-mean, kind="stable")[:TOP_K]
    top5 = tuple(GenreScore(GENRES[i].key, GENRES[i].display_name, float(mean[i])) for i in order)
    votes = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES)
    tied = np.flatnonzero(votes == votes.max())
    majority = GENRES[int(tied[np.argmax(mean[tied])])]  # argmax takes the first of equal means
    return SongPrediction(
        model=model,
        top5=top5,
        majority=majority,
        votes=tuple(int(v) for v in votes),
        mean_probs=tuple(float(p) for p in mean),
        window_probs=probs,
    )
