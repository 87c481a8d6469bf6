"""Shared pieces for the explanation tests: the random-weight classifier, spectrograms with a known
answer, and a real recording whose drums start at a known time (for the tagger's explanations).

Import the fixture into a test module (``from tests.explain_support import random_classifier``).
The classifier is the exact architecture with the session's random weights (built once, from the
``random_checkpoint`` fixture's state_dict in memory, so no second 488 MB file is read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio import mel
from desktop_app.audio.cqt import HOP_LENGTH, SAMPLE_RATE
from desktop_app.audio.decode import decode_audio
from desktop_app.inference.checkpoint import LoadedCheckpoint
from desktop_app.inference.engine import GenreClassifier
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint  # noqa: F401 (fixture)
from tests.real_music import BY_KEY, STEMS, recording_path

PATCH_BINS = range(20, 30)
PATCH_FRAMES_IN_WINDOW = range(100, 140)

_built: dict[str, GenreClassifier] = {}


def classifier_with(checkpoint: RandomCheckpoint, state_dict: dict | None = None) -> GenreClassifier:
    """A test classifier of ``state_dict`` (default: the random checkpoint's own weights)."""
    loaded = LoadedCheckpoint(
        path=checkpoint.path, sha256=checkpoint.sha256, size=0, state_dict=state_dict or checkpoint.state_dict
    )
    return GenreClassifier(loaded, origin="test", device="cpu")


@pytest.fixture(scope="session")
def random_classifier(random_checkpoint: RandomCheckpoint) -> Iterator[GenreClassifier]:  # noqa: F811
    if "classifier" not in _built:
        _built["classifier"] = classifier_with(random_checkpoint)
    yield _built["classifier"]


def patch_song(windows: int = 2, seed: int = 0) -> tuple[np.ndarray, int]:
    """(cqt_db (84, frames), sample_count) of quiet noise with one loud patch in the second window.

    The patch, like a short chord rich in partials, is every other bin of 20-29 (G#2-F3) loud over
    frames 100-139 of window 2's 491 frames (about 0.9 s).
    """
    step = 491
    frames = windows * step + 20
    sample_count = (frames - 1) * HOP_LENGTH
    rng = np.random.default_rng(seed)
    cqt = rng.uniform(-80.0, -55.0, (84, frames)).astype(np.float32)
    begin = (frames - windows * step) // 2
    first = begin + step
    frames_of_patch = slice(first + PATCH_FRAMES_IN_WINDOW.start, first + PATCH_FRAMES_IN_WINDOW.stop)
    cqt[PATCH_BINS.start : PATCH_BINS.stop : 2, frames_of_patch] = 0.0
    assert sample_count / SAMPLE_RATE > windows * 11.4
    return cqt, sample_count



FROM_S = 60.0  # where in "Armygeddon" the excerpt starts (both parts play there)
CUT_S = 16.5  # guitar alone before, backing track after: inside patch 6 (14.96-17.95 s)
LENGTH_S = 33.0  # 11 tagger patches
CUT_PATCH = 5


@pytest.fixture(scope="session")
def guitar_then_band(tmp_path_factory) -> Path:
    """"Armygeddon" from `FROM_S`: the lead guitar part alone up to `CUT_S`, then the backing track
    (drums, bass, rhythm guitar; the same timing) to `LENGTH_S`, a 16 kHz WAV."""
    rate = mel.SAMPLE_RATE
    guitar = decode_audio(recording_path(STEMS["armygeddon-guitar"]), rates=(rate,)).at(rate)
    band = decode_audio(recording_path(BY_KEY["armygeddon"]), rates=(rate,)).at(rate)
    start, cut, stop = (round((FROM_S + s) * rate) for s in (0.0, CUT_S, LENGTH_S))
    path = tmp_path_factory.mktemp("armygeddon") / "guitar-then-band.wav"
    sf.write(path, np.concatenate([guitar[start:cut], band[cut:stop]]), rate, subtype="FLOAT")
    return path
