"""The tracks of one playlist, in its order: reorder by drag, drop tracks in, Delete to remove.

Edits go straight to the library (`playlists.move_positions`, `add_tracks`, `remove_positions`)
and the list is read back, so what is shown is always what is stored. Smart playlists are
read-only here: their order comes from their rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QKeySequence
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

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.track_drag import TRACK_IDS_MIME, track_ids_from, track_ids_mime
from desktop_app.gui.track_table_model import format_duration
from desktop_app.library.browse import track_rows
from desktop_app.library.database import Library
from desktop_app.library.playlists import (
    ID_BATCH,
    PlaylistError,
    PlaylistInfo,
    add_tracks,
    get_playlist,
    move_positions,
    playlist_track_ids,
    remove_positions,
    tracks_by_id,
)
from desktop_app.wording import plural

ROWS_MIME = "application/x-genrescope-playlist-rows"
COLUMNS = ("#", "Title", "Artist", "Album", "Duration", "Predicted genre", "Confidence")
COLUMN_WIDTHS = (40, 160, 110, 105, 60, 150, 76)
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class EntryRow:
    track_id: int
    cells: tuple[str, ...]
    available: bool


class PlaylistTracksModel(QAbstractTableModel):
    """One row per playlist entry (a track may appear twice). ``edited`` fires after a write."""

    edited = Signal()
    failed = Signal(str)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self.playlist: PlaylistInfo | None = None
        self.models: dict[str, int] = {}
        self.taxonomy = BROAD_MODEL
        """Whose genre the Genre column shows: a smart playlist's own model, else the window's."""
        self.rows: list[EntryRow] = []

    def load(self, playlist_id: int | None, models: Mapping[str, int], taxonomy: str | None = None) -> None:
        """Read the playlist again (after an edit, a re-analysis, or to show another one); ``models``
        are the current model ids, ``taxonomy`` the genres the window shows (None: as before)."""
        self.beginResetModel()
        self.models = dict(models)
        self.rows = []
        self.playlist = None
        if playlist_id is not None:
            with self._library.engine.connect() as conn:
                try:
                    self.playlist = get_playlist(conn, playlist_id)
                except PlaylistError:
                    self.playlist = None
                if self.playlist is not None:
                    rules = self.playlist.rules
                    self.taxonomy = rules.model if rules is not None else taxonomy or self.taxonomy
                    model_id = self.models.get(self.taxonomy)
                    ids = playlist_track_ids(conn, self.playlist, self.models)
                    unique = list(dict.fromkeys(ids))
                    shown = {}
                    for start in range(0, len(unique), ID_BATCH):
                        shown.update(track_rows(conn, unique[start : start + ID_BATCH], model_id))
                    there = {t.id for t in tracks_by_id(conn, unique) if t.available}
                    self.rows = [self._row(n, shown[i], i in there) for n, i in enumerate(ids, 1) if i in shown]
        self.endResetModel()

    def _row(self, number: int, row, available: bool) -> EntryRow:
        confidence = f"{row.confidence:.0%}" if row.confidence is not None else ""  # as in the track table
        genre = TAXONOMIES[self.taxonomy].display_name(row.predicted) if row.predicted else ""
        return EntryRow(
            row.id,
            (
                str(number),
                row.title or PurePath(row.path).name,
                row.artist or "",
                row.album or "",
                format_duration(row.duration),
                genre,
                confidence,
            ),
            available,
        )

    @property
    def editable(self) -> bool:
        return self.playlist is not None and not self.playlist.is_smart

    def track_ids(self, rows: Sequence[int]) -> list[int]:
        return [self.rows[r].track_id for r in rows if 0 <= r < len(self.rows)]

    # --- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and not row.available:
            return "The file is missing: exports skip it unless asked to keep it"
        if role == Qt.ItemDataRole.ForegroundRole and not row.available:
            return QColor("#999999")
        if role == Qt.ItemDataRole.FontRole and not row.available:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 4, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if self.editable else Qt.ItemFlag.NoItemFlags
        return base | (Qt.ItemFlag.ItemIsDropEnabled if self.editable else Qt.ItemFlag.NoItemFlags)

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME, TRACK_IDS_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy only: the view must never remove the dragged rows itself; a move is our own write.
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        mime = track_ids_mime(self.track_ids(rows))
        if self.playlist is not None:
            mime.setData(ROWS_MIME, json.dumps({"playlist": self.playlist.id, "rows": rows}).encode("ascii"))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        return self.editable and (data.hasFormat(ROWS_MIME) or data.hasFormat(TRACK_IDS_MIME))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        """Rows of this playlist move; tracks from elsewhere are inserted at the drop point."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        before = row if row >= 0 else parent.row() if parent.isValid() else len(self.rows)
        moved = self._own_rows(data)
        if moved is not None:
            return self.move_rows(moved, before)
        ids = track_ids_from(data)
        return bool(ids) and self._write(lambda conn, pid: add_tracks(conn, pid, ids, at=before))

    def _own_rows(self, data: QMimeData) -> list[int] | None:
        if not data.hasFormat(ROWS_MIME) or self.playlist is None:
            return None
        payload = json.loads(bytes(data.data(ROWS_MIME).data()).decode("ascii"))
        return payload["rows"] if payload.get("playlist") == self.playlist.id else None

    # --- edits --------------------------------------------------------------------------------

    def _write(self, change) -> bool:
        if self.playlist is None:
            return False
        try:
            with self._library.writer.begin() as conn:
                change(conn, self.playlist.id)
        except PlaylistError as exc:
            self.failed.emit(str(exc))
            return False
        self.load(self.playlist.id, self.models)
        self.edited.emit()
        return True

    def move_rows(self, rows: Sequence[int], before: int) -> bool:
        return self._write(lambda conn, pid: move_positions(conn, pid, rows, before))

    def remove_rows(self, rows: Sequence[int]) -> bool:
        return bool(rows) and self._write(lambda conn, pid: remove_positions(conn, pid, rows))

    def add_track_ids(self, track_ids: Sequence[int], at: int | None = None) -> bool:
        return bool(track_ids) and self._write(lambda conn, pid: add_tracks(conn, pid, track_ids, at=at))


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

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistView")
        self.model = PlaylistTracksModel(library, self)
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
        self.model.modelReset.connect(self._update_header)

    def show_playlist(self, playlist_id: int | None, models: Mapping[str, int], taxonomy: str | None = None) -> None:
        self.model.load(playlist_id, models, taxonomy)

    def reload(self, models: Mapping[str, int] | None = None) -> None:
        """Read the shown playlist again (a smart one changes with the library and analyses)."""
        playlist = self.model.playlist
        self.model.load(
            playlist.id if playlist is not None else None, models if models is not None else self.model.models
        )

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
        playlist, count = self.model.playlist, len(self.model.rows)
        self.title.setText(playlist.name if playlist is not None else "")
        missing = sum(1 for row in self.model.rows if not row.available)
        text = plural(count, "track")
        if missing:
            text += f", {missing:,} missing"
        if playlist is not None and playlist.is_smart:
            text += " · smart playlist, kept up to date"
        elif playlist is not None:
            text += " · drag to reorder, drop tracks here, Delete removes"
        self.summary.setText(text)
        self.edit_rules.setVisible(playlist is not None and playlist.is_smart)
        self.export.setEnabled(playlist is not None)
