"""A read-only table model over a list of records, each shown as a row of text by a function.

The preview of 10,000 files is one list handed over at once: the view asks only for the rows it
shows, and each row's text is made then (`preview.preview_cells`), never for the whole list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """``headers`` over ``items``, each row's cells made by ``cells(item)``; an item's ``path``
    is every cell's tooltip."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._headers = tuple(headers)
        self._items: Sequence[Any] = ()
        self._cells: Callable[[Any], tuple[str, ...]] = lambda _item: ()

    def show(self, items: Sequence[Any], cells: Callable[[Any], tuple[str, ...]]) -> None:
        self.beginResetModel()
        self._items, self._cells = items, cells
        self.endResetModel()

    def clear(self) -> None:
        self.show((), lambda _item: ())

    def item(self, row: int) -> Any:
        return self._items[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(self._items[index.row()])[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return getattr(self._items[index.row()], "path", None)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None
