"""The list of playlists in the sidebar's pane: names and counts, rename in place, drops.

Tracks dragged from the track table (or the similar-tracks pane) drop onto a manual playlist;
smart playlists refuse them, since their rules choose their tracks.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop_app.gui.track_drag import track_ids_from
from desktop_app.library.playlists import PlaylistInfo

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SMART_ROLE = Qt.ItemDataRole.UserRole + 2


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

    def show_playlists(self, playlists: list[PlaylistInfo], counts: dict[int, int], selected: int | None) -> None:
        """Show these playlists (quietly: no selection or edit signals), ``selected`` current."""
        self.blockSignals(True)
        try:
            self.clear()
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
                    font = QFont(self.font())
                    font.setItalic(True)
                    item.setFont(0, font)
                self.addTopLevelItem(item)
                if playlist.id == selected:
                    self.setCurrentItem(item)
        finally:
            self.blockSignals(False)

    def item_for(self, playlist_id: int) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None and item.data(0, ID_ROLE) == playlist_id:
                return item
        return None

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
