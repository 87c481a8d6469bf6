"""Keeping the person's place in a table of tracks while its model is reset.

A reset (a scan, an analysis, a new sort, a smart playlist kept up to date) would clear the
selection and jump to the top. `KeptSelection` remembers the selected tracks, the current one and
the scroll position just before, and puts them back on the rows where those tracks are now. The
track table and the playlist view share it; a model that shows another list after the reset (another
playlist) says so through ``list_key``, and then nothing is carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView

MAX_KEPT_SELECTION = 200
"""More selected rows than this are not carried over: finding each would cost a scan per row."""


class RowsOfTracks(Protocol):
    def track_id(self, row: int) -> int | None: ...
    def track_ids(self, rows: Sequence[int]) -> list[int]: ...
    def row_of(self, track_id: int) -> int | None: ...


class KeptSelection:
    """Reselects ``view``'s tracks after each reset of ``model`` (which names rows by track id)."""

    def __init__(
        self,
        view: QAbstractItemView,
        model: QAbstractItemModel,
        rows: RowsOfTracks,
        *,
        list_key: Callable[[], Hashable] = lambda: None,
    ) -> None:
        self._view, self._model, self._rows, self._list_key = view, model, rows, list_key
        self._kept: tuple[Hashable, int | None, list[int], int] | None = None
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self._restore)

    def _remember(self) -> None:
        selection = self._view.selectionModel()
        current = selection.currentIndex()
        rows = [index.row() for index in selection.selectedRows()]
        self._kept = (
            self._list_key(),
            self._rows.track_id(current.row()) if current.isValid() else None,
            self._rows.track_ids(rows) if len(rows) <= MAX_KEPT_SELECTION else [],
            self._view.verticalScrollBar().value(),
        )

    def _restore(self) -> None:
        if self._kept is None:
            return
        key, current_id, selected, scroll = self._kept
        self._kept = None
        if key != self._list_key():
            return
        selection, rows = self._view.selectionModel(), self._rows
        self._view.setAutoScroll(False)
        try:
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            for track_id in selected:
                row = rows.row_of(track_id)
                if row is not None:
                    selection.select(self._model.index(row, 0), flags)
            row = rows.row_of(current_id) if current_id is not None else None
            if row is not None:
                selection.setCurrentIndex(self._model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self._view.verticalScrollBar().setValue(scroll)
        finally:
            self._view.setAutoScroll(True)
