"""Song-level summary: Top-5 from the mean, the reference's majority vote and its tie-break."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.genres.ccmusic import GENRES
from desktop_app.inference.identity import ModelIdentity
from desktop_app.inference.summary import summarize

MODEL = ModelIdentity(sha256="ab" * 32, path="/tmp/random.pt", origin="test")


def _rows(*winners_and_probs: tuple[int, float]) -> np.ndarray:
    """One softmax-like row per window: ``p`` on its winner, the rest spread evenly."""
    rows = []
    for winner, p in winners_and_probs:
        row = np.full(16, (1 - p) / 15, dtype=np.float32)
        row[winner] = p
        rows.append(row)
    return np.stack(rows)


def test_top5_comes_from_the_mean_of_the_windows() -> None:
    probs = np.zeros((2, 16), np.float32)
    probs[0, [14, 3, 5, 7, 9, 0]] = [0.5, 0.2, 0.1, 0.1, 0.05, 0.05]
    probs[1, [3, 14, 5, 7, 9, 0]] = [0.65, 0.25, 0.04, 0.03, 0.02, 0.01]
    song = summarize(probs, model=MODEL)
    assert [s.key for s in song.top5] == [
        "Chamber",
        "Soft_rock",
        "Adult_contemporary",
        "Contemporary_dance_pop",
        "Classic_indie_pop",
    ]
    assert song.top5[0].display_name == "Chamber"
    assert [s.probability for s in song.top5] == pytest.approx([0.425, 0.375, 0.07, 0.065, 0.035])
    assert song.top1 == song.top5[0]
    assert song.confidence == pytest.approx(0.425)
    assert song.model is MODEL


def test_majority_vote_is_the_most_common_window_argmax() -> None:
    # The mean's winner (Opera, one very sure window) differs from the vote's (Soft rock, 2 of 3).
    song = summarize(_rows((14, 0.3), (14, 0.3), (1, 0.99)), model=MODEL)
    assert song.majority.key == "Soft_rock"
    assert song.top1.key == "Opera"
    assert song.votes[14] == 2 and song.votes[1] == 1 and sum(song.votes) == 3


def test_vote_tie_goes_to_the_higher_mean_probability() -> None:
    song = summarize(_rows((14, 0.4), (2, 0.9), (14, 0.4), (2, 0.5)), model=MODEL)
    assert song.votes[14] == song.votes[2] == 2
    assert song.majority.key == "Solo"


def test_vote_tie_with_equal_means_goes_to_the_lower_class_index() -> None:
    song = summarize(_rows((9, 0.5), (4, 0.5)), model=MODEL)
    assert song.majority == GENRES[4]


def test_window_probabilities_are_kept_read_only() -> None:
    probs = _rows((0, 0.9), (1, 0.8), (2, 0.7))
    song = summarize(probs, model=MODEL)
    assert song.n_windows == 3
    np.testing.assert_array_equal(song.window_probs, probs)
    with pytest.raises(ValueError):
        song.window_probs[0, 0] = 1.0
    probs[0, 0] = 0.0  # the caller's array is not shared
    assert song.window_probs[0, 0] == pytest.approx(0.9)


def test_invalid_window_probabilities() -> None:
    with pytest.raises(ValueError, match="at least one window"):
        summarize(np.empty((0, 16)), model=MODEL)
    with pytest.raises(ValueError, match=r"\[n_windows, 16\]"):
        summarize(np.ones((3, 10)), model=MODEL)


def test_model_identity_is_checked() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        ModelIdentity(sha256="abc", path="x.pt", origin="hub")
    with pytest.raises(ValueError, match="unknown model origin"):
        ModelIdentity(sha256="ab" * 32, path="x.pt", origin="web")  # type: ignore[arg-type]
    hub = ModelIdentity(sha256="ab" * 32, path="/m/abab.pt", origin="hub")
    assert hub.label == "CCMusic VGG19_BN CQT (downloaded from the CCMusic hub, sha256 abababababab)"
