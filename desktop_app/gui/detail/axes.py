"""pyqtgraph axes that speak music: note names on the CQT bins, mm:ss on time.

The spectrogram's y coordinate is the bin index (bin b spans [b, b+1)), so labels sit at bin
centres. Above the top bin lie the genre lanes of the timelines; the note axis names them too.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg

from desktop_app.audio.cqt_layout import N_BINS, note_name
from desktop_app.gui.detail.notation import format_time, note_label_step, time_decimals, time_tick_spacing


class NoteAxis(pg.AxisItem):
    """Left axis: note names at every C, or more of them when there is room."""

    def __init__(self, lanes: Sequence[tuple[float, str]] = ()) -> None:
        """``lanes``: (centre, label) of each lane above the top bin."""
        super().__init__("left")
        self._lanes = tuple(lanes)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if maxVal <= minVal or size <= 0:
            return []
        step = note_label_step(size / (maxVal - minVal))
        majors = [b + 0.5 for b in range(0, N_BINS, step) if minVal <= b + 0.5 <= maxVal]
        majors += [centre for centre, _ in self._lanes if minVal <= centre <= maxVal]
        return [(float(step), majors)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._lane_label(v) if v >= N_BINS else note_name(int(v)) for v in values]

    def _lane_label(self, value: float) -> str:
        return min(self._lanes, key=lambda lane: abs(lane[0] - value))[1] if self._lanes else ""


class TimeAxis(pg.AxisItem):
    """Bottom axis: mm:ss at 1-2-5 / 15-30-60 second steps, tenths when zoomed in closely; no label
    before 0:00 (the live view's blank span before listening began)."""

    def __init__(self) -> None:
        super().__init__("bottom")

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list:
        if maxVal <= minVal or size <= 0:
            return []
        major, minor = time_tick_spacing(size / (maxVal - minVal))
        return [(major, 0.0)] if minor == major else [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = time_decimals(spacing)
        return [format_time(v, decimals) if v > -1e-6 else "" for v in values]
