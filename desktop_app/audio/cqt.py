"""The reference constant-Q spectrogram, in dB relative to the loudest bin of the whole song.

The reference computes ``librosa.power_to_db(np.abs(librosa.cqt(y, sr=22050)) ** 2, ref=np.max)``
with every parameter at librosa 0.11's default, written out here so that nothing can silently
change what the network sees: hop 512, fmin C1 (32.70 Hz), 84 bins, 12 per octave, tuning 0.0
(librosa does not estimate it), filter scale 1, L1-normalised Hann filters sparsified at 0.01,
lengths scaled, zero padding, soxr_hq resampling; then amin 1e-10 and top_db 80, so every value
lies in [-80, 0].

It is librosa's recursive-downsampling CQT restated in numpy, scipy (fft, sparse) and soxr, with
librosa's own arithmetic (the same float64 and complex64 steps, the same sparse products), so its
output is librosa's bit for bit (tests/audio/test_librosa_port.py). librosa is not imported: it
imports numba, whose first use compiles for tens of seconds on a new machine, in a new bundle and
after every upgrade, and that was the first analysis's and the first spectrogram's wait.

How librosa computes it: the top octave's 12 filters are applied to an STFT (plain framing, an
FFT as long as the longest filter, hop 512) as a sparse product with the filters' spectra; then
the signal is halved in rate by soxr (and scaled by sqrt 2) and the hop halved, and the next
octave's filters, at the same length relative to the halved rate, go over it; seven octaves.
Each bin is finally divided by the square root of its filter's length at 22,050 Hz. (librosa's
"early downsampling" before the first octave does not apply to these parameters: the top filter
reaches 4.1 kHz, too close to the 11 kHz Nyquist frequency for a halving.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.sparse
import soxr

from desktop_app.audio.cqt_layout import BINS_PER_OCTAVE, FMIN_HZ, HOP_LENGTH, N_BINS, SAMPLE_RATE
from desktop_app.audio.stft import hann, stft

TOP_DB = 80.0
N_OCTAVES = -(-N_BINS // BINS_PER_OCTAVE)
SPARSITY = 0.01
"""Each filter's spectrum loses its smallest values, up to 1 % of its L1 mass (librosa's default)."""


@dataclass(frozen=True)
class _Octave:
    """One octave's filters, as spectra to multiply an STFT of ``n_fft`` with."""

    n_fft: int
    spectra: scipy.sparse.csr_matrix
    """complex64 (12, 1 + n_fft // 2)."""


def frame_count(sample_count: int) -> int:
    """CQT frames of a signal of ``sample_count`` samples (librosa centres its frames)."""
    return 1 + sample_count // HOP_LENGTH


def cqt_power(samples: np.ndarray) -> np.ndarray:
    """float32 (84, frames) power ``|C|**2`` of float32 mono 22,050 Hz ``samples``, before dB."""
    if samples.ndim != 1 or samples.shape[0] == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {samples.shape}")
    octaves, length_scale = _filters()
    responses = []
    signal, hop = samples, HOP_LENGTH
    for index, octave in enumerate(octaves):
        if index:
            signal, hop = _half_rate(signal), hop // 2
        spectrum = stft(signal, octave.n_fft, hop, np.ones(octave.n_fft, dtype=np.float64))
        responses.append(octave.spectra.dot(spectrum))
    frames = min(response.shape[1] for response in responses)
    spectrum = np.empty((N_BINS, frames), dtype=np.complex64, order="F")
    for index, response in enumerate(responses):
        spectrum[N_BINS - BINS_PER_OCTAVE * (index + 1) : N_BINS - BINS_PER_OCTAVE * index] = response[:, :frames]
    spectrum /= length_scale
    return np.abs(spectrum) ** 2


def cqt_db(samples: np.ndarray) -> np.ndarray:
    """float32 (84, frames) dB spectrogram of float32 mono 22,050 Hz ``samples``."""
    power = cqt_power(samples)
    db = _power_to_db(power, np.max(power))
    return np.maximum(db, db.max() - TOP_DB)


def power_db(power: np.ndarray, reference: float) -> np.ndarray:
    """Some frames of a song's `cqt_power` in dB as `cqt_db` gives them, ``reference`` being the
    power of the song's loudest bin: the same values as `cqt_db` of the whole song has there.

    (``power_to_db`` clips at 80 dB below the loudest value *of the array it is given*; the whole
    song's loudest value is 0 dB, so the floor is -80 dB whatever part of it is converted.)
    """
    db = _power_to_db(power, np.abs(np.float32(reference)))  # float32, as np.max gives
    return np.maximum(db, np.float32(-TOP_DB))


def _power_to_db(power: np.ndarray, reference: np.floating) -> np.ndarray:
    """``librosa.power_to_db(power, ref=reference, amin=1e-10, top_db=None)``."""
    db: np.ndarray = 10.0 * np.log10(np.maximum(1e-10, power))
    db -= 10.0 * np.log10(np.maximum(1e-10, reference))
    return db


