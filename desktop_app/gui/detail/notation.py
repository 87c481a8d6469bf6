"""Pure formatting for the spectrogram's axes and readout: frequencies, mm:ss, label steps.

No Qt here, so the rules are tested without a window. The bins' notes and frequencies come from
`audio.cqt_layout`, the layout the spectrogram is computed with (light enough for start-up).
"""

from __future__ import annotations

import math

# Note-label steps that divide an octave and keep every C labelled.
_NOTE_STEPS = (1, 2, 3, 4, 6, 12)
# Time-tick spacings in seconds that read naturally as mm:ss.
_TIME_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def format_frequency(hz: float) -> str:
    return f"{hz / 1000:.2f} kHz" if hz >= 1000 else f"{hz:.1f} Hz"


def format_time(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (``h:mm:ss`` from one hour), with ``decimals`` digits of seconds; negatives → 0.

    Truncates like a media player's clock (59.9 s is still 0:59); the epsilon keeps tick values
    such as 0.3 (stored as 0.29999...) from showing as 0:00.2.
    """
    seconds = max(0.0, seconds)
    scale = 10**decimals
    units = int(math.floor(seconds * scale + 1e-6))
    whole, fraction = divmod(units, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}.{fraction:0{decimals}d}" if decimals else text


def note_label_step(pixels_per_bin: float, min_label_pixels: float = 18.0) -> int:
    """Label every n-th semitone, the smallest n that leaves ``min_label_pixels`` between labels."""
    for step in _NOTE_STEPS:
        if step * pixels_per_bin >= min_label_pixels:
            return step
    return _NOTE_STEPS[-1]


def time_tick_spacing(pixels_per_second: float, min_tick_pixels: float = 70.0) -> tuple[float, float]:
    """(major, minor) tick spacing in seconds for the time axis at this zoom."""
    major_index = len(_TIME_STEPS) - 1
    for i, step in enumerate(_TIME_STEPS):
        if step * pixels_per_second >= min_tick_pixels:
            major_index = i
            break
    major = _TIME_STEPS[major_index]
    divisors = [s for s in _TIME_STEPS[:major_index] if _divides(s, major)]
    return major, (divisors[-1] if divisors else major)


def time_decimals(spacing: float) -> int:
    """Digits of seconds needed so that ticks ``spacing`` apart get distinct labels."""
    return 0 if spacing >= 1 else 1


def _divides(small: float, big: float) -> bool:
    ratio = big / small
    return abs(ratio - round(ratio)) < 1e-9
