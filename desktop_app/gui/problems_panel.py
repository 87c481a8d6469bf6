"""The list of files that could not be added or analysed, with the reason for each.

Problems are reported here and counted in the status bar, never in a modal or crash dialog: a
folder with a few broken files among thousands should not interrupt anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDockWidget, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

MAX_SHOWN = 5_000  # beyond this only the count grows: a list of 100,000 reasons helps nobody


class ProblemsPanel(QDockWidget):
    """A dock listing "path: reason" lines; ``countChanged(int)`` after each change."""

    countChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Problems", parent)
        self.setObjectName("problemsPanel")
        self.list = QListWidget(self)
        self.list.setAlternatingRowColors(True)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(self.clear)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addWidget(clear, 0, Qt.AlignmentFlag.AlignRight)
        self.setWidget(body)
        self.count = 0

    def add(self, problems: Iterable[Mapping[str, str]], context: str) -> int:
        """Add ``{"path", "reason"}`` entries met while ``context`` (e.g. "scan"); returns how many."""
        added = 0
        for problem in problems:
            added += 1
            if self.list.count() < MAX_SHOWN:
                item = QListWidgetItem(f"{problem['path']}: {problem['reason']}")
                item.setToolTip(f"{context}: {problem['path']}\n{problem['reason']}")
                self.list.addItem(item)
        if added:
            self.count += added
            self.countChanged.emit(self.count)
        return added

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def clear(self) -> None:
        self.list.clear()
        self.count = 0
        self.countChanged.emit(0)
