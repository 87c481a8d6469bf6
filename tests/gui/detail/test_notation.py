"""Note names, frequencies and mm:ss on the spectrogram's axes."""

from __future__ import annotations

import pytest

from desktop_app.gui.detail.axes import NoteAxis, TimeAxis
from desktop_app.gui.detail.notation import format_time, note_label_step, time_tick_spacing


@pytest.mark.parametrize(
    ("seconds", "decimals", "text"),
    [
        (0, 0, "0:00"),
        (5.99, 0, "0:05"),
        (65, 0, "1:05"),
        (599.9, 0, "9:59"),
        (3600 + 62, 0, "1:01:02"),
        (0.3, 1, "0:00.3"),
        (59.96, 1, "0:59.9"),
        (-2, 0, "0:00"),
    ],
)
def test_format_time(seconds: float, decimals: int, text: str) -> None:
    assert format_time(seconds, decimals) == text


def test_note_labels_thin_out_when_bins_are_small() -> None:
    assert note_label_step(20) == 1
    assert note_label_step(5) == 4
    assert note_label_step(2) == 12
    assert note_label_step(0.1) == 12


def test_time_ticks_are_musical_steps() -> None:
    assert time_tick_spacing(700 / 40) == (5, 1)  # a 40 s track on 700 px
    assert time_tick_spacing(700 / 300) == (30, 15)
    major, minor = time_tick_spacing(700 / 2)  # zoomed in to 2 s
    assert major == 0.2 and minor == 0.1


def test_note_axis_labels_bin_centres_and_the_genre_lanes(qtbot) -> None:
    axis = NoteAxis([(87.0, "CCMusic"), (91.0, "broad")])
    [(step, values)] = axis.tickValues(0.0, 94.0, 188.0)  # 2 px per bin: every C
    assert step == 12
    labels = axis.tickStrings(values, 1.0, step)
    assert labels == ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "CCMusic", "broad"]
    assert values[:2] == [0.5, 12.5]
    [(step, values)] = axis.tickValues(0.0, 90.0, 1800.0)  # 20 px per bin: every note
    assert step == 1 and axis.tickStrings(values, 1.0, step)[83] == "B7"


def test_time_axis_labels_in_minutes_and_seconds(qtbot) -> None:
    axis = TimeAxis()
    assert axis.tickSpacing(0.0, 300.0, 700.0) == [(30, 0.0), (15, 0.0)]
    assert axis.tickStrings([0.0, 30.0, 90.0, 3600.0], 1.0, 30) == ["0:00", "0:30", "1:30", "1:00:00"]
    assert axis.tickStrings([12.1, 12.2], 1.0, 0.1) == ["0:12.1", "0:12.2"]


def test_time_axis_leaves_times_before_the_start_unlabelled(qtbot) -> None:
    """The live view scrolls in from the left: the blank span before listening began has no times."""
    axis = TimeAxis()
    assert axis.tickStrings([-4.0, -2.0, 0.0, 2.0], 1.0, 2) == ["", "", "0:00", "0:02"]
