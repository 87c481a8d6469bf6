"""The strip above the track table that says when predictions are missing or not real.

Shown while the window browses CCMusic genres and that model is not installed (or the install is
broken), offering to download or import it; and when the predictions on screen come from test
weights, so random numbers are never mistaken for genres. Hidden when a real model is in use,
which the built-in tagger's broad genres always are.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

_STYLES = {
    "missing": "QFrame#modelBanner { background: #fff4d6; border: 1px solid #e0c46c; border-radius: 4px; }"
    " QLabel { color: #4a3b00; }",
    "test": "QFrame#modelBanner { background: #fde2e1; border: 1px solid #e09a96; border-radius: 4px; }"
    " QLabel { color: #5c1512; }",
}


class ModelBanner(QFrame):
    """Emits ``installRequested`` / ``importRequested`` from its buttons."""

    installRequested = Signal()
    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setOpenExternalLinks(False)
        self.install_button = QPushButton("Install model…", self)
        self.import_button = QPushButton("Import file…", self)
        self.install_button.clicked.connect(self.installRequested)
        self.import_button.clicked.connect(self.importRequested)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.install_button)
        layout.addWidget(self.import_button)
        self.state = "hidden"
        self.hide()

    def show_missing(self, reason: str | None = None) -> None:
        """No usable CCMusic model: explain what still works and offer both ways to get one."""
        text = reason or "The CCMusic model is not installed."
        self._show(
            "missing",
            f"<b>{text}</b> Broad genres and tags come from the built-in tagger and work without it; "
            "CCMusic's 16 genres need its model (about 488 MB).",
        )

    def show_test_model(self, label: str) -> None:
        self._show(
            "test",
            f"<b>Predictions come from test weights</b> ({label}). They are random, not genres. "
            "Install the real model to classify your music.",
        )

    def hide_banner(self) -> None:
        self.state = "hidden"
        self.hide()

    def _show(self, state: str, html: str) -> None:
        self.state = state
        self.setStyleSheet(_STYLES[state])
        self.message.setText(html)
        self.show()
