"""The playlist shown in the window's centre: its name, a summary line, and its entries.

Reorder by drag, drop tracks in from the track table, Delete or Backspace removes the selected
entries (manual playlists only). The entries come from `PlaylistTracksModel`, which reads them on a
worker; the header follows the model whenever it has loaded. A smart playlist read again (the
library or its analyses changed) keeps the selected entries and the scroll position.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QModelIndex, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.kept_selection import KeptSelection
from desktop_app.gui.playlists.tracks_model import PlaylistTracksModel
from desktop_app.wording import plural

COLUMN_WIDTHS = (40, 160, 110, 105, 60, 150, 76)


class PlaylistTable(QTableView):
    """The entries table; Delete or Backspace asks to remove the selected entries."""

    removeRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace:
            self.removeRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class PlaylistView(QWidget):
    """Header (name, count, what a smart playlist selects) over the entries table."""

    trackSelected = Signal(object)
    """A track id, or None."""
    editRulesRequested = Signal(int)
    exportRequested = Signal(int)

    def __init__(self, model: PlaylistTracksModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistView")
        self.model = model
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.summary = QLabel(self)
        self.summary.setObjectName("playlistSummary")
        self.edit_rules = QPushButton("Edit rules…", self)
        self.export = QPushButton("Export…", self)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.summary, 1)
        header.addWidget(self.edit_rules)
        header.addWidget(self.export)

        self.table = PlaylistTable(self)
        self.table.setObjectName("playlistTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._kept = KeptSelection(
            self.table,
            self.model,
            self.model,
            list_key=lambda: None if self.model.playlist is None else self.model.playlist.id,
        )
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.removeRequested.connect(self.remove_selected)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.table, 1)

        self.edit_rules.clicked.connect(lambda: self._about_shown(self.editRulesRequested))
        self.export.clicked.connect(lambda: self._about_shown(self.exportRequested))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.loaded.connect(self._update_header)
        # Right-click: the entries' own action here; the window adds what it does with any tracks.
        self.remove_action = QAction("Remove from playlist", self)
        self.remove_action.setToolTip("Take the selected entries out of this playlist (Delete); the tracks stay")
        self.remove_action.triggered.connect(self.remove_selected)
        self.remove_action.setVisible(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addAction(self.remove_action)

    def show_playlist(self, playlist_id: int | None, models: Mapping[str, int], taxonomy: str | None = None) -> None:
        self.model.load(playlist_id, models, taxonomy)

    def reload(self, models: Mapping[str, int] | None = None) -> None:
        """Read the shown playlist again (a smart one changes with the library and analyses)."""
        self.model.reload(models)

    def _about_shown(self, signal: SignalInstance) -> None:
        if self.model.playlist is not None:
            signal.emit(self.model.playlist.id)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        self.model.remove_rows(rows)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        ids = self.model.track_ids([current.row()]) if current.isValid() else []
        self.trackSelected.emit(ids[0] if ids else None)

    def _update_header(self) -> None:
        playlist, count = self.model.playlist, self.model.rowCount()
        self.title.setText(playlist.name if playlist is not None else "")
        missing = self.model.missing_count
        text = plural(count, "track")
        if missing:
            text += f", {missing:,} missing"
        if playlist is not None and playlist.is_smart:
            text += " · smart playlist, kept up to date"
        elif playlist is not None:
            text += " · drag to reorder, drop tracks here, Delete removes"
        self.summary.setText(text)
        self.edit_rules.setVisible(playlist is not None and playlist.is_smart)
        self.remove_action.setVisible(self.model.editable)
        self.export.setEnabled(playlist is not None)
