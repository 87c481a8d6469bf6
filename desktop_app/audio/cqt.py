"""The reference constant-Q spectrogram, in dB relative to the loudest bin of the whole song.

Every parameter is librosa 0.11's default, written out so that a change of library default
cannot silently change what the network sees: 22,050 Hz, hop 512, fmin C1 (32.70 Hz), 84 bins,
12 per octave, tuning 0.0 (librosa does not estimate it), then ``power_to_db(|C|**2, ref=max)``
with amin 1e-10 and top_db 80, so every value lies in [-80, 0].
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np

SAMPLE_RATE = 22050
HOP_LENGTH = 512
N_BINS = 84
BINS_PER_OCTAVE = 12
FMIN_HZ = float(librosa.note_to_hz("C1"))
TOP_DB = 80.0

# librosa zero-pads clips shorter than about a second and says so once per octave. That is the
# defined short-clip behaviour here, not news for the user. The filter is installed once and as
# narrowly as possible: catch_warnings is not thread-safe, and tracks are prepared in threads.
warnings.filterwarnings(
    "ignore",
    message=r"n_fft=\d+ is too large for input signal",
    category=UserWarning,
    module=r"librosa\.core\.spectrum",
)


def frame_count(sample_count: int) -> int:
    """CQT frames of a signal of ``sample_count`` samples (librosa centres its frames)."""
    return 1 + sample_count // HOP_LENGTH


def cqt_power(samples: np.ndarray) -> np.ndarray:
    """float32 (84, frames) power ``|C|**2`` of float32 mono 22,050 Hz ``samples``, before dB."""
    if samples.ndim != 1 or samples.shape[0] == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {samples.shape}")
    spectrum = librosa.cqt(
        samples,
        sr=SAMPLE_RATE,
        hop_length=HOP_LENGTH,
        fmin=FMIN_HZ,
        n_bins=N_BINS,
        bins_per_octave=BINS_PER_OCTAVE,
        tuning=0.0,
    )
    return np.abs(spectrum) ** 2


def cqt_db(samples: np.ndarray) -> np.ndarray:
    """float32 (84, frames) dB spectrogram of float32 mono 22,050 Hz ``samples``."""
    return librosa.power_to_db(cqt_power(samples), ref=np.max)


def power_db(power: np.ndarray, reference: float) -> np.ndarray:
    """Some frames of a song's `cqt_power` in dB as `cqt_db` gives them, ``reference`` being the
    power of the song's loudest bin: the same values as `cqt_db` of the whole song has there.

    (``power_to_db`` clips at 80 dB below the loudest value *of the array it is given*; the whole
    song's loudest value is 0 dB, so the floor is -80 dB whatever part of it is converted.)
    """
    db = librosa.power_to_db(power, ref=np.float32(reference), top_db=None)  # float32, as np.max gives
    return np.maximum(db, np.float32(-TOP_DB))
