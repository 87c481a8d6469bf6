"""What the detail panel says about a track's analyses, as plain data (no Qt).

The panel receives the track as a `TrackDetail` and each analysis as a `StoredAnalysis` (the stored
record plus the model's name, label and origin). These helpers turn the rows of the two genre models
(``broad-genre``, ``ccmusic``) into their Top-5, majority vote and genre timeline, so the widgets
only draw and the rules are tested on their own. The taggers' own rows feed the broad genres'
evidence and the tags line (`tag_line`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.audio.mel import HOP_LENGTH as PATCH_HOP
from desktop_app.audio.mel import PATCH_FRAMES, PATCH_SECONDS
from desktop_app.audio.mel import SAMPLE_RATE as PATCH_RATE
from desktop_app.genres import broad
from desktop_app.genres.taxonomy import MY_GENRES_MODEL, TAXONOMIES, Taxonomy
from desktop_app.library.analyses import StoredAnalysis
from desktop_app.library.browse import TrackDetail

TOP_K = 5
TEST_ORIGIN = "test"
CCMUSIC = "ccmusic"
BROAD = broad.BROAD_MODEL
DEFAULT_THRESHOLDS: dict[str, float] = {name: TAXONOMIES[name].low_confidence for name in (BROAD, CCMUSIC)}
"""Top-1 probability under which each model's headline says "Low confidence", until the window
says otherwise (each taxonomy has its own setting): lower for broad genres, because a broad genre
is one sigmoid tag output, not a share of a softmax, and 0.3 for "rock" is a clear rock song."""
DURATION_TOLERANCE = 0.001
"""Seconds the file's duration may differ from the analysed audio's (resampling rounds the sample
count) before a different number of 3 s patches counts as a changed file."""


@dataclass(frozen=True)
class GenreModel:
    """How the panel names a genre model and the pieces it cuts a song into."""

    name: str
    heading: str
    """Above its Top-5: which network this is."""
    lane: str
    """The timeline lane's label on the spectrogram's left axis (short)."""
    unit: str
    """What one timeline band is: "window" or "patch"."""
    units: str
    span: str
    """How long one is, as read: "11.4 s", "3 s"."""
    short_clip: str
    """What a clip shorter than one unit means for this model's verdict."""
    timeline: str
    """What its timeline is called in the legend."""


GENRE_MODELS: dict[str, GenreModel] = {
    BROAD: GenreModel(
        BROAD,
        "Broad genre — MusiCNN",
        "broad",
        "patch",
        "patches",
        "3 s",
        "Short clip (under 3 s): the tagger heard it repeated to fill one patch, less reliable.",
        "Broad genre per 3 s patch",
    ),
    CCMUSIC: GenreModel(
        CCMUSIC,
        "CCMusic VGG19_BN",
        "CCMusic",
        "window",
        "windows",
        "11.4 s",
        "Short clip (under 11.4 s): analysed as one stretched window, less reliable.",
        "CCMusic windows (11.4 s)",
    ),
}
"""The two genre models the panel shows, broad genres first (always available)."""
ORIGIN_WORDS = {"builtin": "built-in", "test": "TEST weights", "imported": "imported", "file": "file"}
"""How a heading says where the weights came from; downloaded (``hub``) is the normal case: unsaid."""


@dataclass(frozen=True)
class GenreShare:
    key: str
    display_name: str
    probability: float


@dataclass(frozen=True)
class WindowBand:
    """One analysis window (or tagger patch) on the time axis, labelled with its top genre."""

    index: int
    start: float
    end: float
    genre: GenreShare


@dataclass(frozen=True)
class Timeline:
    """The bands of one genre model to draw, or why there are none (``note``)."""

    bands: tuple[WindowBand, ...]
    note: str | None = None
    test_model: bool = False
    model: str = CCMUSIC


def model_name(analysis: StoredAnalysis | None) -> str:
    """The model an analysis comes from; without one, CCMusic."""
    return (analysis.model_name if analysis else None) or CCMUSIC


def analyses_by_model(track: TrackDetail | None) -> dict[str, StoredAnalysis]:
    """Every analysis of ``track`` by model name: ``track.analyses`` plus ``track.analysis``."""
    if track is None:
        return {}
    found = dict(track.analyses)
    if track.analysis:
        found.setdefault(model_name(track.analysis), track.analysis)
    return found


def has_prediction(analysis: StoredAnalysis | None) -> bool:
    """True when the row holds probabilities (not missing, not an error row) of a known model."""
    if not analysis or analysis.error or model_name(analysis) not in TAXONOMIES:
        return False
    return _valid(analysis.probabilities, _taxonomy(model_name(analysis)))


def is_test_model(analysis: StoredAnalysis | None) -> bool:
    return analysis is not None and analysis.model_origin == TEST_ORIGIN


def model_heading(model: str, analysis: StoredAnalysis | None = None) -> str:
    """ "Broad genre — MusiCNN, built-in", "CCMusic VGG19_BN", "CCMusic VGG19_BN, TEST weights"."""
    known = GENRE_MODELS.get(model)
    title = known.heading if known else _taxonomy(model).title
    origin = ORIGIN_WORDS.get(str(analysis.model_origin if analysis else None))
    return f"{title}, {origin}" if origin else title


def precision_words(precision: str | None) -> str | None:
    """How a stored analysis' network ran, for a person: "exact (fp32)", "reduced precision (int8)";
    None when the row does not say (analysed before Genrescope recorded it)."""
    if not precision:
        return None
    return "exact (fp32)" if precision == "fp32" else f"reduced precision ({precision})"


