"""Computing a track's whole-song CQT off the GUI thread, with a small cache.

Decoding and the CQT of a song take a second or more, so they run on a one-thread `QThreadPool`;
one thread because only the latest request matters and a second thread would only compete with
the analysis workers on two cores. A result reaches the GUI thread by a queued signal and is
delivered only if it is still the one asked for: a user clicking through tracks sees the last one,
never a late result for an earlier one. Jobs that became stale before starting are skipped;
finished stale results still go into the cache.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

log = logging.getLogger(__name__)

CacheKey = tuple[str, int, int]  # path, mtime_ns, size: an edited file is recomputed


@dataclass(frozen=True, eq=False)
class Spectrogram:
    """A song's dB CQT as the analysis sees it, with the times of its analysis windows."""

    path: str
    db: np.ndarray
    """float32 (84, frames) in [-80, 0] dB; row 0 is C1, frame k is at ``k * frame_seconds``."""
    duration: float
    frame_seconds: float
    window_bounds: tuple[tuple[float, float], ...]
    silent: bool

    @property
    def frames(self) -> int:
        return int(self.db.shape[1])


class SpectrogramError(Exception):
    """The file could not be turned into a spectrogram; the message is meant for the user."""


def compute_spectrogram(path: str) -> Spectrogram:
    """Decode ``path`` and compute its dB CQT and window layout; runs on a worker thread."""
    # Imported here: these pull in scipy and soxr, which must not slow down the window's start-up.
    from desktop_app.audio.cqt import cqt_db
    from desktop_app.audio.cqt_layout import HOP_LENGTH, SAMPLE_RATE
    from desktop_app.audio.decode import AudioDecodeError, decode_audio
    from desktop_app.audio.windows import split_windows

    try:
        decoded = decode_audio(path)
    except AudioDecodeError as exc:
        raise SpectrogramError(f"Cannot read this file: {exc.reason}.") from exc
    samples = decoded.samples
    db = np.ascontiguousarray(cqt_db(samples), dtype=np.float32)
    windows = split_windows(db, samples.shape[0])
    return Spectrogram(
        path=path,
        db=db,
        duration=samples.shape[0] / SAMPLE_RATE,
        frame_seconds=HOP_LENGTH / SAMPLE_RATE,
        window_bounds=tuple(windows.bounds),
        # ref=max of pure silence makes every bin 0 dB; the view draws it black and says so. A
        # bare DC offset is silent too (as the analysis says), though resampling leaves edge ripple.
        silent=decoded.constant or bool(np.ptp(db) == 0.0),
    )


class _JobSignals(QObject):
    # key, Spectrogram or None, error message
    done = Signal(object, object, str)


class _Job:
    """Run through ``QThreadPool.start(job.run)``, so Qt owns (and deletes) the runnable itself
    and dropping the job when its result arrives frees nothing its pool thread still uses."""

    def __init__(
        self,
        key: CacheKey,
        compute: Callable[[str], Spectrogram],
        signals: _JobSignals,
        wanted: Callable[[CacheKey], bool],
    ) -> None:
        self._key = key
        self._compute = compute
        self._signals = signals
        self._wanted = wanted

    def run(self) -> None:
        if not self._wanted(self._key):
            self._signals.done.emit(self._key, None, "")
            return
        try:
            result, error = self._compute(self._key[0]), ""
        except SpectrogramError as exc:
            result, error = None, str(exc)
        except Exception as exc:  # a bug or an odd file must not kill the worker or reach the user raw
            log.exception("spectrogram of %s failed", self._key[0])
            result, error = None, f"Cannot compute the spectrogram: {type(exc).__name__}: {exc}"
        self._signals.done.emit(self._key, result, error)


class SpectrogramLoader(QObject):
    """Ask with `request(path)`; get `ready` or `failed` for the latest request only."""

    ready = Signal(object)  # Spectrogram
    failed = Signal(str, str)  # path, message for the user

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        cache_size: int = 6,
        cache_bytes: int = 128 * 1024 * 1024,
        compute: Callable[[str], Spectrogram] = compute_spectrogram,
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._compute = compute
        self._cache: OrderedDict[CacheKey, Spectrogram] = OrderedDict()
        # Both bounds: a few recent songs, but never more than ~128 MB (an hour-long mix is ~50 MB).
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self._jobs: dict[CacheKey, _Job] = {}
        self._latest: CacheKey | None = None
        # Unparented: a job may still emit after the loader is gone; Qt then just drops the signal.
        self._signals = _JobSignals()
        self._signals.done.connect(self._on_done)

    def request(self, path: str) -> None:
        """Start loading ``path``; a cached result is delivered before this returns."""
        try:
            info = os.stat(path)
        except OSError as exc:
            self._latest = None
            reason = "file not found" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
            self.failed.emit(path, f"Cannot read this file: {reason}.")
            return
        key: CacheKey = (path, info.st_mtime_ns, info.st_size)
        self._latest = key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.ready.emit(cached)
        elif key not in self._jobs:
            job = _Job(key, self._compute, self._signals, self._is_latest)
            self._jobs[key] = job
            self._pool.start(job.run)

    def cancel(self) -> None:
        """Forget the pending request (e.g. no track is shown any more)."""
        self._latest = None

    def cached(self, path: str) -> Spectrogram | None:
        """The cached spectrogram of ``path`` if any (whatever its mtime); for tests and reuse."""
        return next((s for k, s in reversed(self._cache.items()) if k[0] == path), None)

    def wait_for_idle(self, msecs: int = -1) -> bool:
        """Block until no job runs (tests, shutdown); results still arrive through the event loop."""
        return self._pool.waitForDone(msecs)

    def _is_latest(self, key: CacheKey) -> bool:
        return key == self._latest

    def _on_done(self, key: CacheKey, result: Spectrogram | None, error: str) -> None:
        self._jobs.pop(key, None)
        if result is not None:
            self._cache[key] = result
            self._cache.move_to_end(key)
            while len(self._cache) > 1 and (
                len(self._cache) > self._cache_size
                or sum(s.db.nbytes for s in self._cache.values()) > self._cache_bytes
            ):
                self._cache.popitem(last=False)
        if key != self._latest:
            return
        if result is not None:
            self.ready.emit(result)
        elif error:
            self.failed.emit(key[0], error)
        else:  # skipped as stale, then asked for again before the skip arrived
            self.request(key[0])
