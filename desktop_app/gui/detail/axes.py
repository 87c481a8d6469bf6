"""pyqtgraph axes that speak music: note names on the CQT bins, mm:ss on time.

The spectrogram's y coordinate is the bin index (bin b spans [b, b+1)), so labels sit at bin
centres. Above the top bin lies the genre lane of the timeline; the note axis names it too.
"""

from __future__ import annotations

import pyqtgraph as pg

from desktop_app.gui.detail.notation import (
    N_BINS,
    format_time,
    note_label_step,
    note_name,
    time_decimals,
    time_tick_spacing,
)


class NoteAxis(pg.AxisItem):
    """Left axis: note names at every C, or more of them when there is room."""

    def __init__(self, lane_centre: float | None = None, lane_label: str = "genre") -> None:
        super().__init__("left")
        self._lane_centre = lane_centre
        self._lane_label = lane_label

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if maxVal <= minVal or size <= 0:
            return []
        step = note_label_step(size / (maxVal - minVal))
        majors = [b + 0.5 for b in range(0, N_BINS, step) if minVal <= b + 0.5 <= maxVal]
        if self._lane_centre is not None and minVal <= self._lane_centre <= maxVal:
            majors.append(self._lane_centre)
        return [(float(step), majors)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._lane_label if v >= N_BINS else note_name(int(v)) for v in values]


class TimeAxis(pg.AxisItem):
    """Bottom axis: mm:ss at 1-2-5 / 15-30-60 second steps, tenths when zoomed in closely."""

    def __init__(self) -> None:
        super().__init__("bottom")

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list:
        if maxVal <= minVal or size <= 0:
            return []
        major, minor = time_tick_spacing(size / (maxVal - minVal))
        return [(major, 0.0)] if minor == major else [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = time_decimals(spacing)
        return [format_time(v, decimals) for v in values]
