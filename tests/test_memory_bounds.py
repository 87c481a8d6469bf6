"""Memory bounds that bench/memory.py measures at full size, kept here at a size CI can afford:
the audio layer's peak grows with a track's length at its known rate and no faster, a recording
beyond the length limit is refused, and loading the model does not double its weights.

Peaks are VmHWM of a fresh process (ru_maxrss would carry the pytest process's own peak over
fork and exec).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio import decode as decode_module
from desktop_app.audio.decode import AudioDecodeError, decode_audio
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint  # noqa: F401 (fixture)

_PEAK = """
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024)
"""


def peak_mb(code: str, *args: str) -> int:
    done = subprocess.run([sys.executable, "-c", code + _PEAK, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


def write_minutes(path: Path, minutes: int, rate: int = 44100) -> Path:
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", rate, 2, format="FLAC") as out:
        for _ in range(minutes * 6):
            out.write((0.1 * rng.standard_normal((rate * 10, 2))).astype(np.float32))
    return path


def test_a_ten_minute_track_prepares_within_its_share_of_memory(tmp_path):
    """bench/memory.py: an hour of audio takes about 0.9 GB above a one-second clip, so ten
    minutes must stay near 150 MB above it (native-rate stereo held whole would add 420 MB)."""
    prepare = "import sys\nfrom desktop_app.audio.prepare import prepare_track\nprepare_track(sys.argv[1])\n"
    clip = tmp_path / "clip.flac"
    sf.write(clip, np.zeros((44100, 2), np.float32), 44100)
    baseline = peak_mb(prepare, str(clip))
    prepared = peak_mb(prepare, str(write_minutes(tmp_path / "ten.flac", 10)))
    assert prepared - baseline < 250, f"{prepared - baseline} MB for ten minutes"


def test_a_recording_beyond_the_length_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(decode_module, "MAX_SECONDS", 36)  # 0.01 h: the limit without hours of audio
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    sf.write(short, np.zeros(30 * 8000, np.float32), 8000)
    sf.write(long, np.zeros(40 * 8000, np.float32), 8000)
    assert decode_audio(short).samples.shape[0] == 30 * 22050
    with pytest.raises(AudioDecodeError, match=r"too long to analyse: more than 0\.01 hours of audio"):
        decode_audio(long)


def test_loading_the_model_holds_its_weights_about_once(random_checkpoint: RandomCheckpoint):
    """Weights are 465 MB; torch itself about 500 MB. Checking all of them for NaN at once used
    to add 800 MB of temporaries."""
    loaded = peak_mb("import sys\nfrom desktop_app.inference.engine import GenreClassifier\n"
                     "GenreClassifier.from_file(sys.argv[1], origin='test', device='cpu')\n",
                     str(random_checkpoint.path))
    torch_alone = peak_mb("import torch\nfrom desktop_app.inference.engine import GenreClassifier\n")
    assert loaded - torch_alone < 1000, f"{loaded - torch_alone} MB above torch for 465 MB of weights"
