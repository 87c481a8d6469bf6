"""The track table's right-click menu: what a person does with the selected tracks.

Beside the window's own actions (Analyse selection, Write genre to tags…): Add to playlist ▸ (the
manual playlists, listed when the menu opens), Copy paths, Show in folder and Remove from
library…. Paths are read on a worker, since a selection may be the whole library, and given as
this machine sees the files (a shared library's per-machine mappings, `library.paths.to_local`).
Show in folder opens the current track's folder in the desktop's file manager, or says why it
cannot. Removing asks first, with what would go (`library.track_removal`): the files stay, but the
tracks' analyses cost CPU time to make again. Each acts on what the centre shows: the track table's
selection, or the shown playlist's (`MainWindow.selected_track_ids`), and the track in the detail panel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox
from sqlalchemy import Connection

from desktop_app.gui.workers import JobContext, describe
from desktop_app.library.playlists import tracks_by_id
from desktop_app.library.track_removal import Removal, remove_tracks, what_removal_takes
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
        self.remove = QAction("&Remove from library…", window)
        self.remove.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # Delete in the search box edits it
        self.remove.setToolTip("Forget the selected tracks (the files stay where they are)")
        self.remove.triggered.connect(self.remove_selected)
        self.confirmation: QMessageBox | None = None
        """The open Remove question, if any."""

    @property
    def actions(self) -> list[QAction]:
        """In menu order, after a separator from the window's own actions."""
        separator = QAction(self._window)
        separator.setSeparator(True)
        return [separator, self.add_to_playlist.menuAction(), self.copy_paths, self.show_in_folder, self.remove]

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
        track_ids = self._window.selected_track_ids()
        if track_ids:
            self._window.playlists.add_to_playlist(playlist_id, track_ids)

    def copy_selected_paths(self) -> None:
        """The selected tracks' paths onto the clipboard, one per line, in the table's order."""

        def copy(paths: list[str]) -> None:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self._window.set_status(f"Copied {plural(len(paths), 'path')}.")

        self._read_paths(self._window.selected_track_ids(), copy)

    def show_current_folder(self) -> None:
        """The current track's folder in the file manager (a missing folder is said, not opened)."""
        shown = self._window.detail.current_track()
        current = None if shown is None else shown.id

        def show(paths: list[str]) -> None:
            if not paths:
                return
            folder = Path(paths[0]).parent
            if not folder.is_dir():
                self._window.set_status(f"The folder {folder} is not there: the drive may not be mounted.")
            elif not QDesktopServices.openUrl(folder_url(paths[0])):
                self._window.set_status(f"No file manager opened {folder}.")

        self._read_paths([] if current is None else [current], show)

    def remove_selected(self) -> None:
        """Ask, with what would go, then remove the selected tracks from the library."""
        track_ids = self._window.selected_track_ids()
        if track_ids:
            self._run(lambda conn: what_removal_takes(conn, track_ids), lambda takes: self._confirm(track_ids, takes))

    def _confirm(self, track_ids: list[int], takes: Removal) -> None:
        if not takes.tracks:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove from library",
            f"Remove {plural(takes.tracks, 'track')} from the library?",
            QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("removeTracksBox")
        box.setInformativeText(removal_words(takes))
        remove_button = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished(_result: int) -> None:
            self.confirmation = None
            if box.clickedButton() is remove_button:
                self._remove(track_ids)

        box.finished.connect(finished)
        self.confirmation = box
        box.open()

    def _remove(self, track_ids: list[int]) -> None:
        window = self._window

        def removed(gone: Removal) -> None:
            events = window.services.events
            events.tracksChanged.emit()
            events.analysesChanged.emit(track_ids)
            if gone.playlist_entries:
                events.playlistsChanged.emit()
            window.forget_shown_track(track_ids)
            window.set_status(f"Removed {plural(gone.tracks, 'track')} from the library; the files are untouched.")

        self._run(lambda conn: remove_tracks(conn, track_ids), removed, write=True)

    def _run(self, read: Callable[[Connection], Removal], done: Callable[[Removal], None], write: bool = False) -> None:
        library = self._window.library

        def work(_context: JobContext) -> Removal:
            with library.writer.begin() if write else library.engine.connect() as conn:
                return read(conn)

        self._window.jobs.start(
            work,
            name="remove tracks" if write else "count what removal takes",
            on_done=done,
            on_failed=lambda error: self._window.set_status(f"Could not remove the tracks: {describe(error)}"),
        )

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


def removal_words(takes: Removal) -> str:
    """What removing takes, for the question: the files stay, what goes, how it comes back."""
    them = "it" if takes.tracks == 1 else "them"
    parts = []
    if takes.analyses:
        parts.append(plural(takes.analyses, "analysis", "analyses"))
    if takes.playlist_entries:
        parts.append(f"{plural(takes.playlist_entries, 'entry', 'entries')} in manual playlists")
    forgets = f" The library forgets {' and '.join(parts)} with {them}." if parts else ""
    again = ", to be analysed again." if takes.analyses else "."
    return f"The files stay where they are.{forgets} Scanning the folder again adds {them} back{again}"
