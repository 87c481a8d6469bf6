"""The window's status bar: a status line, the track count, progress with Cancel, problems, the model.

Its own module so the window only says what to show. Progress text lives in a label beside a
narrow bar rather than inside it: "Reading tags 1,234 / 3,400" does not fit in any bar a status
bar can spare, and a bar's text is clipped without a trace. The status line is the one widget
that gives way when the window is narrow: it is elided and keeps the whole text as its tooltip,
so a long message never widens the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QToolButton, QWidget

from desktop_app.wording import plural

PROGRESS_BAR_WIDTH = 100


class ElidedLabel(QLabel):
    """One line of text that shows what fits and ends in "…"; `text()` and the tooltip stay whole."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), shown, self.foregroundRole()
        )


class StatusBar(QStatusBar):
    """Public widgets: `status_text`, `count_label`, `progress` (with `progress_label`),
    `cancel_button`, `problems_button`, `model_label`; the window connects the buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_text = ElidedLabel("Ready", self)
        self.status_text.setObjectName("statusText")
        self.progress = QProgressBar(self)
        self.progress.setFixedWidth(PROGRESS_BAR_WIDTH)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("progressText")
        self.progress_label.hide()
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop scanning and analysing (what is done is kept)")
        self.cancel_button.hide()
        self.problems_button = QToolButton(self)
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.setToolTip("Files that could not be added or analysed")
        self.problems_button.hide()
        self.model_label = QLabel(self)
        self.model_label.setObjectName("modelLabel")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.addWidget(self.status_text, 1)
        for widget in (
            self.count_label,
            self.progress_label,
            self.progress,
            self.cancel_button,
            self.problems_button,
            self.model_label,
        ):
            self.addPermanentWidget(widget)

    def set_status(self, text: str) -> None:
        self.status_text.setText(text)

    def show_progress(self, done: int, total: int, text: str) -> None:
        """Progress (total 0: busy without a count) with the Cancel button. In ``text``, %v and %m
        stand for ``done`` and ``total``, as in a QProgressBar's format."""
        # Called up to ten times a second while workers hold the GIL: touch only what changed,
        # since every Qt call may wait for the GIL again.
        if self.progress.maximum() != max(total, 0):
            self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)
        shown = text.replace("%v", f"{done:,}").replace("%m", f"{total:,}")
        if self.progress_label.text() != shown:
            self.progress_label.setText(shown)
        if self.progress.isHidden():
            for widget in (self.progress_label, self.progress, self.cancel_button):
                widget.show()

    def hide_progress(self) -> None:
        for widget in (self.progress_label, self.progress, self.cancel_button):
            widget.hide()

    def show_problem_count(self, count: int) -> None:
        self.problems_button.setText(f"⚠ {plural(count, 'problem')}")
        self.problems_button.setVisible(count > 0)
