"""The CQT's layout: its rate, hop, bins and the notes they stand for. Numbers and note names only.

Apart from `cqt` (which imports scipy and soxr) so that the window's axes and readout
(`gui.detail.notation`) and the explanations name the very bins the spectrogram is computed with,
without paying for the CQT's imports at start-up or restating its layout.
"""

from __future__ import annotations

from desktop_app.audio.pitch import NOTE_NAMES, midi_to_hz

SAMPLE_RATE = 22050
HOP_LENGTH = 512
N_BINS = 84
BINS_PER_OCTAVE = 12
FMIN_MIDI = 24
"""The lowest bin's note: C1."""
FMIN_HZ = midi_to_hz(FMIN_MIDI)
"""C1 (32.70 Hz), as ``librosa.note_to_hz("C1")`` gives it."""


def bin_frequency(bin_index: int) -> float:
    """Centre frequency in Hz of a CQT bin (equal temperament, A4 = 440 Hz, tuning 0): 32.70 Hz
    for bin 0, 440 Hz for bin 45."""
    return FMIN_HZ * 2.0 ** (bin_index / BINS_PER_OCTAVE)


def note_name(bin_index: int) -> str:
    """Scientific pitch name of a CQT bin: 0 → "C1", 45 → "A4", 83 → "B7" (what
    ``librosa.hz_to_note`` names its centre frequency)."""
    midi = FMIN_MIDI + bin_index
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"
