"""The playlists pane of the sidebar: the list with counts, and every playlist action.

New (empty, smart, from a genre, for all genres), import, rename in place, duplicate, edit
rules, export (one, or all genre playlists into a folder), delete with confirmation and undo.
Tracks dragged from the track table drop onto a manual playlist. Dialogs open window-modal
without blocking (``open()``), so scans and analyses keep reporting; exports and imports run on
the window's job pool, since a genre playlist can hold thousands of tracks and an import may scan.
The panel owns the `PlaylistView` that shows the selected playlist; the window places it. Its
writes are announced as `LibraryEvents.playlistsChanged` (an import that scanned files also as
``tracksChanged``), and it reads the playlists again on any change to tracks, analyses or
playlists, whoever made it: smart and genre playlists follow scans and analyses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.playlist_dialogs import ExportDialog, GenrePlaylistDialog, SmartRulesDialog
from desktop_app.gui.playlist_view import PlaylistView
from desktop_app.gui.track_drag import track_ids_from
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.playlist_files import export_genre_playlists, export_playlist, import_playlist
from desktop_app.library.playlist_formats import IMPORT_PATTERNS
from desktop_app.library.playlists import (
    PlaylistError,
    PlaylistInfo,
    PlaylistSnapshot,
    add_tracks,
    create_all_genre_playlists,
    create_genre_playlist,
    create_playlist,
    delete_playlist,
    duplicate_playlist,
    get_playlist,
    list_playlists,
    playlist_counts,
    rename_playlist,
    restore_playlist,
    set_rules,
    unique_name,
)
from desktop_app.wording import plural

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SMART_ROLE = Qt.ItemDataRole.UserRole + 2
REFRESH_INTERVAL_MS = 300


class PlaylistList(QTreeWidget):
    """Playlist names and counts; emits ``tracksDropped(playlist_id, track_ids)`` for a drop on a manual one."""

    tracksDropped = Signal(int, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistList")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

    def _target(self, event: QDropEvent | QDragMoveEvent) -> QTreeWidgetItem | None:
        item = self.itemAt(event.position().toPoint())
        if item is None or item.data(0, SMART_ROLE) or not track_ids_from(event.mimeData()):
            return None
        return item

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if track_ids_from(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._target(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        item = self._target(event)
        if item is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.tracksDropped.emit(int(item.data(0, ID_ROLE)), track_ids_from(event.mimeData()))


class PlaylistsPanel(QWidget):
    """The list of playlists and their actions; ``view`` shows the selected one."""

    playlistSelected = Signal(object)
    """A playlist id, or None when none is selected."""
    message = Signal(str)
    """One line for the status bar."""
    problemsFound = Signal(list, str)
    """Entries an import could not find, as {"path", "reason"}, and where they came from."""

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistsPanel")
        self.library = library
        self.jobs = jobs
        self.events = events
        self.models: dict[str, int] = {}
        """The library id of the current model of each name: what smart and genre playlists read."""
        self.taxonomy = BROAD_MODEL
        """Whose genres new genre playlists use: the genres the window shows."""
        self.last_folder = str(Path.home())
        self.dialog: QDialog | QMessageBox | None = None
        """The dialog this panel has open, if any."""
        self._snapshot: PlaylistSnapshot | None = None
        self._selected: int | None = None
        self._writes = 0
        """Counts writes, so a list read before the latest write is not shown (a newer read follows)."""

        title = QLabel("Playlists", self)
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        self.new_button = QToolButton(self)
        self.new_button.setObjectName("newPlaylistButton")
        self.new_button.setText("New")
        self.new_button.setToolTip("New playlist, smart playlist, playlists from genres, import")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.new_button)
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, slot in (
            ("new", "Empty playlist", self.new_manual),
            ("smart", "Smart playlist…", self.new_smart),
            ("genre", "Playlist from genre…", self.new_from_genre),
            ("all_genres", "Playlists for all genres…", self.new_for_all_genres),
            ("import", "Import playlist file…", self.choose_import),
            ("export_genres", "Export all genre playlists…", self.export_all_genres),
        ):
            action = menu.addAction(text)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
        self.new_button.setMenu(menu)
        self.undo_action = QAction("Undo delete playlist", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo_delete)
        self.addAction(self.undo_action)

        self.list = PlaylistList(self)
        self.empty_hint = QLabel("No playlists yet: New ▸ Playlist from genre…", self)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #808080")
        top = QHBoxLayout()
        top.setContentsMargins(4, 0, 0, 0)
        top.addWidget(title, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.list, 1)

        self.view = PlaylistView(library)
        self._refresh = CoalescingJob(
            jobs,
            "playlists",
            self._refresh_work,
            self._show_playlists,
            lambda error: self.message.emit(f"Could not read the playlists: {describe(error)}"),
            REFRESH_INTERVAL_MS,
            self,
        )
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemChanged.connect(self._item_edited)
        self.list.tracksDropped.connect(self.add_to_playlist)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.view.model.edited.connect(events.playlistsChanged)
        for signal in (events.tracksChanged, events.analysesChanged, events.playlistsChanged):
            signal.connect(self.refresh)
        self.view.model.failed.connect(self.message.emit)
        self.view.editRulesRequested.connect(self.edit_rules)
        self.view.exportRequested.connect(self.export)
        self.refresh()

    # --- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the playlists and counts again (coalesced, on the job pool)."""
        self._refresh.request()

    @property
    def refreshing(self) -> bool:
        return self._refresh.pending

    def set_models(self, models: dict[str, int], taxonomy: str) -> None:
        """Whose predictions genre and smart playlists use (re-evaluated when they change), and
        which genres new genre playlists offer (a smart playlist shown is shown in them again)."""
        if models != self.models or taxonomy != self.taxonomy:
            self.taxonomy = taxonomy
            self.models = dict(models)
            self.refresh()

    def _refresh_work(self) -> Callable[[JobContext], Any]:
        library, models, writes = self.library, dict(self.models), self._writes

        def work(_context: JobContext) -> tuple[int, dict[str, int], list[PlaylistInfo], dict[int, int]]:
            with library.engine.connect() as conn:
                return writes, models, list_playlists(conn), playlist_counts(conn, models)

        return work

    def _show_playlists(self, result: tuple[int, dict[str, int], list[PlaylistInfo], dict[int, int]]) -> None:
        writes, models, playlists, counts = result
        if writes != self._writes:
            return
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for playlist in playlists:
                item = QTreeWidgetItem([playlist.name, f"{counts.get(playlist.id, 0):,}"])
                item.setData(0, ID_ROLE, playlist.id)
                item.setData(0, SMART_ROLE, playlist.is_smart)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(
                    0,
                    "Smart playlist: kept up to date by its rules"
                    if playlist.is_smart
                    else "Drop tracks here; double-click or F2 to rename",
                )
                if playlist.is_smart:
                    font = QFont(self.list.font())
                    font.setItalic(True)
                    item.setFont(0, font)
                self.list.addTopLevelItem(item)
                if playlist.id == self._selected:
                    self.list.setCurrentItem(item)
        finally:
            self.list.blockSignals(False)
        self.empty_hint.setVisible(not playlists)
        selected = next((p for p in playlists if p.id == self._selected), None)
        if self._selected is not None and selected is None:
            self._select(None)
        elif selected is not None and (
            selected.is_smart or selected != self.view.model.playlist or models != self.view.model.models
        ):
            self.view.show_playlist(selected.id, models, self.taxonomy)  # a manual one changes only here

    def item_for(self, playlist_id: int) -> QTreeWidgetItem | None:
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None and item.data(0, ID_ROLE) == playlist_id:
                return item
        return None

    def names(self) -> list[tuple[str, str]]:
        """(name, count) as shown, for tests and the status bar."""
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [(item.text(0), item.text(1)) for item in items if item is not None]

    def _current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        self._select(int(current.data(0, ID_ROLE)) if current is not None else None)

    def _select(self, playlist_id: int | None) -> None:
        self._selected = playlist_id
        self.view.show_playlist(playlist_id, self.models, self.taxonomy)
        self.playlistSelected.emit(playlist_id)

    def select_playlist(self, playlist_id: int | None) -> None:
        """Select (and show) a playlist once the list has it; None clears the selection."""
        self._selected = playlist_id
        item = self.item_for(playlist_id) if playlist_id is not None else None
        self.list.setCurrentItem(item)  # type: ignore[arg-type]  # None clears it, as Qt documents
        if item is None:
            self.list.clearSelection()
            self._select(playlist_id)

    # --- editing ------------------------------------------------------------------------------

    def _write(self, change: Callable[[Any], Any], done: str | None = None) -> Any:
        """Run ``change(conn)`` in a write transaction; a `PlaylistError` goes to the status bar."""
        self._writes += 1
        try:
            with self.library.writer.begin() as conn:
                result = change(conn)
        except PlaylistError as exc:
            self.message.emit(str(exc))
            self.refresh()
            return None
        if done:
            self.message.emit(done)
        self.events.playlistsChanged.emit()
        return result

    def new_manual(self) -> int | None:
        playlist_id = self._write(lambda conn: create_playlist(conn, unique_name(conn, "New playlist")))
        if playlist_id is not None:
            self.select_playlist(playlist_id)
        return playlist_id

    def new_smart(self) -> SmartRulesDialog:
        with self.library.engine.connect() as conn:
            name = unique_name(conn, "Smart playlist")
        dialog = SmartRulesDialog(name, parent=self, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            playlist_id = self._write(
                lambda conn: create_playlist(conn, dialog.name.text(), rules=dialog.rules()),
                f"Created smart playlist {dialog.name.text().strip()!r}.",
            )
            if playlist_id is not None:
                self.select_playlist(playlist_id)

        return self._open(dialog, accepted)

    def new_from_genre(self, genre: str | None = None) -> GenrePlaylistDialog:
        dialog = GenrePlaylistDialog(genre, parent=self, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            choice = dialog.choice()
            playlist_id = self._write(
                lambda conn: create_genre_playlist(
                    conn,
                    choice.genre or "",
                    model=choice.model,
                    name=choice.name or None,
                    min_confidence=choice.min_confidence,
                    smart=choice.smart,
                    models=self.models,
                    order=choice.order,
                )
            )
            if playlist_id is not None:
                self.message.emit(f"Created playlist {choice.name!r}.")
                self.select_playlist(playlist_id)

        return self._open(dialog, accepted)

    def new_for_all_genres(self) -> GenrePlaylistDialog:
        dialog = GenrePlaylistDialog(all_genres=True, parent=self, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            choice = dialog.choice()
            result = self._write(
                lambda conn: create_all_genre_playlists(
                    conn,
                    model=choice.model,
                    min_confidence=choice.min_confidence,
                    smart=choice.smart,
                    models=self.models,
                    order=choice.order,
                )
            )
            if result is not None:
                created, skipped = result
                text = f"Created {plural(len(created), 'genre playlist')}"
                if not created and choice.model not in self.models:
                    text += ": nothing has been analysed yet"
                if skipped:
                    text += f"; skipped {', '.join(skipped)} (name taken)"
                self.message.emit(text + ".")

        return self._open(dialog, accepted)

    def add_to_playlist(self, playlist_id: int, track_ids: list[int]) -> None:
        with self.library.engine.connect() as conn:
            name = get_playlist(conn, playlist_id).name
        self._write(
            lambda conn: add_tracks(conn, playlist_id, track_ids),
            f"Added {plural(len(track_ids), 'track')} to {name!r}.",
        )
        if playlist_id == self._selected:
            self.view.reload(self.models)

    def _item_edited(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.rename(int(item.data(0, ID_ROLE)), item.text(0))

    def rename(self, playlist_id: int, name: str) -> None:
        self._write(lambda conn: rename_playlist(conn, playlist_id, name))

    def duplicate(self, playlist_id: int) -> int | None:
        copy = self._write(lambda conn: duplicate_playlist(conn, playlist_id))
        if copy is not None:
            self.select_playlist(copy)
        return copy

    def edit_rules(self, playlist_id: int) -> SmartRulesDialog | None:
        with self.library.engine.connect() as conn:
            playlist = get_playlist(conn, playlist_id)
        if playlist.rules is None:
            return None
        dialog = SmartRulesDialog(playlist.name, playlist.rules, parent=self, taxonomy=TAXONOMIES[self.taxonomy])

        def accepted() -> None:
            def change(conn: Any) -> None:
                rename_playlist(conn, playlist_id, dialog.name.text())
                set_rules(conn, playlist_id, dialog.rules())

            self._write(change, f"Saved the rules of {dialog.name.text().strip()!r}.")

        return self._open(dialog, accepted)

    def delete(self, playlist_id: int) -> QMessageBox:
        """Ask first; the playlist goes only when the user says Delete."""
        with self.library.engine.connect() as conn:
            name = get_playlist(conn, playlist_id).name
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete playlist",
            f"Delete the playlist {name!r}? Its tracks stay in the library.",
            QMessageBox.StandardButton.Cancel,
            self,
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
        snapshot = self._write(lambda conn: delete_playlist(conn, playlist_id))
        if snapshot is not None:
            self._snapshot = snapshot
            self.undo_action.setEnabled(True)
            self.undo_action.setText(f"Undo delete {snapshot.name!r}")
            self.message.emit(f"Deleted playlist {snapshot.name!r} (Ctrl+Z in the playlists to undo).")

    def undo_delete(self) -> int | None:
        snapshot, self._snapshot = self._snapshot, None
        self.undo_action.setEnabled(False)
        if snapshot is None:
            return None
        playlist_id = self._write(lambda conn: restore_playlist(conn, snapshot), f"Restored {snapshot.name!r}.")
        if playlist_id is not None:
            self.select_playlist(playlist_id)
        return playlist_id

    # --- export and import --------------------------------------------------------------------

    def export(self, playlist_id: int) -> ExportDialog:
        with self.library.engine.connect() as conn:
            playlist = get_playlist(conn, playlist_id)
        dialog = ExportDialog(playlist.name, self.last_folder, parent=self)
        dialog.accepted.connect(lambda: self.start_export(playlist, dialog.choice()))
        return self._open(dialog)

    def start_export(self, playlist: PlaylistInfo, choice) -> None:
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
            parent=self,
            taxonomy=TAXONOMIES[self.taxonomy],
        )
        dialog.accepted.connect(lambda: self.start_genre_export(dialog.choice()))
        return self._open(dialog)

    def start_genre_export(self, choice) -> None:
        self.last_folder = choice.path
        library, models, taxonomy = self.library, dict(self.models), self.taxonomy

        def work(context: JobContext) -> list:
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

        def done(results: list) -> None:
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
            self, "Import a playlist", self.last_folder, f"Playlists ({IMPORT_PATTERNS});;All files (*)"
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Import in a worker (it may scan new files); the result shows in the status bar and Problems."""
        self.last_folder = str(Path(path).parent)
        library = self.library
        self.message.emit(f"Importing {Path(path).name}…")

        def done(result) -> None:
            self.events.playlistsChanged.emit()
            self.select_playlist(result.playlist_id)
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

    # --- menus and dialogs --------------------------------------------------------------------

    def _open(self, dialog: QDialog, accepted: Callable[[], None] | None = None) -> Any:
        if accepted is not None:
            dialog.accepted.connect(accepted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _context_menu(self, point: QPoint) -> None:
        item = self.list.itemAt(point)
        menu = QMenu(self)
        if item is not None:
            playlist_id = int(item.data(0, ID_ROLE))
            menu.addAction("Rename", lambda: self.list.editItem(item, 0))
            menu.addAction("Duplicate", lambda: self.duplicate(playlist_id))
            if item.data(0, SMART_ROLE):
                menu.addAction("Edit rules…", lambda: self.edit_rules(playlist_id))
            menu.addAction("Export…", lambda: self.export(playlist_id))
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self.delete(playlist_id))
            menu.addSeparator()
        menu.addActions(list(self.actions_by_name.values()))
        if self.undo_action.isEnabled():
            menu.addAction(self.undo_action)
        menu.popup(self.list.viewport().mapToGlobal(point))
