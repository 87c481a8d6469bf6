"""Preprocessing benchmark: the reference renderer against Genrescope's, and one whole song.

Run from the repository root: ``.venv/bin/python bench/preprocess.py``. Prints one JSON object.

- per_window: the same windows rendered once by the reference demo's way (specshow, matplotlib
  JPEG, PIL, torchvision transforms) and once by ``desktop_app.audio.render``, with the speed-up
  and the parity figures on the [-1, 1] tensors.
- per_song: a generated song written as a 44.1 kHz stereo 16-bit WAV, then decode, CQT and
  images timed separately.
- warm_up: the one-off costs kept out of the figures above (numba compiling librosa's CQT
  helpers, matplotlib's first figure, torchvision's import).
"""

from __future__ import annotations

import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import matplotlib
import numpy as np
import soundfile as sf
from PIL import Image

matplotlib.use("Agg")
import librosa  # noqa: E402
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from desktop_app.audio.cqt import cqt_db  # noqa: E402
from desktop_app.audio.decode import decode  # noqa: E402
from desktop_app.audio.render import network_inputs  # noqa: E402
from desktop_app.audio.windows import split_windows  # noqa: E402

SR = 22050
SONG_SECONDS = 180.0


def song(seconds: float, seed: int = 0, rate: int = SR) -> np.ndarray:
    """120 bpm of chords of harmonic notes with envelopes, a bass line, and drum-like bursts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    y = np.zeros(n + 2 * rate)
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


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def main() -> None:
    warm_up: dict[str, float] = {}
    _, warm_up["librosa_first_cqt_s"] = timed(lambda: cqt_db(song(3.0, seed=9)))

    _, warm_up["torchvision_import_s"] = timed(lambda: __import__("torchvision.transforms"))
    import torchvision.transforms as transforms

    embed = transforms.Compose(
        [transforms.Resize([224, 224]), transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)]
    )

    def reference(window: np.ndarray) -> np.ndarray:
        librosa.display.specshow(window)
        plt.axis("off")
        buffer = io.BytesIO()
        plt.savefig(buffer, format="jpg", bbox_inches="tight", pad_inches=0.0)
        plt.close()
        buffer.seek(0)
        return embed(Image.open(buffer).convert("RGB")).numpy()

    _, warm_up["matplotlib_first_render_s"] = timed(lambda: reference(np.zeros((84, 491), np.float32)))
    network_inputs(np.zeros((1, 84, 491), np.float32))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "song.wav"
        left, right = song(SONG_SECONDS, seed=1, rate=44100), song(SONG_SECONDS, seed=2, rate=44100)
        sf.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")
        samples, decode_s = timed(lambda: decode(path))
    spectrogram, cqt_s = timed(lambda: cqt_db(samples))
    windows, windows_s = timed(lambda: split_windows(spectrogram, len(samples)))
    ours, images_s = timed(lambda: network_inputs(windows.frames))

    reference_tensors, reference_s = timed(lambda: np.stack([reference(w) for w in windows.frames]))
    diff = np.abs(ours.astype(np.float64) - reference_tensors)
    count = len(windows.frames)

    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "librosa": librosa.__version__,
            "matplotlib": matplotlib.__version__,
            "pillow": Image.__version__,
        },
        "warm_up": {key: round(value, 3) for key, value in warm_up.items()},
        "per_window": {
            "windows": count,
            "window_shape": list(windows.frames.shape[1:]),
            "reference_ms": round(1000 * reference_s / count, 2),
            "genrescope_ms": round(1000 * images_s / count, 2),
            "speedup": round(reference_s / images_s, 1),
            "parity_mean_abs_diff": float(diff.mean()),
            "parity_max_abs_diff": float(diff.max()),
            "identical_tensors": bool(diff.max() == 0.0),
        },
        "per_song": {
            "source": f"{SONG_SECONDS:.0f} s generated song, 44.1 kHz stereo 16-bit WAV",
            "windows": count,
            "decode_s": round(decode_s, 3),
            "cqt_s": round(cqt_s, 3),
            "windows_s": round(windows_s, 4),
            "images_s": round(images_s, 3),
            "total_s": round(decode_s + cqt_s + windows_s + images_s, 3),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