def top_genres(probabilities: Sequence[float], k: int = TOP_K, model: str = CCMUSIC) -> list[GenreShare]:
    """The ``k`` most probable classes of ``model``, best first; equal probabilities keep class order."""
    taxonomy = _taxonomy(model)
    order = sorted(range(len(taxonomy.labels)), key=lambda i: -probabilities[i])
    return [_share(taxonomy, i, probabilities[i]) for i in order[:k]]


def learned_line(analysis: StoredAnalysis | None, k: int = 3) -> str | None:
    """ "Rock 97% · Electronic 2% · Classical 1%": the person's learned genres for the track, or
    None when My genres have not classified it (or were learned again with other genres since)."""
    if not has_prediction(analysis) or model_name(analysis) != MY_GENRES_MODEL:
        return None
    assert analysis is not None and analysis.probabilities is not None
    shares = top_genres(analysis.probabilities, k, MY_GENRES_MODEL)
    return " · ".join(f"{s.display_name} {s.probability:.0%}" for s in shares)


def vote_count(
    window_probabilities: Sequence[Sequence[float]] | None, key: str, model: str = CCMUSIC
) -> tuple[int, int] | None:
    """(windows whose top genre is ``key``, windows), to explain the stored majority; None if unknown."""
    taxonomy = _taxonomy(model)
    rows = [w for w in window_probabilities or [] if _valid(w, taxonomy)]
    if not rows or key not in taxonomy.keys:
        return None
    index = taxonomy.keys.index(key)
    return sum(1 for row in rows if _argmax(row) == index), len(rows)


def timeline(analysis: StoredAnalysis | None, bounds: Sequence[tuple[float, float]]) -> Timeline:
    """Bands for each window (or patch) at ``bounds`` (seconds, from the audio's own layout).

    The bands are only drawn when the stored windows match the file's layout one to one: a
    mismatch means the file changed since it was analysed, and misplaced bands would mislead.
    """
    model = model_name(analysis)
    if not has_prediction(analysis):
        return Timeline((), model=model)
    assert analysis is not None
    taxonomy = _taxonomy(model)
    pieces = GENRE_MODELS.get(model, GENRE_MODELS[CCMUSIC])
    rows = analysis.window_probabilities or []
    if not rows or not all(_valid(r, taxonomy) for r in rows):
        return Timeline((), f"no per-{pieces.unit} probabilities stored", model=model)
    if len(rows) != len(bounds):
        return Timeline(
            (),
            f"the analysis has {len(rows)} {pieces.units} but the file now has {len(bounds)}: "
            "re-analyse it to see the genre timeline",
            model=model,
        )
    bands = tuple(
        WindowBand(i, start, end, _share(taxonomy, _argmax(row), row[_argmax(row)]))
        for i, (row, (start, end)) in enumerate(zip(rows, bounds))
    )
    return Timeline(bands, test_model=is_test_model(analysis), model=model)


def patch_bounds(duration: float, stored: int | None = None) -> tuple[tuple[float, float], ...]:
    """The tagger's 3 s patches of a file of ``duration`` seconds: patch i is
    [i · PATCH_SECONDS, (i + 1) · PATCH_SECONDS), the tail shorter than a patch is not analysed,
    and a clip shorter than one patch is one patch over the whole clip.

    ``stored`` (the analysis's patch count) is used when the duration is within
    `DURATION_TOLERANCE` of holding that many patches: the 16 kHz decode rounds differently.
    """
    counts = {_patch_count(duration - DURATION_TOLERANCE), _patch_count(duration + DURATION_TOLERANCE)}
    count = stored if stored in counts else _patch_count(duration)
    return tuple((i * PATCH_SECONDS, min((i + 1) * PATCH_SECONDS, duration)) for i in range(count))


def broad_evidence(analyses: Mapping[str, StoredAnalysis]) -> dict[str, tuple[str, float]]:
    """For each broad genre, the tag (``msd:rock``) that gave it its probability; {} without both taggers."""
    tags = {}
    for tagger in broad.BROAD_TAGGERS:
        row = analyses.get(tagger)
        if not has_prediction(row):
            return {}
        assert row is not None
        tags[tagger] = np.asarray(row.probabilities, dtype=np.float32)
    return broad.evidence(tags)


def source_tag(source: str) -> str:
    """``msd:rock`` as read: "rock (MSD)"."""
    prefix, tag = source.split(":", 1)
    return f"{tag} ({prefix.upper()})"


def band_at(bands: Sequence[WindowBand], seconds: float) -> WindowBand | None:
    for band in bands:
        if band.start <= seconds < band.end:
            return band
    return None


def genre_display_name(key: str | None, model: str = CCMUSIC) -> str:
    return _taxonomy(model).display_name(key) if key else "?"


def _patch_count(duration: float) -> int:
    # librosa's centred STFT gives 1 + samples // hop frames; whole patches only, at least one.
    frames = 1 + max(int(math.floor(duration * PATCH_RATE)), 0) // PATCH_HOP
    return max(frames // PATCH_FRAMES, 1)


def _taxonomy(model: str) -> Taxonomy:
    return TAXONOMIES[model]


def _share(taxonomy: Taxonomy, index: int, probability: float) -> GenreShare:
    label = taxonomy.labels[index]
    return GenreShare(label.key, label.display_name, float(probability))


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def _valid(values: object, taxonomy: Taxonomy) -> bool:
    return isinstance(values, Sequence) and len(values) == len(taxonomy.labels)
