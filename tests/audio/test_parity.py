"""Parity with the reference demo: its own renderer (librosa.display.specshow, matplotlib's JPEG,
PIL, torchvision transforms) against ours, on musically realistic generated audio.

Required: mean |diff| <= 0.005 and max |diff| <= 0.05 on the [-1, 1] tensors. The renderer
paints matplotlib's pixels exactly and uses the same Pillow JPEG codec, so the tensors are in
fact expected to be identical.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio.cqt import cqt_db
from desktop_app.audio.prepare import prepare_track
from desktop_app.audio.render import network_inputs
from desktop_app.audio.windows import split_windows
from tests.reference_pipeline import reference_tensor, song

MEAN_LIMIT = 0.005
MAX_LIMIT = 0.05


def differences(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    diff = np.abs(ours.astype(np.float64) - reference)
    return float(diff.mean()), float(diff.max())


@pytest.fixture(scope="module")
def minute_of_music() -> np.ndarray:
    return song(60.0)


def test_song_windows_match_the_reference_renderer(minute_of_music):
    windows = split_windows(cqt_db(minute_of_music), len(minute_of_music))
    assert windows.frames.shape[0] == 5
    ours = network_inputs(windows.frames)
    reference = np.stack([reference_tensor(window) for window in windows.frames])
    mean, worst = differences(ours, reference)
    assert mean <= MEAN_LIMIT and worst <= MAX_LIMIT, (mean, worst)
    assert worst == 0.0, "expected identical tensors; geometry, colours or codec drifted"


def test_short_clip_matches_specshow_of_the_whole_clip():
    clip = song(5.0, seed=1)
    windows = split_windows(cqt_db(clip), len(clip))
    assert windows.layout.short_clip
    mean, worst = differences(network_inputs(windows.frames), reference_tensor(windows.frames[0])[None])
    assert mean <= MEAN_LIMIT and worst <= MAX_LIMIT, (mean, worst)


def test_silent_window_matches_the_reference():
    window = np.zeros((1, 84, 491), dtype=np.float32)
    ours = network_inputs(window)
    assert np.isfinite(ours).all()
    mean, worst = differences(ours, reference_tensor(window[0])[None])
    assert mean <= MEAN_LIMIT and worst <= MAX_LIMIT, (mean, worst)


def test_prepare_track_matches_the_reference_demo_end_to_end(tmp_path):
    """The demo's mp3_to_cqt + embed_img on a file, against prepare_track on the same file."""
    path = tmp_path / "song.flac"
    stereo = np.stack([song(35.0, seed=2, rate=44100), song(35.0, seed=3, rate=44100)], axis=1)
    sf.write(path, stereo, 44100, subtype="PCM_16")

    y, sr = librosa.load(path)
    log_cqt_spec = librosa.power_to_db(np.abs(librosa.cqt(y=y, sr=sr)) ** 2, ref=np.max)
    dur = librosa.get_duration(y=y, sr=sr)
    total_frames = log_cqt_spec.shape[1]
    step = int(11.4 * total_frames / dur)
    count = int(total_frames / step)
    begin = int(0.5 * (total_frames - count * step))
    reference = np.stack(
        [
            reference_tensor(log_cqt_spec[:, i : i + step], tmp_path / f"cqt_{i}.jpg")
            for i in range(begin, begin + step * count, step)
        ]
    )

    prepared = prepare_track(path)
    np.testing.assert_array_equal(prepared.cqt_db, log_cqt_spec)
    assert prepared.inputs.shape == reference.shape == (3, 3, 224, 224)
    mean, worst = differences(prepared.inputs, reference)
    assert mean <= MEAN_LIMIT and worst <= MAX_LIMIT, (mean, worst)
