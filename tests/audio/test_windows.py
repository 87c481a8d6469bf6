"""The 11.4 s window arithmetic, checked against the reference demo's own lines."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.audio.cqt import HOP_LENGTH, SAMPLE_RATE, frame_count
from desktop_app.audio.windows import WINDOW_SECONDS, split_windows, window_layout


def reference_windows(total_frames: int, sample_count: int) -> list[tuple[int, int]]:
    """The reference demo's loop, verbatim apart from names: (first frame, end frame) per window."""
    dur = sample_count / 22050
    step = int(11.4 * total_frames / dur)
    count = int(total_frames / step)
    begin = int(0.5 * (total_frames - count * step))
    end = begin + step * count
    return [(i, i + step) for i in range(begin, end, step)]


def synthetic_spectrogram(sample_count: int) -> np.ndarray:
    """A (84, frames) array with the frame count librosa.cqt gives, without computing a CQT."""
    frames = frame_count(sample_count)
    return np.arange(84 * frames, dtype=np.float32).reshape(84, frames)


@pytest.mark.parametrize("seconds", [11.4, 11.41, 11.5, 22.8, 30.0, 61.7, 180.0, 300.0, 3600.0])
def test_windows_are_the_reference_windows(seconds):
    sample_count = round(seconds * SAMPLE_RATE)
    spectrogram = synthetic_spectrogram(sample_count)
    windows = split_windows(spectrogram, sample_count)
    expected = reference_windows(spectrogram.shape[1], sample_count)
    assert not windows.layout.short_clip
    assert len(expected) == windows.layout.count == windows.frames.shape[0] == len(windows.bounds)
    for (first, end), frames in zip(expected, windows.frames):
        np.testing.assert_array_equal(frames, spectrogram[:, first:end])


def test_known_counts():
    # About 491 frames per window; a 300 s song gives 26 centred windows.
    layout = window_layout(frame_count(300 * SAMPLE_RATE), 300 * SAMPLE_RATE)
    assert (layout.step, layout.count) == (490, 26)
    leftover = frame_count(300 * SAMPLE_RATE) - layout.count * layout.step
    assert layout.begin == leftover // 2
    assert window_layout(frame_count(30 * SAMPLE_RATE), 30 * SAMPLE_RATE).count == 2


def test_windows_are_views_of_the_spectrogram():
    sample_count = 60 * SAMPLE_RATE
    spectrogram = synthetic_spectrogram(sample_count)
    windows = split_windows(spectrogram, sample_count)
    assert np.shares_memory(windows.frames, spectrogram)
    assert windows.frames.shape == (windows.layout.count, 84, windows.layout.step)


def test_bounds_are_the_frames_times():
    sample_count = 100 * SAMPLE_RATE
    windows = split_windows(synthetic_spectrogram(sample_count), sample_count)
    layout = windows.layout
    seconds_per_frame = HOP_LENGTH / SAMPLE_RATE
    first_end = layout.begin + layout.step
    assert windows.bounds[0] == pytest.approx((layout.begin * seconds_per_frame, first_end * seconds_per_frame))
    for (start, end), (next_start, _) in zip(windows.bounds, windows.bounds[1:]):
        assert end == pytest.approx(next_start)
        assert end - start == pytest.approx(WINDOW_SECONDS, abs=0.03)
    assert windows.bounds[-1][1] <= 100.0


@pytest.mark.parametrize("seconds", [11.3, 5.0, 1.0, 0.01, 1 / SAMPLE_RATE])
def test_a_clip_shorter_than_a_window_is_one_whole_clip_window(seconds):
    sample_count = max(1, round(seconds * SAMPLE_RATE))
    spectrogram = synthetic_spectrogram(sample_count)
    assert reference_windows(spectrogram.shape[1], sample_count) == []  # the reference crashes here
    windows = split_windows(spectrogram, sample_count)
    assert windows.layout.short_clip
    assert windows.frames.shape == (1, 84, spectrogram.shape[1])
    np.testing.assert_array_equal(windows.frames[0], spectrogram)
    assert windows.bounds == [(0.0, sample_count / SAMPLE_RATE)]


def test_no_audio_no_windows():
    with pytest.raises(ValueError, match="empty audio"):
        window_layout(0, 0)
