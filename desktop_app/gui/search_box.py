"""The search box over the track table: what is typed, parsed, on the next event-loop turn.

Typing is applied on the next turn of the event loop (``SEARCH_DELAY_MS`` 0): a paste or a burst of
keys makes one search. The table's reloads already fold into the one in flight, and an id query
takes at most ~50 ms on a 100,000-track library (bench/startup.py), so a longer delay only made
every search slower. Words the parser cannot use come back as ``problems`` for the status bar.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from desktop_app.library.search import parse_search

SEARCH_DELAY_MS = 0
SEARCH_HINT = 'Search: words, or artist: album: title: genre: predicted: year:1990-1999 (quote "two words")'


class SearchBox(QLineEdit):
    """Emits ``searched(SearchQuery)`` once per burst of typing."""

    searched = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self.setPlaceholderText(SEARCH_HINT)
        self.setClearButtonEnabled(True)
        self.setAcceptDrops(False)  # a dropped file is added to the library, not typed in
        self.timer = QTimer(self)
        """Runs from a keystroke until its search is applied."""
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.textChanged.connect(lambda _text: self.timer.start())
        self.timer.timeout.connect(lambda: self.searched.emit(parse_search(self.text())))

    def focus(self) -> None:
        """Ctrl+F: focus the box with its text selected, to type over it."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def clear_quietly(self) -> None:
        """Empty the box without searching (the table shows everything already)."""
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
