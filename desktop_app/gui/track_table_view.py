"""The track table: the view over `TrackTableModel` that keeps the person's place while rows change.

A reload that resets the model (a scan, an analysis, a new sort) reselects the same tracks without
jumping the scroll position. `select_track` waits for a list read after the request, so a track
just scanned is found, switches to All tracks when the current scope or search hides the track,
and centres it. Row heights are fixed, so the view never measures 100,000 rows. An empty table
says why (`empty_text`), and an empty library offers to open a folder or add files: the first
thing a newcomer sees.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QResizeEvent
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
from desktop_app.gui.track_table_model import COLUMN_INDEX, TrackTableModel
from desktop_app.library.browse import Scope, TrackView
from desktop_app.library.search import parse_search

COLUMN_WIDTHS = {
    "title": 140,
    "artist": 110,
    "album": 105,
    "duration": 60,
    "tag_genre": 80,
    "predicted": 185,
    "confidence": 76,
}
SELECT_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
HINT_WIDTH = 440
EMPTY_LIBRARY = (
    "Your library is empty.\n\nOpen a music folder (Ctrl+O) or add files (Ctrl+Shift+O), or drag songs "
    "or folders onto this window. Genrescope reads their tags, then listens to each one to find its genre."
)


def empty_text(view: TrackView) -> tuple[str, bool]:
    """What an empty table says for ``view``, and whether it offers to add music (only when the
    library itself is empty: All tracks, no search)."""
    if not view.search.is_empty:
        return "No track matches the search.", False
    if view.scope == Scope("all"):
        return EMPTY_LIBRARY, True
    return "No tracks here.", False


class EmptyHint(QWidget):
    """Over the table's empty viewport: why it is empty, and in an empty library, the way in."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("emptyHint")
        self.text = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.open_folder = QPushButton("Open folder…")
        self.add_files = QPushButton("Add files…")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_folder)
        buttons.addWidget(self.add_files)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def show_text(self, text: str, offer_music: bool) -> None:
        """``text``: its first paragraph in bold."""
        first, _, rest = text.partition("\n\n")
        self.text.setText(f"<b>{escape(first)}</b>" + (f"<br><br>{escape(rest)}" if rest else ""))
        self.open_folder.setVisible(offer_music)
        self.add_files.setVisible(offer_music)
        self._fit_text()
        self.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        """A wrapped label in a box layout gets one line's height unless told its width."""
        width = max(120, min(HINT_WIDTH, self.width() - 24))
        self.text.setFixedWidth(width)
        self.text.setFixedHeight(self.text.heightForWidth(width))


class TrackTable(QTableView):
    """Public: `select_track`, ``pending_select``, `step`, `selected_track_ids`, `current_track_id`."""

    showingAll = Signal()
    """The table switched to All tracks to show a track chosen elsewhere: the search box and the
    sidebar should say so."""
    openFolderRequested = Signal()
    addFilesRequested = Signal()

    def __init__(self, model: TrackTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackTable")
        self.setModel(model)
        self._model = model
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)  # onto a playlist
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        for key, width in COLUMN_WIDTHS.items():
            self.setColumnWidth(COLUMN_INDEX[key], width)
        self.setSortingEnabled(True)
        self.sortByColumn(COLUMN_INDEX["artist"], Qt.SortOrder.AscendingOrder)
        self.pending_select: tuple[int, int] | None = None
        """The track to select and the reload it must come after, until a list has it."""
        self._kept = KeptSelection(self, model, model)
        model.reloaded.connect(self._select_pending)
        self.empty_hint = EmptyHint(self.viewport())
        self.empty_hint.hide()  # until a list has been read: an unread table is not an empty one
        self.empty_hint.open_folder.clicked.connect(self.openFolderRequested)
        self.empty_hint.add_files.clicked.connect(self.addFilesRequested)
        model.reloaded.connect(self._show_if_empty)

    def _show_if_empty(self) -> None:
        if self._model.rowCount() > 0:
            self.empty_hint.hide()
            return
        self.empty_hint.setGeometry(self.viewport().rect())
        self.empty_hint.show_text(*empty_text(self._model.view))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty_hint.setGeometry(self.viewport().rect())

    def current_track_id(self) -> int | None:
        current = self.selectionModel().currentIndex()
        return self._model.track_id(current.row()) if current.isValid() else None

    def selected_track_ids(self) -> list[int]:
        return self._model.track_ids(sorted({index.row() for index in self.selectionModel().selectedRows()}))

    def select_track(self, track_id: int) -> None:
        """Select ``track_id`` once the table has data that includes it (switching to All tracks if hidden)."""
        self.pending_select = (track_id, self._model.started_generation)
        self._model.request_reload()

    def step(self, delta: int) -> None:
        """Select the next (1) or previous (-1) track in the current view."""
        current = self.selectionModel().currentIndex()
        row = (current.row() if current.isValid() else -1) + delta
        if 0 <= row < self._model.rowCount():
            self.selectionModel().setCurrentIndex(self._model.index(row, 0), SELECT_ROW)

    def _select_pending(self) -> None:
        if self.pending_select is None:
            return
        model = self._model
        track_id, after = self.pending_select
        if model.shown_generation <= after:
            return  # this list was read before the track existed
        row = model.row_of(track_id)
        if row is not None:
            self.pending_select = None
            index = model.index(row, 0)
            self.selectionModel().setCurrentIndex(index, SELECT_ROW)
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        elif model.view.scope != Scope("all") or not model.view.search.is_empty:
            self.pending_select = (track_id, model.started_generation)
            model.set_view(replace(model.view, scope=Scope("all"), search=parse_search("")))
            self.showingAll.emit()
        else:
            self.pending_select = None
