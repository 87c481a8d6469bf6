"""The built-in tagger's input: musicnn's log-mel spectrogram cut into 3 s patches.

Written from the original's ``extractor.batch_data`` and checked against its outputs on real
recordings (tests/inference/musicnn/test_port.py): ``librosa.load(path, sr=16000)`` (here
`decode.decode_audio` at 16 kHz, the same samples), a power mel spectrogram with librosa's
defaults but ``n_fft=512, hop_length=256, n_mels=96``, transposed to (time, mel), quantised to
float16 as the original stores it, then ``log10(10000 * x + 1)`` in float32 (what numpy 1.x
computes there; numpy 2 would keep float16 and overflow, so the cast is written out).

Patches are 187 frames (3 s: ``librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1``)
with no overlap; the original drops the last partial patch. It crashes on a file shorter than one
patch; here such a clip is repeated until it fills one patch, the padding musicnn was trained with
(its ``pad_short: repeat-pad``), and flagged ``short_clip``.

librosa's mel spectrogram is restated here (Slaney's mel scale and filter normalisation, the
shared centred STFT of `stft`) with librosa 0.11's arithmetic, so the patches are librosa's bit for
bit (tests/audio/test_librosa_port.py) without importing librosa, whose numba made the first
analysis on a new machine wait tens of seconds for compilation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from desktop_app.audio.stft import hann, stft

SAMPLE_RATE = 16000
FFT_SIZE = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187
PATCH_SECONDS = PATCH_FRAMES * HOP_LENGTH / SAMPLE_RATE
"""2.992 s of audio per patch: the tagger's time resolution."""


def _mel_frequencies(count: int, fmin: float, fmax: float) -> np.ndarray:
    """``librosa.mel_frequencies(count, fmin=fmin, fmax=fmax)``: evenly spaced on Slaney's mel
    scale (linear below 1 kHz, logarithmic above)."""
    step_hz = 200.0 / 3
    log_from_mel = 1000.0 / step_hz
    log_step = np.log(6.4) / 27.0

    def to_mel(hz: float) -> float:
        return float(log_from_mel + np.log(hz / 1000.0) / log_step) if hz >= 1000.0 else hz / step_hz

    mels = np.linspace(to_mel(fmin), to_mel(fmax), count)
    hz: np.ndarray = step_hz * mels
    logarithmic = mels >= log_from_mel
    hz[logarithmic] = 1000.0 * np.exp(log_step * (mels[logarithmic] - log_from_mel))
    return hz


BAND_EDGES_HZ = _mel_frequencies(N_MELS + 2, fmin=0.0, fmax=SAMPLE_RATE / 2)
"""(98,) Hz: mel band m is the triangle from ``BAND_EDGES_HZ[m]`` up to ``BAND_EDGES_HZ[m + 2]``,
peaking at ``BAND_EDGES_HZ[m + 1]``, exactly as ``librosa.filters.mel`` builds it with the
defaults `log_mel` uses (fmin 0, fmax = Nyquist, Slaney's mel scale)."""
BAND_CENTRES_HZ = BAND_EDGES_HZ[1:-1]
"""(96,) Hz: each band's peak, lowest band first (31 Hz ... 7.7 kHz)."""


def frame_centre_sample(patch: int, frame: int) -> int:
    """The sample of the 16 kHz song that mel frame ``frame`` of patch ``patch`` is centred on.

    librosa's STFT is centred: song frame j is the ``FFT_SIZE``-sample window starting at sample
    ``j * HOP_LENGTH - FFT_SIZE // 2`` (zeros before the song's start), and patches are
    consecutive, non-overlapping runs of `PATCH_FRAMES` song frames from frame 0.
    """
    if not 0 <= frame < PATCH_FRAMES or patch < 0:
        raise ValueError(f"no frame {frame} of patch {patch}: frames run 0-{PATCH_FRAMES - 1}, patches from 0")
    return (patch * PATCH_FRAMES + frame) * HOP_LENGTH


def frame_samples(patch: int, frame: int) -> tuple[int, int]:
    """[start, stop) of the samples that frame's window covers (start < 0: padding before the song)."""
    centre = frame_centre_sample(patch, frame)
    return centre - FFT_SIZE // 2, centre + FFT_SIZE // 2


def frame_seconds(patch: int, frame: int) -> float:
    """Song time of the centre of mel frame ``frame`` of patch ``patch``."""
    return frame_centre_sample(patch, frame) / SAMPLE_RATE


def band_hz(band: int) -> float:
    """Centre frequency (the filter's peak) of mel band ``band`` (0 = lowest)."""
    if not 0 <= band < N_MELS:
        raise ValueError(f"no mel band {band}: bands run 0-{N_MELS - 1}")
    return float(BAND_CENTRES_HZ[band])


@dataclass(frozen=True)
class MelPatches:
    """A song made ready for the tagger."""

    patches: np.ndarray
    """float32 (patches, 187, 96) log-mel, in time order."""
    short_clip: bool
    """Shorter than one patch: the one patch repeats the clip."""

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of each patch."""
        return [(i * PATCH_SECONDS, (i + 1) * PATCH_SECONDS) for i in range(len(self.patches))]


def log_mel(samples: np.ndarray) -> np.ndarray:
    """float32 (frames, 96) log-compressed mel spectrogram of float32 mono 16 kHz ``samples``."""
    if samples.ndim != 1 or samples.shape[0] == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {samples.shape}")
    power = np.abs(stft(samples, FFT_SIZE, HOP_LENGTH, hann(FFT_SIZE))) ** 2.0
    mel = np.einsum("...ft,mf->...mt", power, _filter_bank(), optimize=True).T
    quantised = mel.astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * quantised + np.float32(1))


@functools.cache
def _filter_bank() -> np.ndarray:
    """float32 (96, 257): ``librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)``, triangles between
    `BAND_EDGES_HZ` over the FFT bins, each scaled to unit area (Slaney's normalisation)."""
    weights = np.zeros((N_MELS, 1 + FFT_SIZE // 2), dtype=np.float32)
    fft_hz = np.fft.rfftfreq(n=FFT_SIZE, d=1.0 / SAMPLE_RATE)
    widths = np.diff(BAND_EDGES_HZ)
    ramps = np.subtract.outer(BAND_EDGES_HZ, fft_hz)
    for band in range(N_MELS):
        rising = -ramps[band] / widths[band]
        falling = ramps[band + 2] / widths[band + 1]
        weights[band] = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (BAND_EDGES_HZ[2 : N_MELS + 2] - BAND_EDGES_HZ[:N_MELS]))[:, np.newaxis]
    return weights


def patches(spectrogram: np.ndarray) -> MelPatches:
    """Non-overlapping 187-frame patches of a (frames, 96) log-mel spectrogram."""
    frames = spectrogram.shape[0]
    if frames < PATCH_FRAMES:
        repeats = -(-PATCH_FRAMES // frames)
        filled = np.tile(spectrogram, (repeats, 1))[:PATCH_FRAMES]
        return MelPatches(np.ascontiguousarray(filled[np.newaxis], dtype=np.float32), True)
    count = frames // PATCH_FRAMES
    cut = spectrogram[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)
    return MelPatches(np.ascontiguousarray(cut, dtype=np.float32), False)


def tagger_patches(samples: np.ndarray) -> MelPatches:
    """`patches` of `log_mel`: 16 kHz mono samples to the tagger's input."""
    return patches(log_mel(samples))
