"""The audio code's restatement of librosa 0.11 (stft, cqt, mel, pitch) against librosa itself.

The app no longer imports librosa (its numba compiled for tens of seconds before a new machine's
first analysis), so librosa is only the reference here, called exactly as the CCMusic demo and
musicnn call it. Everything is compared for exact equality, on real recordings
(tests/real_music.py: a mono 1936 shellac, a 3-minute instrumental, a game theme) and on short
and odd-length clips, where librosa's STFT pads differently: no tolerance was needed anywhere.
A last test analyses a real file in a fresh process and finds neither librosa nor numba loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import librosa
import numpy as np
import pytest
import scipy.signal

from desktop_app.audio import cqt, mel, pitch, stft
from desktop_app.audio.decode import decode_audio
from desktop_app.audio.render import colour_indices
from desktop_app.audio.windows import split_windows
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (a fixture)
from tests.locations import REPO
from tests.real_music import BY_KEY, recording_path

RECORDINGS = ("blue-danube", "lovin", "tuxi")
ODD_LENGTHS = (1, 2, 255, 256, 257, 511, 513, 1023, 4097, 22049, 3 * 22050 + 7)


def librosa_cqt_db(samples: np.ndarray) -> np.ndarray:
    """The reference demo's ``mp3_to_cqt``: librosa.cqt with its defaults, power in dB re max."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "n_fft=... is too large" on short clips
        return librosa.power_to_db(np.abs(librosa.cqt(y=samples, sr=22050)) ** 2, ref=np.max)


def librosa_log_mel(samples: np.ndarray) -> np.ndarray:
    """musicnn's ``batch_data`` up to the patches: librosa's mel, float16, log10(10000 x + 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        power = librosa.feature.melspectrogram(y=samples, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    return np.log10(np.float32(10000) * power.astype(np.float16).astype(np.float32) + np.float32(1))


@pytest.fixture(scope="module", params=RECORDINGS)
def recording(request: pytest.FixtureRequest):
    decoded = decode_audio(recording_path(BY_KEY[request.param]), rates=(22050, 16000))
    return decoded.at(22050), decoded.at(16000)


def test_cqt_of_real_recordings_is_librosas_bit_for_bit(recording) -> None:
    samples, _ = recording
    ours, reference = cqt.cqt_db(samples), librosa_cqt_db(samples)
    assert ours.dtype == reference.dtype == np.float32
    assert np.array_equal(ours, reference)
    ours_windows = split_windows(ours, samples.shape[0]).frames
    reference_windows = split_windows(reference, samples.shape[0]).frames
    assert np.array_equal(colour_indices(ours_windows), colour_indices(reference_windows))  # the uint8 images


def test_mel_of_real_recordings_is_librosas_bit_for_bit(recording) -> None:
    _, samples = recording
    ours = mel.log_mel(samples)
    assert ours.dtype == np.float32
    assert np.array_equal(ours, librosa_log_mel(samples))
    assert np.array_equal(mel.patches(ours).patches, mel.patches(librosa_log_mel(samples)).patches)


@pytest.mark.parametrize("length", ODD_LENGTHS)
def test_short_and_odd_length_clips(length: int) -> None:
    samples = decode_audio(recording_path(BY_KEY["tuxi"]), rates=(22050,)).samples[44100 : 44100 + length]
    assert np.array_equal(cqt.cqt_db(samples), librosa_cqt_db(samples))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        power = np.abs(librosa.cqt(y=samples, sr=22050)) ** 2
    assert np.array_equal(cqt.cqt_power(samples), power)
    assert np.array_equal(mel.log_mel(samples), librosa_log_mel(samples))


def test_power_db_is_power_to_db_against_the_songs_loudest_bin() -> None:
    samples = decode_audio(recording_path(BY_KEY["tuxi"]), rates=(22050,)).samples[: 22050 * 20]
    power = cqt.cqt_power(samples)
    part = power[:, 100:300]
    reference = np.float32(power.max() * 3)  # a louder bin elsewhere in the song
    expected = np.maximum(librosa.power_to_db(part, ref=reference, top_db=None), np.float32(-80.0))
    assert np.array_equal(cqt.power_db(part, float(reference)), expected)


@pytest.mark.parametrize("n_fft, hop", [(512, 256), (256, 512), (256, 8), (2048, 512)])
def test_stft_is_librosas_with_either_window(n_fft: int, hop: int) -> None:
    rng = np.random.default_rng(n_fft + hop)
    for length in (1, n_fft - 1, n_fft + 1, 10 * hop + 3, 20000):
        samples = rng.standard_normal(length).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            hann = librosa.stft(samples, n_fft=n_fft, hop_length=hop)
            ones = librosa.stft(samples, n_fft=n_fft, hop_length=hop, window="ones")
        assert np.array_equal(stft.stft(samples, n_fft, hop, stft.hann(n_fft)), hann)
        assert np.array_equal(stft.stft(samples, n_fft, hop, np.ones(n_fft)), ones)


def test_hann_is_scipys_periodic_window() -> None:
    for length in range(1, 700):
        assert np.array_equal(stft.hann(length), scipy.signal.get_window("hann", length)), length


def test_mel_scale_and_filters_are_librosas() -> None:
    assert np.array_equal(mel.BAND_EDGES_HZ, librosa.mel_frequencies(98, fmin=0.0, fmax=8000.0))
    assert np.array_equal(mel._filter_bank(), librosa.filters.mel(sr=16000, n_fft=512, n_mels=96))


def test_pitch_is_librosas() -> None:
    assert cqt.FMIN_HZ == librosa.note_to_hz("C1")
    for midi in range(0, 128):
        assert pitch.midi_to_hz(midi) == librosa.midi_to_hz(midi)
    bins = [cqt.FMIN_HZ * 2.0 ** (b / 12) for b in range(84)]
    for hz in [*np.geomspace(16.0, 12000.0, 2000), *bins, 440.0]:
        assert pitch.hz_to_note(float(hz)) == librosa.hz_to_note(float(hz), unicode=False), hz


ANALYSE = """
import json, sys
from desktop_app.cli import main
from desktop_app.gui.detail.spectrogram_loader import compute_spectrogram
code = main(["analyze", sys.argv[1], "--weights", sys.argv[2], "--json"])
compute_spectrogram(sys.argv[1])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("librosa", "numba", "llvmlite"))
print(json.dumps({"code": code, "loaded": loaded}))
"""


def test_analysing_a_file_loads_neither_librosa_nor_numba(tmp_path, random_checkpoint) -> None:  # noqa: F811
    env = {**os.environ, "GENRESCOPE_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    path = recording_path(BY_KEY["tuxi"])
    done = subprocess.run(
        [sys.executable, "-c", ANALYSE, str(path), str(random_checkpoint.path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}
