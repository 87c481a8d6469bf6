"""librosa 0.11's centred short-time Fourier transform, in numpy alone: the CQT and the mel share it.

``librosa.stft`` is what both spectrograms are built on, and librosa imports numba, whose first
use compiles for tens of seconds on a new machine (or a new bundle). The few lines that matter are
restated here with librosa's arithmetic, so the results are librosa's bit for bit
(tests/audio/test_librosa_port.py): the signal is zero-padded by ``n_fft // 2`` on both sides,
frame j starts at sample ``j * hop`` of the padded signal (so it is centred on sample ``j * hop``
of the song), each frame is multiplied by the float64 window and transformed by ``scipy.fft.rfft``
(librosa's FFT library; numpy's rounds differently) in float64, and the result is stored as
complex64 (what librosa gives float32 samples).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

BLOCK_BYTES = 2**8 * 2**10
"""Frames are windowed and transformed a block of about this many input bytes at a time, as
librosa does (its ``MAX_MEM_BLOCK``): the float64 temporaries stay small on long songs."""


def hann(length: int) -> np.ndarray:
    """The periodic ("fftbins") Hann window, float64, as ``scipy.signal.get_window('hann', length)``
    computes it (scipy.signal itself takes most of a second to import)."""
    if length <= 1:
        return np.ones(length, dtype=np.float64)
    angles = np.linspace(-np.pi, np.pi, length + 1, dtype=np.float64)
    window = np.zeros(length + 1, dtype=np.float64)
    window += np.float64(0.5) * np.cos(0 * angles)
    window += np.float64(0.5) * np.cos(1 * angles)
    return window[:-1]


def stft(samples: np.ndarray, n_fft: int, hop: int, window: np.ndarray) -> np.ndarray:
    """complex64 (1 + n_fft // 2, 1 + len(samples) // hop) centred STFT of float32 mono ``samples``.

    ``window``: float64 (n_fft,) (`hann`, or ones for the CQT's plain framing).
    """
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {samples.shape}")
    if window.shape != (n_fft,):
        raise ValueError(f"expected a window of {n_fft} samples, got shape {window.shape}")
    padded = np.pad(samples, (n_fft // 2, n_fft // 2), mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    spectrum = np.empty((frames.shape[0], 1 + n_fft // 2), dtype=np.complex64)
    block = max(1, BLOCK_BYTES // (n_fft * samples.itemsize))
    for start in range(0, frames.shape[0], block):
        spectrum[start : start + block] = scipy.fft.rfft(window * frames[start : start + block], axis=-1)
    return spectrum.T
