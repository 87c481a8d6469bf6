"""Shared helpers for the detail-panel tests: analysis rows as the window passes them in."""

from __future__ import annotations

from collections.abc import Sequence

from desktop_app.genres.ccmusic import GENRE_KEYS

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
) -> dict:
    """An ``analyses`` row dict plus model_label/model_origin, windows voting for ``window_genres``."""
    windows = [one_hot(key) for key in window_genres]
    mean = list(probabilities) if probabilities is not None else [
        sum(w[i] for w in windows) / len(windows) for i in range(16)
    ]
    best = max(range(16), key=lambda i: mean[i])
    return {
        "top1": GENRE_KEYS[best],
        "confidence": mean[best],
        "majority": majority or max(set(window_genres), key=list(window_genres).count),
        "probabilities": mean,
        "window_probabilities": windows,
        "window_count": len(windows),
        "short_clip": False,
        "silent": False,
        "error": None,
        "model_label": TEST_LABEL if origin == "test" else label,
        "model_origin": origin,
    }
