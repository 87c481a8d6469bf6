"""The track table's right-click menu: what a person does with the selected tracks.

Beside the window's own actions (Analyse selection, Write genre to tags…): Add to playlist ▸ (the
manual playlists, listed when the menu opens), Copy paths and Show in folder. Paths are read on a
worker, since a selection may be the whole library, and given as this machine sees the files (a
shared library's per-machine mappings, `library.paths.to_local`). Show in folder opens the current
track's folder in the desktop's file manager, or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from desktop_app.gui.workers import JobContext, describe
from desktop_app.library.playlists import tracks_by_id
from desktop_app.wording import plural

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow


def folder_url(path: str) -> QUrl:
    """The folder holding the file at ``path``, as a URL a file manager opens."""
    return QUrl.fromLocalFile(str(Path(path).parent))


class TrackMenu:
    """Builds the menu's own actions over ``window``; `actions` lists them in menu order."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self.add_to_playlist = QMenu("Add to p&laylist", window)
        self.add_to_playlist.aboutToShow.connect(self._list_playlists)
        self.copy_paths = QAction("&Copy paths", window)
        self.copy_paths.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_paths.setToolTip("Copy the selected tracks' file paths, one per line")
        self.copy_paths.triggered.connect(self.copy_selected_paths)
        self.show_in_folder = QAction("Show in &folder", window)
        self.show_in_folder.setToolTip("Open the current track's folder in the file manager")
        self.show_in_folder.triggered.connect(self.show_current_folder)

    @property
    def actions(self) -> list[QAction]:
        """In menu order, after a separator from the window's own actions."""
        separator = QAction(self._window)
        separator.setSeparator(True)
        return [separator, self.add_to_playlist.menuAction(), self.copy_paths, self.show_in_folder]

    def _list_playlists(self) -> None:
        menu, window = self.add_to_playlist, self._window
        menu.clear()
        manual = sorted((p for p in window.playlists.commands.known.values() if not p.is_smart), key=lambda p: p.name)
        for playlist in manual:
            action = menu.addAction(playlist.name.replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, chosen=playlist.id: self._add_selection_to(chosen))
        if not manual:
            menu.addAction("No manual playlists yet").setEnabled(False)

    def _add_selection_to(self, playlist_id: int) -> None:
        track_ids = self._window.table.selected_track_ids()
        if track_ids:
            self._window.playlists.add_to_playlist(playlist_id, track_ids)

    def copy_selected_paths(self) -> None:
        """The selected tracks' paths onto the clipboard, one per line, in the table's order."""

        def copy(paths: list[str]) -> None:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self._window.set_status(f"Copied {plural(len(paths), 'path')}.")

        self._read_paths(self._window.table.selected_track_ids(), copy)

    def show_current_folder(self) -> None:
        """The current track's folder in the file manager (a missing folder is said, not opened)."""
        current = self._window.table.current_track_id()

        def show(paths: list[str]) -> None:
            if not paths:
                return
            folder = Path(paths[0]).parent
            if not folder.is_dir():
                self._window.set_status(f"The folder {folder} is not there: the drive may not be mounted.")
            elif not QDesktopServices.openUrl(folder_url(paths[0])):
                self._window.set_status(f"No file manager opened {folder}.")

        self._read_paths([] if current is None else [current], show)

    def _read_paths(self, track_ids: Sequence[int], done: Callable[[list[str]], None]) -> None:
        if not track_ids:
            return
        library = self._window.library

        def work(_context: JobContext) -> list[str]:
            with library.engine.connect() as conn:
                found = tracks_by_id(conn, track_ids)
            return [library.paths.to_local(track.path) for track in found]

        self._window.jobs.start(
            work,
            name="read paths",
            on_done=done,
            on_failed=lambda error: self._window.set_status(f"Could not read the paths: {describe(error)}"),
        )
