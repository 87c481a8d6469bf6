"""Running work off the GUI thread on a QThreadPool and getting its results back safely.

A `Job` runs a plain function on a pool thread. Its progress, result or exception come back as
signals of a relay object that lives on the GUI thread, connected to the relay's own slot, so
the callbacks always run on the GUI thread whatever the caller connected. Progress is throttled
at the source: a worker reporting for every file cannot flood the event loop.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between progress signals of one job
BACKGROUND_NICENESS = 10
"""How much lower than the window the long background work runs (the analysis, a scan's readers).

On two cores a drop read by two processes while an analysis runs left the GUI thread waiting
tens of milliseconds at a time for a core (its run-queue time, /proc/thread-self/schedstat). At a
lower priority they take only what the window leaves, and all of it when it is idle."""


def lower_thread_priority(niceness: int = BACKGROUND_NICENESS) -> None:
    """Run the calling thread (Linux: only it, and the threads it starts) at least ``niceness`` lower."""
    if not hasattr(os, "setpriority"):
        return
    try:
        thread = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, thread) < niceness:
            os.setpriority(os.PRIO_PROCESS, thread, niceness)
    except OSError:  # not allowed here: run at the usual priority
        pass


def describe(error: BaseException) -> str:
    """One line for the status bar: the message, or the exception's name when it has none."""
    return str(error).strip() or type(error).__name__


class JobContext:
    """What the work function gets: cancellation and throttled progress reporting."""

    def __init__(self, relay: _Relay, cancelled: threading.Event) -> None:
        self._relay = relay
        self._cancelled = cancelled
        self._last_report = 0.0

    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def report(self, progress: object, *, force: bool = False) -> bool:
        """Send ``progress`` to the GUI unless one was sent less than 0.1 s ago (``force`` sends anyway).

        Returns whether it was sent, so a worker can keep what a dropped report carried.
        """
        now = time.monotonic()
        if not force and now - self._last_report < PROGRESS_INTERVAL:
            return False
        self._last_report = now
        self._relay.raw.emit("progress", progress)
        return True


class _Relay(QObject):
    """Carries a job's events across threads; created on, and delivering on, the GUI thread."""

    raw = Signal(str, object)

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self.raw.connect(self._deliver)

    @Slot(str, object)
    def _deliver(self, kind: str, payload: object) -> None:
        self._job._deliver(kind, payload)


class Job:
    """One piece of work for the pool; ``on_done``/``on_failed``/``on_progress`` run on the GUI thread.

    Not a QRunnable: the pool runs ``job.run`` through a runnable Qt owns and deletes itself, so
    releasing a job on the GUI thread when its result arrives can never free a C++ object that
    its pool thread is still returning through.
    """

    def __init__(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self._work = work
        self._callbacks = {"done": on_done, "failed": on_failed, "progress": on_progress}
        self._cancel_event = threading.Event()
        self._relay = _Relay(self)
        self._finished = threading.Event()
        self.on_settled: Callable[[Job], None] | None = None

    def cancel(self) -> None:
        self._cancel_event.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel_event.is_set()

    def run(self) -> None:
        context = JobContext(self._relay, self._cancel_event)
        try:
            try:
                result = self._work(context)
            except Exception as exc:  # reported to the user, never a crash dialog
                log.exception("%s failed", self.name)  # the person sees one line; the log keeps it all
                self._relay.raw.emit("failed", exc)
            else:
                self._relay.raw.emit("done", result)
        except RuntimeError:  # the relay was deleted: the window closed without waiting for us
            log.debug("%s finished after its window was gone", self.name)
        finally:
            self._finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``run`` has returned (for shutdown and tests)."""
        return self._finished.wait(timeout)

    def _deliver(self, kind: str, payload: object) -> None:
        callback = self._callbacks[kind]
        try:
            if callback is not None:
                callback(payload)  # type: ignore[arg-type]  # each kind's callback gets its kind's payload
        finally:
            if kind != "progress" and self.on_settled is not None:
                self.on_settled(self)


class JobRunner(QObject):
    """Starts jobs on a pool, keeps them alive until their results are delivered, cancels them all."""

    busyChanged = Signal(bool)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool if pool is not None else QThreadPool(self)
        self._jobs: set[Job] = set()
        self.closed = False

    def start(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> Job:
        job = Job(work, name=name, on_done=on_done, on_failed=on_failed, on_progress=on_progress)
        if self.closed:  # shutting down: the job is cancelled and never runs
            job.cancel()
            return job
        job.on_settled = self._settled
        was_busy = bool(self._jobs)
        self._jobs.add(job)
        self.pool.start(job.run)
        if not was_busy:
            self.busyChanged.emit(True)
        return job

    def _settled(self, job: Job) -> None:
        self._jobs.discard(job)
        if not self._jobs:
            self.busyChanged.emit(False)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel everything, refuse new jobs, and wait for the pool threads to return (at exit)."""
        self.closed = True
        self.cancel_all()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)


class CoalescingJob(QObject):
    """A query re-run whenever something changed, at most one run at a time and runs well apart.

    ``request()`` may be called thousands of times while a scan writes: requests made while a run
    is in flight fold into one more run after it, and consecutive runs start at least
    ``min_interval_ms`` apart. ``request(now=True)`` is for what the user just did (a search, a
    sort): it skips that spacing, so the answer is never held back by the throttle meant for
    background changes, but still folds into the run in flight. ``make_work`` is called on the
    GUI thread at the start of each run, so the work sees the state of that moment.
    """

    def __init__(
        self,
        jobs: JobRunner,
        name: str,
        make_work: Callable[[], Callable[[JobContext], Any]],
        on_done: Callable[[Any], None],
        on_failed: Callable[[Exception], None] | None = None,
        min_interval_ms: int = 150,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._name = name
        self._make_work = make_work
        self._on_done = on_done
        self._on_failed = on_failed
        self._min_interval_ms = min_interval_ms
        self._running = False
        self._dirty = False
        self._urgent = False
        """The owed run was asked for with ``now``: start it as soon as the one in flight ends."""
        self._last_start = -1e9
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)
        self.runs = 0

    def request(self, *, now: bool = False) -> None:
        if self._running:
            self._dirty = True
            self._urgent = self._urgent or now
        elif now:
            self._timer.start(0)  # next event-loop turn: a burst of requests still makes one run
        elif not self._timer.isActive():
            wait_ms = self._min_interval_ms - (time.monotonic() - self._last_start) * 1000
            self._timer.start(max(0, int(wait_ms)))

    @property
    def pending(self) -> bool:
        """True while a run is scheduled, running, or owed."""
        return self._running or self._dirty or self._timer.isActive()

    def _run(self) -> None:
        if self._jobs.closed:
            return
        self._running = True
        self._dirty = False
        self._urgent = False
        self._last_start = time.monotonic()
        self.runs += 1
        self._jobs.start(self._make_work(), name=self._name, on_done=self._done, on_failed=self._failed)

    def _done(self, result: Any) -> None:
        self._settle()
        self._on_done(result)

    def _failed(self, error: Exception) -> None:
        self._settle()
        if self._on_failed is not None:
            self._on_failed(error)

    def _settle(self) -> None:
        self._running = False
        if self._dirty:
            urgent, self._dirty, self._urgent = self._urgent, False, False
            self.request(now=urgent)
