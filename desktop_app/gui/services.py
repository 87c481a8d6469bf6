"""The app's background services over one library, built in one place and handed to the window.

The job pool, the scan and analysis queues, the library's change events and the watch on other
programs' writes to it (`LibraryWatch`) live as long as the library is open, not as long as a
window: `desktop_app.gui.app` builds them and the window only shows and drives them (Picard's
application object owns its thread pools the same way). A test that builds a window without them
gets its own, so ``MainWindow(library, settings)`` still works.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop_app.gui.analysis_queue import AnalysisQueue
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.library_watch import POLL_INTERVAL_MS, LibraryWatch
from desktop_app.gui.scan_queue import ScanQueue
from desktop_app.gui.workers import JobRunner
from desktop_app.library.database import Library


class AppServices(QObject):
    """``library``, ``jobs`` (the shared pool), ``scans``, ``analysis``, ``events`` and ``watch``
    (started by the window that shows them, every ``watch_interval_ms``)."""

    def __init__(
        self, library: Library, parent: QObject | None = None, watch_interval_ms: int = POLL_INTERVAL_MS
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.events = LibraryEvents(self)
        self.jobs = JobRunner(parent=self)
        self.scans = ScanQueue(library, self.jobs, self.events, self)
        self.analysis = AnalysisQueue(library, self.events, self)
        self.watch = LibraryWatch(library, self.jobs, self.events, watch_interval_ms, self)

    def shutdown(self) -> None:
        """Stop the workers and wait for them, so the library can be closed safely."""
        self.watch.stop()
        self.scans.cancel()
        self.analysis.shutdown()
        self.jobs.shutdown()
