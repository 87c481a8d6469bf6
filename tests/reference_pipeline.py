"""The reference demo's own renderer, and generated music to feed it (test and benchmark support).

matplotlib and torchvision are test-only dependencies: the app never imports this module.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import torchvision.transforms as transforms  # noqa: E402

SR = 22050

EMBED = transforms.Compose(
    [transforms.Resize([224, 224]), transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)]
)


def reference_tensor(window: np.ndarray, path: Path | None = None) -> np.ndarray:
    """One window exactly as the reference demo renders and embeds it (specshow → JPEG → PIL)."""
    librosa.display.specshow(window)
    plt.axis("off")
    target = path if path is not None else io.BytesIO()
    plt.savefig(target, format="jpg", bbox_inches="tight", pad_inches=0.0)
    plt.close()
    if isinstance(target, io.BytesIO):
        target.seek(0)
    return EMBED(Image.open(target).convert("RGB")).numpy()


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
