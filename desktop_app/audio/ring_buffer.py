"""A bounded first-in first-out buffer of audio frames between a capture thread and its reader.

The sound card does not wait: a capture callback must hand its frames over at once and return.
The reader (the live analysis) drains the buffer at its own pace. If it falls so far behind that
the buffer is full, the oldest frames are dropped rather than memory growing without limit, and
`dropped` counts them so the reader can say that audio was lost.
"""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    """``capacity`` frames of ``channels`` samples of ``dtype``; one writer and one reader thread."""

    def __init__(self, capacity: int, channels: int, dtype: np.dtype | type = np.int16) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError(f"a ring buffer needs a capacity and channels, got {capacity} x {channels}")
        self._data = np.zeros((capacity, channels), dtype=dtype)
        self._lock = threading.Lock()
        self._start = 0
        self._size = 0
        self.dropped = 0
        """Frames overwritten before they were read, since the buffer was made."""

    @property
    def capacity(self) -> int:
        return int(self._data.shape[0])

    @property
    def channels(self) -> int:
        return int(self._data.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __len__(self) -> int:
        return self._size

    def write(self, frames: np.ndarray) -> None:
        """Append (n, channels) frames; when full, the oldest unread frames make room."""
        frames = np.asarray(frames, dtype=self._data.dtype).reshape(-1, self._data.shape[1])
        capacity = self.capacity
        with self._lock:
            if frames.shape[0] >= capacity:
                self.dropped += self._size + frames.shape[0] - capacity
                self._data[:] = frames[-capacity:]
                self._start, self._size = 0, capacity
                return
            overflow = max(0, self._size + frames.shape[0] - capacity)
            if overflow:
                self.dropped += overflow
                self._start = (self._start + overflow) % capacity
                self._size -= overflow
            end = (self._start + self._size) % capacity
            first = min(frames.shape[0], capacity - end)
            self._data[end : end + first] = frames[:first]
            self._data[: frames.shape[0] - first] = frames[first:]
            self._size += frames.shape[0]

    def read(self) -> np.ndarray:
        """Every unread frame, oldest first, as a new (n, channels) array; the buffer is then empty."""
        with self._lock:
            stop = self._start + self._size
            if stop <= self.capacity:
                out = self._data[self._start : stop].copy()
            else:
                out = np.concatenate([self._data[self._start :], self._data[: stop - self.capacity]])
            self._start, self._size = 0, 0
            return out
