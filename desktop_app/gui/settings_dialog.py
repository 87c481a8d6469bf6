"""The Settings dialog: library folders, rescan on start, inference device, low-confidence threshold."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.settings import DEVICE_LABELS, DEVICES, AppSettings


class SettingsDialog(QDialog):
    """Edits a copy of the values; `apply` writes them back when the dialog is accepted."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._settings = settings

        self.folders = QListWidget(self)
        self.folders.addItems(settings.library_folders)
        add = QPushButton("Add folder…", self)
        remove = QPushButton("Remove", self)
        add.clicked.connect(self._add_folder)
        remove.clicked.connect(self._remove_folder)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(add)
        folder_buttons.addWidget(remove)
        folder_buttons.addStretch(1)

        self.rescan = QCheckBox("Rescan the library folders when Genrescope starts", self)
        self.rescan.setChecked(settings.rescan_on_start)

        self.device = QComboBox(self)
        for device in DEVICES:
            self.device.addItem(DEVICE_LABELS[device], device)
        self.device.setCurrentIndex(DEVICES.index(settings.device))
        self.device.setToolTip("Auto picks CUDA, then Apple MPS, then the CPU.")

        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0, 100)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(round(settings.low_confidence * 100))
        self.threshold.setToolTip("Tracks whose top genre has a lower probability are listed under Low confidence.")

        form = QFormLayout()
        form.addRow("Inference device:", self.device)
        form.addRow("Low confidence below:", self.threshold)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Library folders:", self))
        layout.addWidget(self.folders)
        layout.addLayout(folder_buttons)
        layout.addWidget(self.rescan)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def folder_list(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a music folder")
        if folder and folder not in self.folder_list():
            self.folders.addItem(folder)

    def _remove_folder(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))

    def apply(self) -> None:
        self._settings.library_folders = self.folder_list()
        self._settings.rescan_on_start = self.rescan.isChecked()
        self._settings.device = self.device.currentData()
        self._settings.low_confidence = self.threshold.value() / 100
        self._settings.sync()
