"""The open library, its services and its window, and moving all three to another library.

Settings → Library location switches live, as a person expects, by rebuilding rather than
re-pointing: every view holds its library and job pool, so a new `AppServices` and a new
`MainWindow` over the new library are built, and every view reads it afresh. The new library is
opened (and, if new, created and migrated) on a worker first; only when that worked are the old
window's jobs cancelled and waited for, the new window shown in its place with the same layout,
the old one closed and its library closed, and the choice stored in the settings. If it fails the
old library stays open, the setting unchanged, and a message says why (the password hidden).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from desktop_app.gui.app import shown_location
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library, open_library


class LibraryHost(QObject):
    """Owns ``library`` and ``window`` (its services) while the app runs; `switch` moves them."""

    def __init__(self, library: Library, settings: AppSettings, override: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.override = override
        self.library = library
        self.window = self._build(library)
        self._opener = JobRunner(parent=self)
        self.switching = False

    def _build(self, library: Library) -> MainWindow:
        window = MainWindow(library, self.settings, AppServices(library), location_override=self.override)
        window.libraryChosen.connect(self.switch)
        return window

    def switch(self, location: str) -> None:
        """Open ``location`` on a worker, then show it in a new window in place of this one."""
        if self.switching:
            return
        self.switching = True
        self.window.set_status(f"Opening the library {shown_location(location)}…")

        def work(_context: JobContext) -> Library:
            return open_library(location)

        self._opener.start(
            work,
            name="open library",
            on_done=lambda library: self._replace(library, location),
            on_failed=lambda error: self._failed(location, error),
        )

    def _failed(self, location: str, error: Exception) -> None:
        self.switching = False
        self.window.set_status("")
        QMessageBox.warning(
            self.window, "Library location", f"Cannot open the library {shown_location(location)}:\n{describe(error)}"
        )

    def _replace(self, library: Library, location: str) -> None:
        old_window, old_library = self.window, self.library
        old_window.save_layout()
        old_window.shutdown()  # cancels its jobs and waits for them: nothing touches the old library after
        self.settings.library_location = location
        self.settings.sync()
        self.library = library
        self.window = self._build(library)
        self.window.show()
        old_window.close()
        old_window.deleteLater()
        old_library.close()
        self.window.start_up()
        self.window.set_status(f"Opened the library {shown_location(location)}.")
        self.switching = False

    def close(self) -> None:
        """At exit: stop the window's and the opener's workers, then close the library."""
        self.window.shutdown()
        self._opener.shutdown()
        self.library.close()
