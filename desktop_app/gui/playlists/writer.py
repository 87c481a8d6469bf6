"""The one way the window writes playlists: in order, on a worker, announced when done.

A genre playlist can hold 50,000 tracks, and creating, duplicating, deleting (which snapshots the
entries for undo) or restoring one writes that many rows: too long for the GUI thread. Every
playlist write of the pane and of the playlist view goes through one `PlaylistWriter`, which runs
them one after another on the job pool (a queue, so two writes never race and each sees the one
before it), reports a `PlaylistError` as one line, and emits `LibraryEvents.playlistsChanged`
after each write that went through. ``generation`` counts finished writes, so a reader can drop
a list it read before the latest write (a newer read follows the event).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Connection

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.playlists import PlaylistError


@dataclass(frozen=True)
class _Write:
    change: Callable[[Connection], Any]
    done: Callable[[Any], None] | None
    message: str | Callable[[Any], str] | None


class PlaylistWriter(QObject):
    """Runs playlist changes one at a time off the GUI thread; ``message`` carries their outcome."""

    message = Signal(str)
    """One line for the status bar: what was done, or why it was not."""

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._jobs = jobs
        self._events = events
        self._queue: deque[_Write] = deque()
        self._running = False
        self._waiting: list[Callable[[], None]] = []
        self.generation = 0
        """How many writes have finished (gone through or refused)."""

    def write(
        self,
        change: Callable[[Connection], Any],
        *,
        done: Callable[[Any], None] | None = None,
        message: str | Callable[[Any], str] | None = None,
    ) -> None:
        """Run ``change(conn)`` in a write transaction after the writes before it; on success
        ``done(result)`` runs on the GUI thread and ``message`` (or ``message(result)``) is shown."""
        self._queue.append(_Write(change, done, message))
        self._next()

    @property
    def busy(self) -> bool:
        return self._running or bool(self._queue)

    def when_done(self, then: Callable[[], None]) -> None:
        """Call ``then`` once every write asked for so far has finished (now, if none is pending):
        an export started right after an edit reads the playlist as edited."""
        if self.busy:
            self._waiting.append(then)
        else:
            then()

    def _next(self) -> None:
        if self._running:
            return
        if not self._queue:
            waiting, self._waiting = self._waiting, []
            for then in waiting:
                then()
            return
        self._running = True
        write = self._queue.popleft()
        library = self._library

        def work(_context: JobContext) -> Any:
            with library.writer.begin() as conn:
                return write.change(conn)

        self._jobs.start(
            work,
            name="playlist write",
            on_done=lambda result: self._finished(write, result),
            on_failed=lambda error: self._refused(error),
        )

    def _finished(self, write: _Write, result: Any) -> None:
        self._settle()
        if write.message is not None:
            self.message.emit(write.message(result) if callable(write.message) else write.message)
        self._events.playlistsChanged.emit()
        if write.done is not None:
            write.done(result)
        self._next()

    def _refused(self, error: Exception) -> None:
        self._settle()
        text = str(error) if isinstance(error, PlaylistError) else f"Could not change the playlist: {describe(error)}"
        self.message.emit(text)
        self._events.playlistsChanged.emit()  # readers dropped what they read meanwhile: read again
        self._next()

    def _settle(self) -> None:
        self._running = False
        self.generation += 1
