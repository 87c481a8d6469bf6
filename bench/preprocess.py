"""Preprocessing benchmark: the reference renderer against Genrescope's, and one whole song.

Run from the repository root: ``.venv/bin/python bench/preprocess.py``. Prints one JSON object.

- per_window: the same windows rendered once by the reference demo's way (specshow, matplotlib
  JPEG, PIL, torchvision transforms) and once by ``desktop_app.audio.render``, with the speed-up
  and the parity figures on the [-1, 1] tensors.
- per_song: a generated song written as a 44.1 kHz stereo 16-bit WAV, then decode, CQT and
  images timed separately.
- warm_up: the one-off costs kept out of the figures above (numba compiling librosa's CQT
  helpers, matplotlib's first figure).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import librosa  # noqa: E402
import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from PIL import Image  # noqa: E402

from desktop_app.audio.cqt import cqt_db  # noqa: E402
from desktop_app.audio.decode import decode  # noqa: E402
from desktop_app.audio.render import network_inputs  # noqa: E402
from desktop_app.audio.windows import split_windows  # noqa: E402
from tests.reference_pipeline import reference_tensor, song  # noqa: E402

SONG_SECONDS = 180.0


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def main() -> None:
    warm_up: dict[str, float] = {}
    _, warm_up["librosa_first_cqt_s"] = timed(lambda: cqt_db(song(3.0, seed=9)))

    _, warm_up["matplotlib_first_render_s"] = timed(lambda: reference_tensor(np.zeros((84, 491), np.float32)))
    network_inputs(np.zeros((1, 84, 491), np.float32))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "song.wav"
        left, right = song(SONG_SECONDS, seed=1, rate=44100), song(SONG_SECONDS, seed=2, rate=44100)
        sf.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")
        samples, decode_s = timed(lambda: decode(path))
    spectrogram, cqt_s = timed(lambda: cqt_db(samples))
    windows, windows_s = timed(lambda: split_windows(spectrogram, len(samples)))
    ours, images_s = timed(lambda: network_inputs(windows.frames))

    reference_tensors, reference_s = timed(lambda: np.stack([reference_tensor(w) for w in windows.frames]))
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
