"""Note names and frequencies (equal temperament, A4 = 440 Hz), with librosa 0.11's arithmetic.

The CQT starts at ``librosa.note_to_hz("C1")`` and explanations name notes as
``librosa.hz_to_note(hz, unicode=False)`` does; these two formulas are all that was used of
librosa's pitch conversions, restated so that nothing on the audio path imports librosa (and
numba behind it). tests/audio/test_librosa_port.py holds them to librosa's results.
"""

from __future__ import annotations

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
"""The names ``hz_to_note(..., unicode=False)`` gives in C major: sharps, no flats."""


def midi_to_hz(midi: float) -> float:
    """Hz of MIDI note ``midi`` (69 = A4 = 440 Hz): ``librosa.midi_to_hz``."""
    return float(440.0 * (2.0 ** ((np.float64(midi) - 69.0) / 12.0)))


def hz_to_note(hz: float) -> str:
    """The nearest note's scientific pitch name ("A4" for 440 Hz): ``librosa.hz_to_note(hz, unicode=False)``."""
    midi = 12 * (np.log2(np.float64(hz)) - np.log2(440.0)) + 69
    number = int(np.round(midi))
    return f"{NOTE_NAMES[number % 12]}{int(number / 12) - 1}"
