"""Cut a song's dB spectrogram into the 11.4 s windows the network classifies one by one.

The arithmetic is the reference demo's, to the integer::

    dur          = samples / 22050
    step         = int(11.4 * total_frames / dur)     # frames per window, about 491
    count        = int(total_frames / step)
    begin        = int(0.5 * (total_frames - count * step))
    windows      = S[:, begin + k*step : begin + (k+1)*step]  for k in range(count)

so the windows are centred in the song and what is left over is split between both ends.

Clips shorter than 11.4 s give ``count == 0`` and the reference demo crashes. Here such a clip
becomes ONE window covering the whole clip, flagged ``short_clip``: the renderer stretches it
over the same 496-pixel width, exactly as ``specshow`` would draw that shorter array, so the
network sees the clip's own spectrogram, only drawn wider in time than in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.audio.cqt_layout import HOP_LENGTH, SAMPLE_RATE

WINDOW_SECONDS = 11.4


@dataclass(frozen=True)
class WindowLayout:
    """Where the windows lie, in CQT frames."""

    begin: int
    step: int
    count: int
    short_clip: bool


@dataclass(frozen=True)
class Windows:
    """The windows of one song, with their place in it."""

    frames: np.ndarray
    """(count, bins, step) view into the song's dB spectrogram."""
    bounds: list[tuple[float, float]]
    """(start_s, end_s) of each window; frame k stands for the time k * 512 / 22050 s."""
    layout: WindowLayout


def window_layout(total_frames: int, sample_count: int) -> WindowLayout:
    """The reference's step/count/begin, or one whole-clip window when the clip is too short."""
    if total_frames <= 0 or sample_count <= 0:
        raise ValueError("cannot cut windows from empty audio")
    duration = sample_count / SAMPLE_RATE
    step = int(WINDOW_SECONDS * total_frames / duration)
    count = int(total_frames / step)
    if count == 0:
        return WindowLayout(begin=0, step=total_frames, count=1, short_clip=True)
    begin = int(0.5 * (total_frames - count * step))
    return WindowLayout(begin=begin, step=step, count=count, short_clip=False)


def split_windows(cqt_db: np.ndarray, sample_count: int) -> Windows:
    """The song's windows as views of ``cqt_db`` (bins, frames), with their times in seconds."""
    bins, total_frames = cqt_db.shape
    layout = window_layout(total_frames, sample_count)
    span = cqt_db[:, layout.begin : layout.begin + layout.count * layout.step]
    frames = span.reshape(bins, layout.count, layout.step).transpose(1, 0, 2)
    if layout.short_clip:
        bounds = [(0.0, sample_count / SAMPLE_RATE)]
    else:
        seconds_per_frame = HOP_LENGTH / SAMPLE_RATE
        bounds = [
            (first * seconds_per_frame, (first + layout.step) * seconds_per_frame)
            for first in range(layout.begin, layout.begin + layout.count * layout.step, layout.step)
        ]
    return Windows(frames=frames, bounds=bounds, layout=layout)
