"""The window's left column: which genres to browse by, the library sidebar, playlists, similar tracks.

The taxonomy switch (Genres: Broad genre / CCMusic / My genres) sits over the sidebar because it
decides what the sidebar's predicted-genre section, the table's genre column and new genre
playlists show. The three panes share a vertical splitter the window remembers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QSplitter, QVBoxLayout, QWidget

from desktop_app.genres.taxonomy import GENRE_TAXONOMIES


class TaxonomySwitch(QComboBox):
    """Emits ``chosen(model name)`` when the person picks another taxonomy."""

    chosen = Signal(str)

    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taxonomySwitch")
        self.setToolTip("Which genres the sidebar, the table and genre playlists use (Ctrl+1, Ctrl+2)")
        for taxonomy in GENRE_TAXONOMIES:
            self.addItem(f"Genres: {taxonomy.title}", taxonomy.model)
        self.setCurrentIndex(self.findData(current))
        self.currentIndexChanged.connect(lambda index: self.chosen.emit(self.itemData(index)))

    def show_taxonomy(self, model: str) -> None:
        self.setCurrentIndex(self.findData(model))


def column(parent: QWidget, *widgets: QWidget) -> QWidget:
    """``widgets`` stacked with no margins, the last one taking the spare height."""
    holder = QWidget(parent)
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for widget in widgets[:-1]:
        layout.addWidget(widget)
    layout.addWidget(widgets[-1], 1)
    return holder


def browse_column(parent: QWidget, switch: TaxonomySwitch, *panes: QWidget) -> QSplitter:
    """The switch over the first pane (the sidebar), then the other panes, in a vertical splitter."""
    splitter = QSplitter(Qt.Orientation.Vertical, parent)
    splitter.setObjectName("leftSplitter")
    splitter.addWidget(column(parent, switch, panes[0]))
    for pane in panes[1:]:
        splitter.addWidget(pane)
    for index, stretch in enumerate([3] + [1] * (len(panes) - 1)):
        splitter.setStretchFactor(index, stretch)
    return splitter
