"""The tagger's input: one decode for both rates, musicnn's log-mel and its 3 s patches."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio.decode import decode_audio
from desktop_app.audio.mel import N_MELS, PATCH_FRAMES, log_mel, patches, tagger_patches


def _music_like(path: Path, seconds: float, rate: int = 44100) -> Path:
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    left = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t)) + 0.05 * rng.standard_normal(t.size)
    stereo = np.stack([left, 0.5 * left[::-1]], axis=1).astype(np.float32)
    sf.write(path, stereo, rate)
    return path


def test_one_decode_gives_each_rate_as_librosa_load_does(tmp_path: Path) -> None:
    path = _music_like(tmp_path / "song.flac", 7.0)
    decoded = decode_audio(path, rates=(22050, 16000))
    assert np.array_equal(decoded.samples, librosa.load(path)[0])
    assert np.array_equal(decoded.at(16000), librosa.load(path, sr=16000)[0])
    assert np.array_equal(decode_audio(path).samples, decoded.samples)
    with pytest.raises(ValueError, match="not at 8000 Hz"):
        decoded.at(8000)


def test_log_mel_is_musicnns_formula(tmp_path: Path) -> None:
    samples = decode_audio(_music_like(tmp_path / "a.flac", 4.0), rates=(16000,)).at(16000)
    mel = librosa.feature.melspectrogram(y=samples, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    expected = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)
    result = log_mel(samples)
    assert result.dtype == np.float32 and result.shape == (1 + len(samples) // 256, N_MELS)
    assert np.array_equal(result, expected)


def test_patches_drop_the_last_partial_patch_and_keep_time_order() -> None:
    spectrogram = np.arange(3 * PATCH_FRAMES + 50, dtype=np.float32)[:, None] * np.ones(N_MELS, np.float32)
    cut = patches(spectrogram)
    assert cut.patches.shape == (3, PATCH_FRAMES, N_MELS) and not cut.short_clip
    assert cut.patches[1, 0, 0] == PATCH_FRAMES and cut.patches[2, -1, 0] == 3 * PATCH_FRAMES - 1
    assert cut.bounds[1] == pytest.approx((2.992, 5.984))


def test_a_clip_shorter_than_a_patch_is_repeated_into_one() -> None:
    samples = (0.1 * np.sin(np.arange(16000) / 5)).astype(np.float32)  # 1 s
    cut = tagger_patches(samples)
    spectrogram = log_mel(samples)
    assert cut.short_clip and cut.patches.shape == (1, PATCH_FRAMES, N_MELS)
    frames = spectrogram.shape[0]
    assert np.array_equal(cut.patches[0, :frames], spectrogram)
    assert np.array_equal(cut.patches[0, frames : 2 * frames], spectrogram)
