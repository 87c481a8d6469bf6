"""Other programs' writes to a shared library, announced as if the window had made them.

A ``genrescope classify`` beside the window on the same SQLite file, or another window or machine
on the same PostgreSQL library, writes analyses, tracks and playlists this window never hears of
through its own `LibraryEvents`. `LibraryWatch` reads the library's `ChangeStamp` on the job pool
every few seconds and emits the matching events for what changed, so the table, the sidebar
counts, the playlists and the detail panel re-read exactly as they do after a local write.

Polling, not PostgreSQL's LISTEN/NOTIFY: it works the same on SQLite (the common case), needs
no trigger in the schema nor a connection held open per window, and a stamp costs about a
millisecond. It is skipped while the window is hidden or minimised; the first tick after it is
shown again catches up.

What the window wrote itself is not announced twice: a part the window announced since the
previous reading began is taken as read. A remote write of the same kind landing in those same
few seconds is shown by the window's own re-read if it committed first, or else with the next
change the stamp sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import JobContext, JobRunner
from desktop_app.library.change_stamp import PARTS, ChangeStamp, read_change_stamp
from desktop_app.library.database import Library

POLL_INTERVAL_MS = 3000
"""How often the library is asked what changed: a result written elsewhere shows within ~3 s."""


class LibraryWatch(QObject):
    """Polls the library's `ChangeStamp` while ``active()`` and emits ``events`` for others' writes."""

    def __init__(
        self,
        library: Library,
        jobs: JobRunner,
        events: LibraryEvents,
        interval_ms: int = POLL_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._jobs = jobs
        self._events = events
        self.active: Callable[[], bool] = lambda: True
        """Whether to poll now (the window sets it: shown and not minimised)."""
        self._stamp: ChangeStamp | None = None
        self._reading = False
        self._read_started = 0.0
        self._announced: dict[str, float] = {}
        """When each part was last announced on ``events`` by anyone but this watch."""
        self._emitting = False
        self.remote_changes = 0
        """How many times others' writes were announced (for tests and the log)."""
        events.tracksChanged.connect(lambda: self._local("tracks"))
        events.analysesChanged.connect(lambda _ids: self._local("analyses"))
        events.playlistsChanged.connect(lambda: self._local("playlists"))
        events.modelsChanged.connect(lambda: self._local("models"))
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        """Take the first reading now, shown or not (what the views' first reads saw), then one every interval."""
        self._read()
        self._timer.start()

    @property
    def stamp(self) -> ChangeStamp | None:
        """The last reading (None before the first has come back)."""
        return self._stamp

    def stop(self) -> None:
        self._timer.stop()

    def _local(self, part: str) -> None:
        if not self._emitting:
            self._announced[part] = time.monotonic()

    def poll(self) -> None:
        """Read the stamp on the pool, unless a reading is in flight or the window is not shown."""
        if self.active():
            self._read()

    def _read(self) -> None:
        if self._reading or self._jobs.closed:
            return
        self._reading = True
        previous_start, self._read_started = self._read_started, time.monotonic()
        library = self._library

        def read(_context: JobContext) -> ChangeStamp:
            with library.engine.connect() as conn:
                return read_change_stamp(conn)

        self._jobs.start(
            read,
            name="library change stamp",
            on_done=lambda stamp: self._compare(stamp, previous_start),
            on_failed=lambda _error: self._settle(),  # the server may be back next time; views report their own
        )

    def _settle(self) -> None:
        self._reading = False

    def _compare(self, stamp: ChangeStamp, previous_start: float) -> None:
        self._reading = False
        earlier, self._stamp = self._stamp, stamp
        if earlier is None:
            return
        remote = [
            part
            for part in PARTS
            if part in stamp.changed_parts(earlier) and self._announced.get(part, -1.0) < previous_start
        ]
        if not remote:
            return
        self.remote_changes += 1
        self._emitting = True
        try:
            for part in remote:
                if part == "tracks":
                    self._events.tracksChanged.emit()
                elif part == "analyses":
                    self._events.analysesChanged.emit(None)
                elif part == "playlists":
                    self._events.playlistsChanged.emit()
                else:
                    self._events.modelsChanged.emit()
        finally:
            self._emitting = False
