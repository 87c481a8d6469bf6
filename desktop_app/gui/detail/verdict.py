"""What the detail panel says about an analysis row, as plain data (no Qt).

The panel receives the analysis as a dict of the ``analyses`` columns plus ``model_label`` and
``model_origin``. These helpers turn it into the Top-5, the majority vote and the genre timeline,
so the widgets only draw and the rules are tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop_app.genres.ccmusic import GENRES, NUM_CLASSES

TOP_K = 5
TEST_ORIGIN = "test"


@dataclass(frozen=True)
class GenreShare:
    key: str
    display_name: str
    probability: float


@dataclass(frozen=True)
class WindowBand:
    """One analysis window on the time axis, labelled with the genre it voted for."""

    index: int
    start: float
    end: float
    genre: GenreShare


@dataclass(frozen=True)
class Timeline:
    """The bands to draw, or why there are none (``note``)."""

    bands: tuple[WindowBand, ...]
    note: str | None = None
    test_model: bool = False


def has_prediction(analysis: Mapping[str, Any] | None) -> bool:
    """True when the row holds probabilities (not missing, not an error row)."""
    return bool(analysis) and not analysis.get("error") and _valid(analysis.get("probabilities"))


def is_test_model(analysis: Mapping[str, Any] | None) -> bool:
    return bool(analysis) and analysis.get("model_origin") == TEST_ORIGIN


def top_genres(probabilities: Sequence[float], k: int = TOP_K) -> list[GenreShare]:
    """The ``k`` most probable genres, best first; equal probabilities keep class order."""
    order = sorted(range(NUM_CLASSES), key=lambda i: -probabilities[i])
    return [_share(i, probabilities[i]) for i in order[:k]]


def vote_count(window_probabilities: Sequence[Sequence[float]] | None, key: str) -> tuple[int, int] | None:
    """(windows whose top genre is ``key``, windows), to explain the stored majority; None if unknown."""
    rows = [w for w in window_probabilities or [] if _valid(w)]
    if not rows:
        return None
    index = next((g.index for g in GENRES if g.key == key), None)
    if index is None:
        return None
    return sum(1 for row in rows if _argmax(row) == index), len(rows)


def timeline(analysis: Mapping[str, Any] | None, bounds: Sequence[tuple[float, float]]) -> Timeline:
    """Bands for each window at ``bounds`` (seconds, from the audio's own window layout).

    The bands are only drawn when the stored windows match the file's layout one to one: a
    mismatch means the file changed since it was analysed, and misplaced bands would mislead.
    """
    if not has_prediction(analysis):
        return Timeline(())
    rows = analysis.get("window_probabilities") or []
    if not rows or not all(_valid(r) for r in rows):
        return Timeline((), "no per-window probabilities stored")
    if len(rows) != len(bounds):
        return Timeline(
            (),
            f"the analysis has {len(rows)} windows but the file now has {len(bounds)}: "
            "re-analyse it to see the genre timeline",
        )
    bands = tuple(
        WindowBand(i, start, end, _share(_argmax(row), row[_argmax(row)]))
        for i, (row, (start, end)) in enumerate(zip(rows, bounds))
    )
    return Timeline(bands, test_model=is_test_model(analysis))


def band_at(bands: Sequence[WindowBand], seconds: float) -> WindowBand | None:
    for band in bands:
        if band.start <= seconds < band.end:
            return band
    return None


def genre_display_name(key: str | None) -> str:
    for genre in GENRES:
        if genre.key == key:
            return genre.display_name
    return key or "?"


def _share(index: int, probability: float) -> GenreShare:
    genre = GENRES[index]
    return GenreShare(genre.key, genre.display_name, float(probability))


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def _valid(values: object) -> bool:
    return isinstance(values, Sequence) and len(values) == NUM_CLASSES
