"""Parity with the reference demo: its own renderer (librosa.display.specshow, matplotlib's JPEG,
PIL, torchvision transforms) against ours, on musically realistic generated audio.

Required: mean |diff| <= 0.005 and max |diff| <= 0.05 on the [-1, 1] tensors. The renderer
paints matplotlib's pixels exactly and uses the same Pillow JPEG codec, so the tensors are in
fact expected to be identical.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

matplotlib.use("Agg")
import librosa  # noqa: E402
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import torchvision.transforms as transforms  # noqa: E402

from desktop_app.audio.cqt import cqt_db  # noqa: E402
from desktop_app.audio.prepare import prepare_track  # noqa: E402
from desktop_app.audio.render import network_inputs  # noqa: E402
from desktop_app.audio.windows import split_windows  # noqa: E402

SR = 22050
MEAN_LIMIT = 0.005
MAX_LIMIT = 0.05

EMBED = transforms.Compose(
    [
        transforms.Resize([224, 224]),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ]
)


def song(seconds: float, seed: int = 0, rate: int = SR) -> np.ndarray:
    """120 bpm of chords of harmonic notes with attack/decay envelopes, a bass line, and
    kick, snare and hi-hat made of tones and noise bursts: float32 mono at ``rate``."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    y = np.zeros(n + 2 * rate)  # room for the last notes' tails, cut off below
    beat = rate // 2

    def at(start: int, sound: np.ndarray) -> None:
        y[start : start + len(sound)] += sound

    def time_axis(duration: float) -> np.ndarray:
        return np.arange(int(duration * rate)) / rate

    for k, start in enumerate(range(0, n, beat)):
        for _ in range(rng.integers(1, 4)):
            t = time_axis(rng.uniform(0.2, 1.5))
            f0 = 130.8 * 2 ** (rng.integers(0, 24) / 12)
            envelope = np.minimum(1.0, t * 80) * np.exp(-t * rng.uniform(1.5, 6))
            harmonics = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6)) / h**1.5 for h in range(1, 7))
            at(start, 0.15 * envelope * harmonics)
        t = time_axis(0.5)
        at(start, 0.2 * np.exp(-t * 4) * np.sin(2 * np.pi * 55 * 2 ** (rng.integers(0, 5) / 12) * t))
        t = time_axis(0.12)
        if k % 2 == 0:
            at(start, 0.5 * np.sin(2 * np.pi * (60 + 80 * np.exp(-t * 30)) * t) * np.exp(-t * 25))
        else:
            at(start, 0.25 * rng.standard_normal(t.size) * np.exp(-t * 30))
        t = time_axis(0.03)
        at(start + beat // 2, 0.08 * rng.standard_normal(t.size) * np.exp(-t * 150))
    y = y[:n]
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


def reference_tensor(window: np.ndarray, path: Path | None = None) -> np.ndarray:
    """One window exactly as the reference demo renders and embeds it."""
    librosa.display.specshow(window)
    plt.axis("off")
    target = path if path is not None else io.BytesIO()
    plt.savefig(target, format="jpg", bbox_inches="tight", pad_inches=0.0)
    plt.close()
    if isinstance(target, io.BytesIO):
        target.seek(0)
    return EMBED(Image.open(target).convert("RGB")).numpy()


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
