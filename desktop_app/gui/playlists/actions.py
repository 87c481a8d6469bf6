"""What a person can do with playlists, from the pane's New menu, its context menu and the
window's Playlists menu: create (empty, smart, from a genre, for every genre), edit rules,
duplicate, delete with confirmation and undo, export (one, or every genre playlist into a
folder) and import.

Dialogs open window-modal without blocking (``open()``), so scans and analyses keep reporting.
Every write goes through the pane's `PlaylistWriter` (in order, on a worker); exports and imports
run on the job pool, since a genre playlist can hold thousands of tracks and an import may scan.
What a dialog needs to know about a playlist (its name, its rules) comes from the list the pane
last read, so opening one never queries the database on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget
from sqlalchemy import Connection

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.playlists.dialogs import ExportChoice, ExportDialog, GenrePlaylistDialog, SmartRulesDialog
from desktop_app.gui.playlists.writer import PlaylistWriter
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.playlist_files import (
    ExportResult,
    ImportResult,
    export_genre_playlists,
    export_playlist,
    import_playlist,
)
from desktop_app.library.playlist_formats import IMPORT_PATTERNS
from desktop_app.library.playlists import (
    PlaylistInfo,
    PlaylistSnapshot,
    create_all_genre_playlists,
    create_genre_playlist,
    create_playlist,
    delete_playlist,
    duplicate_playlist,
    free_name,
    rename_playlist,
    restore_playlist,
    set_rules,
    unique_name,
)
from desktop_app.wording import plural


class PlaylistActions(QObject):
    """The playlist actions and their dialogs; ``menu_actions`` are what menus list."""

    message = Signal(str)
    """One line for the status bar."""
    problemsFound = Signal(list, str)
    """Entries an import could not find, as {"path", "reason"}, and where they came from."""
    selectRequested = Signal(object)
    """A playlist to select once the list has it (one just created, duplicated or imported)."""

    def __init__(
        self,
        library: Library,
        jobs: JobRunner,
        events: LibraryEvents,
        writer: PlaylistWriter,
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.library = library
        self.jobs = jobs
        self.events = events
        self.writer = writer
        self._parent = dialog_parent
        self.models: dict[str, int] = {}
        """The library id of the current model of each name: what smart and genre playlists read."""
        self.taxonomy = BROAD_MODEL
        """Whose genres new genre playlists use: the genres the window shows."""
        self.known: dict[int, PlaylistInfo] = {}
        """The playlists as the pane last read them."""
        self.last_folder = str(Path.home())
        self.dialog: QDialog | QMessageBox | None = None
        """The dialog open now, if any."""
        self._snapshot: PlaylistSnapshot | None = None

        self.menu_actions: dict[str, QAction] = {}
        for name, text, slot in (
            ("new", "Empty playlist", self.new_manual),
            ("smart", "Smart playlist…", self.new_smart),
            ("genre", "Playlist from genre…", self.new_from_genre),
            ("all_genres", "Playlists for all genres…", self.new_for_all_genres),
            ("import", "Import playlist file…", self.choose_import),
            ("export_genres", "Export all genre playlists…", self.export_all_genres),
        ):
            action = QAction(text, self)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.menu_actions[name] = action
        self.undo_action = QAction("Undo delete playlist", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo_delete)

    def set_context(self, models: Mapping[str, int], taxonomy: str) -> None:
        """Whose predictions new playlists read, and whose genres the dialogs offer."""
        self.models, self.taxonomy = dict(models), taxonomy

    # --- creating -----------------------------------------------------------------------------

    def _created(self, text: str | None = None) -> Callable[[Any], None]:
        def done(playlist_id: Any) -> None:
            if text:
                self.message.emit(text)
            self.selectRequested.emit(playlist_id)

        return done

    def new_manual(self) -> None:
        self.writer.write(lambda conn: create_playlist(conn, unique_name(conn, "New playlist")), done=self._created())

    def new_smart(self) -> SmartRulesDialog:
        name = free_name("Smart playlist", (p.name for p in self.known.values()))
        dialog = SmartRulesDialog(name, parent=self._parent, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            name, rules = dialog.name.text(), dialog.rules()
            self.writer.write(
                lambda conn: create_playlist(conn, name, rules=rules),
                done=self._created(f"Created smart playlist {name.strip()!r}."),
            )

        return self._open(dialog, accepted)

    def new_from_genre(self, genre: str | None = None) -> GenrePlaylistDialog:
        dialog = GenrePlaylistDialog(genre, parent=self._parent, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            choice, models = dialog.choice(), dict(self.models)
            self.writer.write(
                lambda conn: create_genre_playlist(
                    conn,
                    choice.genre or "",
                    model=choice.model,
                    name=choice.name or None,
                    min_confidence=choice.min_confidence,
                    smart=choice.smart,
                    models=models,
                    order=choice.order,
                ),
                done=self._created(f"Created playlist {choice.name!r}."),
            )

        return self._open(dialog, accepted)

    def new_for_all_genres(self) -> GenrePlaylistDialog:
        dialog = GenrePlaylistDialog(all_genres=True, parent=self._parent, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            choice, models = dialog.choice(), dict(self.models)

            def report(result: tuple[list[int], list[str]]) -> str:
                created, skipped = result
                text = f"Created {plural(len(created), 'genre playlist')}"
                if not created and choice.model not in models:
                    text += ": nothing has been analysed yet"
                if skipped:
                    text += f"; skipped {', '.join(skipped)} (name taken)"
                return text + "."

            self.writer.write(
                lambda conn: create_all_genre_playlists(
                    conn,
                    model=choice.model,
                    min_confidence=choice.min_confidence,
                    smart=choice.smart,
                    models=models,
                    order=choice.order,
                ),
                message=report,
            )

        return self._open(dialog, accepted)

    # --- editing ------------------------------------------------------------------------------

    def duplicate(self, playlist_id: int) -> None:
        self.writer.write(lambda conn: duplicate_playlist(conn, playlist_id), done=self._created())

    def edit_rules(self, playlist_id: int) -> SmartRulesDialog | None:
        playlist = self.known.get(playlist_id)
        if playlist is None or playlist.rules is None:
            return None
        dialog = SmartRulesDialog(
            playlist.name, playlist.rules, parent=self._parent, taxonomy=TAXONOMIES[self.taxonomy]
        )

        def accepted() -> None:
            name, rules = dialog.name.text(), dialog.rules()

            def change(conn: Connection) -> None:
                rename_playlist(conn, playlist_id, name)
                set_rules(conn, playlist_id, rules)

            self.writer.write(change, message=f"Saved the rules of {name.strip()!r}.")

        return self._open(dialog, accepted)

    def delete(self, playlist_id: int) -> QMessageBox | None:
        """Ask first; the playlist goes only when the person says Delete."""
        playlist = self.known.get(playlist_id)
        if playlist is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete playlist",
            f"Delete the playlist {playlist.name!r}? Its tracks stay in the library.",
            QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        box.setObjectName("deletePlaylistBox")
        delete_button = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished(_result: int) -> None:
            if box.clickedButton() is delete_button:
                self.delete_now(playlist_id)

        box.finished.connect(finished)
        return self._open(box)

    def delete_now(self, playlist_id: int) -> None:
        def deleted(snapshot: PlaylistSnapshot) -> None:
            self._snapshot = snapshot
            self.undo_action.setEnabled(True)
            self.undo_action.setText(f"Undo delete {snapshot.name!r}")
            self.message.emit(f"Deleted playlist {snapshot.name!r} (Ctrl+Z in the playlists to undo).")

        self.writer.write(lambda conn: delete_playlist(conn, playlist_id), done=deleted)

    def undo_delete(self) -> None:
        snapshot, self._snapshot = self._snapshot, None
        self.undo_action.setEnabled(False)
        if snapshot is not None:
            self.writer.write(
                lambda conn: restore_playlist(conn, snapshot), done=self._created(f"Restored {snapshot.name!r}.")
            )

    # --- export and import --------------------------------------------------------------------

    def export(self, playlist_id: int) -> ExportDialog | None:
        playlist = self.known.get(playlist_id)
        if playlist is None:
            return None
        dialog = ExportDialog(playlist.name, self.last_folder, parent=self._parent)

        def accepted() -> None:
            choice = dialog.choice()  # now: the dialog is gone when the writes before it are done
            self.writer.when_done(lambda: self.start_export(playlist, choice))

        dialog.accepted.connect(accepted)
        return self._open(dialog)

    def start_export(self, playlist: PlaylistInfo, choice: ExportChoice) -> None:
        self.last_folder = str(Path(choice.path).parent)
        library, models = self.library, dict(self.models)
        self.message.emit(f"Exporting {playlist.name!r}…")
        self.jobs.start(
            lambda _context: export_playlist(
                library,
                playlist,
                choice.path,
                choice.format,
                models=models,
                relative=choice.relative,
                keep_unavailable=choice.keep_unavailable,
            ),
            name="playlist export",
            on_done=lambda result: self.message.emit(f"Exported {playlist.name!r}: {result.describe()}."),
            on_failed=lambda error: self.message.emit(f"Could not export {playlist.name!r}: {describe(error)}"),
        )

    def export_all_genres(self) -> ExportDialog:
        dialog = ExportDialog(
            f"all {TAXONOMIES[self.taxonomy].title} genre playlists",
            self.last_folder,
            folder=True,
            parent=self._parent,
            taxonomy=TAXONOMIES[self.taxonomy],
        )

        def accepted() -> None:
            choice = dialog.choice()
            self.writer.when_done(lambda: self.start_genre_export(choice))

        dialog.accepted.connect(accepted)
        return self._open(dialog)

    def start_genre_export(self, choice: ExportChoice) -> None:
        self.last_folder = choice.path
        library, models, taxonomy = self.library, dict(self.models), self.taxonomy

        def work(context: JobContext) -> list[ExportResult]:
            return export_genre_playlists(
                library,
                choice.path,
                choice.format,
                model=taxonomy,
                models=models,
                min_confidence=choice.min_confidence,
                relative=choice.relative,
                cancelled=context.cancelled,
            )

        def done(results: list[ExportResult]) -> None:
            tracks = sum(r.written for r in results)
            self.message.emit(
                f"Exported {plural(len(results), 'genre playlist')} ({tracks:,} tracks) into {choice.path}."
            )

        self.message.emit("Exporting the genre playlists…")
        self.jobs.start(
            work,
            name="genre playlists export",
            on_done=done,
            on_failed=lambda error: self.message.emit(f"Could not export: {describe(error)}"),
        )

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Import a playlist", self.last_folder, f"Playlists ({IMPORT_PATTERNS});;All files (*)"
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Import in a worker (it may scan new files); the result shows in the status bar and Problems."""
        self.last_folder = str(Path(path).parent)
        library = self.library
        self.message.emit(f"Importing {Path(path).name}…")

        def done(result: ImportResult) -> None:
            self.events.playlistsChanged.emit()
            self.selectRequested.emit(result.playlist_id)
            self.message.emit(result.describe() + (" (see Problems)." if result.not_found else "."))
            if result.not_found:
                self.problemsFound.emit(
                    [{"path": p["entry"], "reason": p["reason"]} for p in result.not_found], "playlist import"
                )
            if result.scanned:
                self.events.tracksChanged.emit()

        self.jobs.start(
            lambda _context: import_playlist(library, path),
            name="playlist import",
            on_done=done,
            on_failed=lambda error: self.message.emit(f"Could not import {Path(path).name}: {describe(error)}"),
        )

    # --- dialogs ------------------------------------------------------------------------------

    def _open(self, dialog: Any, accepted: Callable[[], None] | None = None) -> Any:
        if accepted is not None:
            dialog.accepted.connect(accepted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()
        return dialog