def _half_rate(signal: np.ndarray) -> np.ndarray:
    """``librosa.resample(signal, orig_sr=2, target_sr=1, res_type="soxr_hq", scale=True)``."""
    ratio = 1 / 2
    halved = soxr.resample(signal, 2, 1, quality="soxr_hq")
    length = int(np.ceil(signal.shape[0] * ratio))
    if halved.shape[0] < length:
        halved = np.pad(halved, (0, length - halved.shape[0]), mode="constant")
    halved = halved[:length]
    halved /= np.sqrt(ratio)
    return np.asarray(halved, dtype=signal.dtype)


@functools.cache
def _filters() -> tuple[tuple[_Octave, ...], np.ndarray]:
    """Each octave's filters (the top one first) and the final (84, 1) length scale.

    librosa rebuilds them on every call; they depend only on the constants, so they are built once.
    """
    ratios = 2.0 ** ((0.0 + np.arange(0, BINS_PER_OCTAVE, dtype=float)) / BINS_PER_OCTAVE)
    octave_ratios = 2.0 ** np.arange(float(N_OCTAVES))
    frequencies = np.sort(np.multiply.outer(octave_ratios, ratios).flatten()[:N_BINS]) * FMIN_HZ
    bandwidths = _relative_bandwidths(frequencies)
    octaves = []
    rate: float = SAMPLE_RATE
    for index in range(N_OCTAVES):
        top = N_BINS - BINS_PER_OCTAVE * index
        octaves.append(_octave(frequencies[top - BINS_PER_OCTAVE : top], bandwidths[top - BINS_PER_OCTAVE : top], rate))
        rate /= 2.0
    lengths = _filter_lengths(frequencies, bandwidths, SAMPLE_RATE)
    return tuple(octaves), np.sqrt(lengths)[:, np.newaxis]


def _relative_bandwidths(frequencies: np.ndarray) -> np.ndarray:
    """librosa's ``filters._relative_bandwidth``: from the local octave resolution at each bin."""
    per_octave = np.empty_like(frequencies)
    log_f = np.log2(frequencies)
    per_octave[0] = 1 / (log_f[1] - log_f[0])
    per_octave[-1] = 1 / (log_f[-1] - log_f[-2])
    per_octave[1:-1] = 2 / (log_f[2:] - log_f[:-2])
    return (2.0 ** (2 / per_octave) - 1) / (2.0 ** (2 / per_octave) + 1)


def _filter_lengths(frequencies: np.ndarray, bandwidths: np.ndarray, rate: float) -> np.ndarray:
    """librosa's ``filters.wavelet_lengths`` with filter scale 1 and gamma 0 (a constant Q)."""
    q = 1.0 / bandwidths
    return q * rate / (frequencies + 0 / bandwidths)


def _octave(frequencies: np.ndarray, bandwidths: np.ndarray, rate: float) -> _Octave:
    """librosa's ``__vqt_filter_fft``: L1-normalised complex Hann filters, centred, zero-padded to a
    power of two, scaled by length / n_fft, to the frequency domain, sparsified, rescaled for the rate."""
    lengths = _filter_lengths(frequencies, bandwidths, rate)
    filters = []
    for length, frequency in zip(lengths, frequencies):
        angles = np.arange(-length // 2, length // 2, dtype=float) * 2 * np.pi * frequency / rate
        filter_ = np.cos(angles) + 1j * np.sin(angles)
        filter_ *= hann(len(filter_))
        filter_ = filter_ / np.sum(np.abs(filter_).astype(float), axis=0, keepdims=True)
        filters.append(filter_)
    n_fft = int(2.0 ** (np.ceil(np.log2(max(lengths)))))
    basis = np.asarray([_pad_centre(f, n_fft) for f in filters], dtype=np.complex64)
    basis *= lengths[:, np.newaxis] / float(n_fft)
    spectra = scipy.fft.fft(basis, n=n_fft, axis=1)[:, : (n_fft // 2) + 1]
    sparse = scipy.sparse.csr_matrix(_sparsified(spectra))
    sparse.data *= np.sqrt(SAMPLE_RATE / rate)
    return _Octave(n_fft, sparse)


def _pad_centre(filter_: np.ndarray, size: int) -> np.ndarray:
    before = (size - filter_.shape[0]) // 2
    return np.pad(filter_, (before, size - filter_.shape[0] - before), mode="constant")


def _sparsified(spectra: np.ndarray) -> np.ndarray:
    """librosa's ``util.sparsify_rows``: each row keeps its values at or above the magnitude below
    which lies `SPARSITY` of the row's L1 mass; the rest become zeros."""
    magnitudes = np.abs(spectra)
    norms = np.sum(magnitudes, axis=1, keepdims=True)
    in_order = np.sort(magnitudes, axis=1)
    cumulative = np.cumsum(in_order / norms, axis=1)
    thresholds = np.argmin(cumulative < SPARSITY, axis=1)
    kept = np.zeros_like(spectra)
    for row, threshold in enumerate(thresholds):
        keep = magnitudes[row] >= in_order[row, threshold]
        kept[row, keep] = spectra[row, keep]
    return kept
