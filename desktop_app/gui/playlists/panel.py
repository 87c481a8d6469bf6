"""The playlists pane under the sidebar: the list with counts, its menus, and the playlist shown.

The pane reads the playlists and their counts on the job pool whenever tracks, analyses or
playlists change (`LibraryEvents`), whoever changed them: smart and genre playlists follow scans
and analyses. It owns the one `PlaylistWriter` that the actions and the playlist view write
through, and the `PlaylistView` that shows the selected playlist (the window places it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.playlists.actions import PlaylistActions
from desktop_app.gui.playlists.playlist_list import ID_ROLE, SMART_ROLE, PlaylistList
from desktop_app.gui.playlists.tracks_model import PlaylistTracksModel
from desktop_app.gui.playlists.view import PlaylistView
from desktop_app.gui.playlists.writer import PlaylistWriter
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.playlists import PlaylistInfo, add_tracks, list_playlists, playlist_counts, rename_playlist
from desktop_app.wording import plural

REFRESH_INTERVAL_MS = 300

_Read = tuple[int, dict[str, int], list[PlaylistInfo], dict[int, int]]


class PlaylistsPanel(QWidget):
    """The list of playlists and their actions; ``view`` shows the selected one."""

    playlistSelected = Signal(object)
    """A playlist id, or None when none is selected."""
    message = Signal(str)
    """One line for the status bar."""
    tagWriteRequested = Signal(int)
    """Write a genre into the tags of this playlist's tracks."""

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistsPanel")
        self.library = library
        self.jobs = jobs
        self.models: dict[str, int] = {}
        """The library id of the current model of each name: what smart and genre playlists read."""
        self.taxonomy = BROAD_MODEL
        """Whose genres the Genre column and new genre playlists use: the genres the window shows."""
        self._selected: int | None = None

        self.writer = PlaylistWriter(library, jobs, events, self)
        self.commands = PlaylistActions(library, jobs, events, self.writer, self)
        self.view = PlaylistView(PlaylistTracksModel(library, jobs, self.writer))
        self.list = PlaylistList(self)

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
        menu.addActions(list(self.commands.menu_actions.values()))
        self.new_button.setMenu(menu)
        self.addAction(self.commands.undo_action)  # Ctrl+Z while the pane has focus
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
        for signal in (events.tracksChanged, events.analysesChanged, events.playlistsChanged):
            signal.connect(self.refresh)
        for source in (self.writer.message, self.commands.message, self.view.model.failed):
            source.connect(self.message)
        self.commands.selectRequested.connect(self.select_playlist)
        self.view.editRulesRequested.connect(self.commands.edit_rules)
        self.view.exportRequested.connect(self.commands.export)
        self.refresh()

    # --- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the playlists and counts again (coalesced, on the job pool)."""
        self._refresh.request()

    @property
    def refreshing(self) -> bool:
        """A read of the list, or of the playlist shown, or a write is under way or owed."""
        return self._refresh.pending or self.view.model.loading or self.writer.busy

    def set_models(self, models: Mapping[str, int], taxonomy: str) -> None:
        """Whose predictions genre and smart playlists use (re-evaluated when they change), and
        which genres new genre playlists offer (a smart playlist shown is shown in them again)."""
        if models != self.models or taxonomy != self.taxonomy:
            self.taxonomy = taxonomy
            self.models = dict(models)
            self.commands.set_context(models, taxonomy)
            self.refresh()

    def _refresh_work(self) -> Callable[[JobContext], _Read]:
        library, models, generation = self.library, dict(self.models), self.writer.generation

        def work(_context: JobContext) -> _Read:
            with library.engine.connect() as conn:
                return generation, models, list_playlists(conn), playlist_counts(conn, models)

        return work

    def _show_playlists(self, result: _Read) -> None:
        generation, models, playlists, counts = result
        if generation != self.writer.generation:
            return  # read before the latest write: the read that write asked for follows
        self.commands.known = {playlist.id: playlist for playlist in playlists}
        self.list.show_playlists(playlists, counts, self._selected)
        self.empty_hint.setVisible(not playlists)
        selected = self.commands.known.get(self._selected) if self._selected is not None else None
        model = self.view.model
        if self._selected is not None and selected is None:
            self._select(None)
        elif selected is not None and (selected.is_smart or selected != model.playlist or models != model.models):
            self.view.show_playlist(selected.id, models, self.taxonomy)  # a manual one changes only here

    def item_for(self, playlist_id: int) -> QTreeWidgetItem | None:
        return self.list.item_for(playlist_id)

    def names(self) -> list[tuple[str, str]]:
        """(name, count) as shown, for tests and the status bar."""
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [(item.text(0), item.text(1)) for item in items if item is not None]

    # --- selection ----------------------------------------------------------------------------

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

    # --- edits in the list ----------------------------------------------------------------------

    def add_to_playlist(self, playlist_id: int, track_ids: list[int]) -> None:
        known = self.commands.known.get(playlist_id)
        name = known.name if known is not None else "the playlist"

        def added(_result: object) -> None:
            if playlist_id == self._selected:
                self.view.reload(self.models)

        self.writer.write(
            lambda conn: add_tracks(conn, playlist_id, track_ids),
            done=added,
            message=f"Added {plural(len(track_ids), 'track')} to {name!r}.",
        )

    def _item_edited(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            playlist_id, name = int(item.data(0, ID_ROLE)), item.text(0)
            self.writer.write(lambda conn: rename_playlist(conn, playlist_id, name))

    def _context_menu(self, point: QPoint) -> None:
        item = self.list.itemAt(point)
        menu = QMenu(self)
        if item is not None:
            playlist_id = int(item.data(0, ID_ROLE))
            menu.addAction("Rename", lambda: self.list.editItem(item, 0))
            menu.addAction("Duplicate", lambda: self.commands.duplicate(playlist_id))
            if item.data(0, SMART_ROLE):
                menu.addAction("Edit rules…", lambda: self.commands.edit_rules(playlist_id))
            menu.addAction("Export…", lambda: self.commands.export(playlist_id))
            menu.addAction("Write genre to tags…", lambda: self.tagWriteRequested.emit(playlist_id))
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self.commands.delete(playlist_id))
            menu.addSeparator()
        menu.addActions(list(self.commands.menu_actions.values()))
        if self.commands.undo_action.isEnabled():
            menu.addAction(self.commands.undo_action)
        menu.popup(self.list.viewport().mapToGlobal(point))
