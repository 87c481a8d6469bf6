"""prepare_track / prepare_samples: one call from audio to network inputs, and its edge cases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio.cqt import frame_count
from desktop_app.audio.decode import AudioDecodeError
from desktop_app.audio.prepare import TrackInputs, prepare_samples, prepare_track

SR = 22050

# desktop_app.audio.cqt silences librosa's "n_fft too large" notes for sub-second clips when it is
# imported; pytest restores the warning filters around collection, so the tests say it again here.
pytestmark = pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal:UserWarning")


def noisy_chord(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7))
    return (0.2 * chord + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def assert_consistent(prepared: TrackInputs, sample_count: int) -> None:
    assert prepared.sample_count == sample_count
    assert prepared.duration_s == sample_count / SR
    assert prepared.cqt_db.shape == (84, frame_count(sample_count))
    assert prepared.cqt_db.dtype == np.float32
    assert prepared.inputs.dtype == np.float32
    assert prepared.inputs.shape == (len(prepared.window_bounds), 3, 224, 224)
    assert np.isfinite(prepared.cqt_db).all() and np.isfinite(prepared.inputs).all()
    assert prepared.cqt_db.max() <= 0.0 and prepared.cqt_db.min() >= -80.0
    assert prepared.inputs.min() >= -1.0 and prepared.inputs.max() <= 1.0


def test_a_track_from_a_file(tmp_path):
    path = tmp_path / "track.wav"
    sf.write(path, np.stack([noisy_chord(30.0, 1), noisy_chord(30.0, 2)], axis=1), 44100)
    prepared = prepare_track(path)
    assert_consistent(prepared, 15 * SR)  # 30 s of samples written at twice the rate
    assert len(prepared.window_bounds) == 1 and not prepared.short_clip and not prepared.silent


def test_a_song_has_centred_windows():
    prepared = prepare_samples(noisy_chord(40.0))
    assert_consistent(prepared, 40 * SR)
    assert len(prepared.window_bounds) == 3
    first_start, last_end = prepared.window_bounds[0][0], prepared.window_bounds[-1][1]
    assert first_start == pytest.approx(40.0 - last_end, abs=0.05)


@pytest.mark.parametrize("seconds", [11.3, 3.0, 0.5, 0.01])
def test_short_clip_is_one_window_over_the_whole_clip(seconds):
    samples = noisy_chord(seconds)
    prepared = prepare_samples(samples)
    assert_consistent(prepared, len(samples))
    assert prepared.short_clip
    assert prepared.window_bounds == [(0.0, len(samples) / SR)]


@pytest.mark.parametrize("value", [0.0, 0.25])
def test_silence_and_a_bare_dc_offset_are_flagged_silent_without_nan(value):
    prepared = prepare_samples(np.full(20 * SR, value, dtype=np.float32))
    assert_consistent(prepared, 20 * SR)
    assert prepared.silent
    if value == 0.0:
        # All-zero power: the dB spectrogram is all 0, so every pixel is the first magma colour.
        assert not prepared.cqt_db.any()
        assert np.ptp(prepared.inputs, axis=(2, 3)).max() <= 2 / 255


def test_quiet_music_is_not_silent():
    assert not prepare_samples(1e-4 * noisy_chord(2.0)).silent


def test_samples_must_be_what_decode_gives():
    with pytest.raises(ValueError, match="non-empty mono"):
        prepare_samples(np.zeros(0, dtype=np.float32))
    with pytest.raises(ValueError, match="non-empty mono"):
        prepare_samples(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="float32"):
        prepare_samples(np.zeros(100, dtype=np.float64))
    with pytest.raises(ValueError, match="NaN"):
        prepare_samples(np.array([0.0, np.nan], dtype=np.float32))


def test_a_file_that_cannot_be_decoded_says_why(tmp_path):
    with pytest.raises(AudioDecodeError, match="file not found"):
        prepare_track(tmp_path / "gone.flac")


def test_tracks_prepared_in_threads_come_out_as_prepared_alone():
    # The inference pipeline prepares upcoming tracks on worker threads.
    signals = [noisy_chord(12.0, seed) for seed in range(4)]
    alone = [prepare_samples(s) for s in signals]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(prepare_samples, signals))
    for one, other in zip(alone, together):
        np.testing.assert_array_equal(one.cqt_db, other.cqt_db)
        np.testing.assert_array_equal(one.inputs, other.inputs)
