"""Shared helpers for the detail-panel tests: stored analyses as the window passes them in.

`analysis_row` builds a CCMusic row; `tagger_analyses` the three rows of one tagger pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from desktop_app.genres.broad import BROAD_KEYS, BROAD_MODEL, GENRE_TAG_INDICES, SOURCE_PREFIX, derive
from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.library.analyses import StoredAnalysis

TEST_LABEL = "TEST weights (random, not a trained model) test.pt, sha256 0123456789ab"


def one_hot(key: str, p: float = 0.7) -> list[float]:
    """16 probabilities with ``p`` on ``key`` and the rest spread evenly."""
    rest = (1.0 - p) / 15
    return [p if k == key else rest for k in GENRE_KEYS]


def analysis_row(
    window_genres: Sequence[str],
    *,
    probabilities: Sequence[float] | None = None,
    origin: str = "hub",
    label: str = "CCMusic VGG19_BN CQT (downloaded from the CCMusic hub, sha256 0123456789ab)",
    majority: str | None = None,
) -> StoredAnalysis:
    """A stored CCMusic analysis with its model's label and origin, windows voting for ``window_genres``."""
    windows = [one_hot(key) for key in window_genres]
    mean = list(probabilities) if probabilities is not None else [
        sum(w[i] for w in windows) / len(windows) for i in range(16)
    ]
    best = max(range(16), key=lambda i: mean[i])
    return StoredAnalysis(
        top1=GENRE_KEYS[best],
        confidence=mean[best],
        majority=majority or max(set(window_genres), key=list(window_genres).count),
        probabilities=mean,
        window_probabilities=windows,
        window_count=len(windows),
        short_clip=False,
        silent=False,
        error=None,
        model_label=TEST_LABEL if origin == "test" else label,
        model_origin=origin,
    )


TAGGER_LABELS = {
    "musicnn-msd": "MusiCNN (Million Song Dataset) (built-in, sha256 5d1f0e2b7c44)",
    "musicnn-mtt": "MusiCNN (MagnaTagATune) (built-in, sha256 a90c3e1d2f86)",
    "broad-genre": "Broad genre (from MusiCNN tags) (built-in, sha256 0be4a7719c2d)",
}
QUIET = 0.03  # what a tagger gives a tag it does not hear


def tagger_analyses(patches: Sequence[Mapping[str, float]], *, origin: str = "builtin") -> dict[str, StoredAnalysis]:
    """The three rows one tagger pass stores (``musicnn-msd``, ``musicnn-mtt``, ``broad-genre``), by name.

    Each patch names the tags it hears (``{"msd:rock": 0.6, "mtt:female vocal": 0.5}``); the others
    get `QUIET`. Song tags are the mean over the patches and broad genres are derived from them with
    the real table (`genres.broad.derive`), as `analysis.tag_results` stores them.
    """
    per_model = {
        model: np.array([[patch.get(f"{SOURCE_PREFIX[model]}:{tag}", QUIET) for tag in tags] for patch in patches],
                        dtype=np.float32)
        for model, tags in TAGGER_TAGS.items()
    }
    means = {model: values.mean(axis=0) for model, values in per_model.items()}
    rows: dict[str, StoredAnalysis] = {}
    for model, song in means.items():
        best = max(GENRE_TAG_INDICES[model], key=lambda i: song[i])
        rows[model] = _tagger_row(model, origin, top1=TAGGER_TAGS[model][best], confidence=float(song[best]),
                                  probabilities=[float(p) for p in song], window_probabilities=None,
                                  window_count=len(patches))
    genres = derive(means)
    per_patch = derive(per_model)
    votes = np.bincount(per_patch.argmax(axis=1), minlength=len(BROAD_KEYS))
    rows[BROAD_MODEL] = _tagger_row(
        BROAD_MODEL, origin, top1=BROAD_KEYS[int(genres.argmax())], confidence=float(genres.max()),
        majority=BROAD_KEYS[int(votes.argmax())], probabilities=[float(p) for p in genres],
        window_probabilities=[[float(p) for p in row] for row in per_patch], window_count=len(patches),
    )
    return rows


def _tagger_row(model: str, origin: str, **columns) -> StoredAnalysis:
    return StoredAnalysis(**{"majority": None, "short_clip": False, "silent": False, "error": None, **columns},
                          model_name=model, model_label=TEST_LABEL if origin == "test" else TAGGER_LABELS[model],
                          model_origin=origin, model_sha256="0" * 64)
