"""The Settings dialog: library location, this machine's folders, library folders, rescan on start,
device, precision, threshold.

The library location is a SQLite file (chosen with a file dialog, new or existing) or a
PostgreSQL URL (typed). The field shows a URL without its password once typed; "Test connection"
tries the location on the job pool (`library.location_check`, which opens nothing) and says what
happened in the library's own words. The window reopens on a new location when the dialog is
accepted (`gui.library_switch`), unless ``--db`` or ``GENRESCOPE_DB`` chose this run's library.
Below it, the open library's folders as this machine finds them (`gui.folder_mappings`), which are
stored in the library itself as they are edited.
"""

from __future__ import annotations

from urllib.parse import quote

from PySide6.QtCore import Qt
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
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.folder_mappings import FolderMappingsBox
from desktop_app.gui.settings import DEVICE_LABELS, DEVICES, PRECISION_CHOICES, PRECISION_LABELS, AppSettings
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.location import LibraryLocationError, hide_password, is_url, parse_location
from desktop_app.library.location_check import check_location
from desktop_app.library.path_mappings import machine_name

PASSWORD_ADVICE = (
    "A password typed in a URL is kept in Genrescope's settings file as typed (readable only by you); "
    "better leave it out and put it in ~/.pgpass, where PostgreSQL's tools look for it."
)


def hidden_password(value: str) -> str:
    """``value`` as the window shows it: a URL without its password (a path, or anything unreadable, as is)."""
    try:
        return str(parse_location(value))
    except LibraryLocationError:
        return hide_password(value)


class SettingsDialog(QDialog):
    """Edits a copy of the values; `apply` writes them back when the dialog is accepted."""

    def __init__(
        self,
        settings: AppSettings,
        jobs: JobRunner,
        parent: QWidget | None = None,
        *,
        current_location: str = "",
        override: str | None = None,
        library: Library | None = None,
    ) -> None:
        """``current_location``: the library open now; ``override``: ``--db`` or ``GENRESCOPE_DB`` if
        one of them chose it (the setting then waits for a start without them); ``library``: the
        open library, whose folders on this machine the dialog shows and edits (None: not shown)."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._settings = settings
        self._jobs = jobs
        self._initial_location = settings.library_location or current_location
        self._location = self._initial_location
        """The location as given (a URL with its password); the field shows it without."""

        self.location = QLineEdit(hidden_password(self._location), self)
        self.location.setPlaceholderText("/path/to/library.sqlite3 or postgresql://user@host/dbname")
        self.location.setToolTip(PASSWORD_ADVICE)
        self.location.textEdited.connect(self._location_typed)
        self.location.editingFinished.connect(lambda: self.location.setText(hidden_password(self._location)))
        choose = QPushButton("Choose file…", self)
        choose.clicked.connect(self._choose_file)
        self.test_button = QPushButton("Test connection", self)
        self.test_button.clicked.connect(self.test_connection)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(choose)
        location_row.addWidget(self.test_button)
        self.test_result = QLabel("", self)
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.override_note = QLabel("", self)
        self.override_note.setWordWrap(True)
        if override is not None:
            self.override_note.setText(
                f"This run's library was given by {override}, which wins over this setting: "
                "a change here takes effect when Genrescope starts without it."
            )
        self.override_note.setVisible(override is not None)
        self.tests_run = 0
        self.folder_mappings = FolderMappingsBox(library, machine_name(), jobs, self) if library is not None else None

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

        self.precision = QComboBox(self)
        for choice in PRECISION_CHOICES:
            self.precision.addItem(PRECISION_LABELS[choice], choice)
        self.precision.setCurrentIndex(PRECISION_CHOICES.index(settings.precision))
        self.precision.setToolTip(
            "Automatic: the first analyses run exact and also the faster reduced precision (int8 for "
            "CCMusic on CPUs with VNNI, else bf16 on CPUs with native bf16, fp16 on CUDA) on a sample of "
            "your music; once it agrees with exact, later analyses use it. Always exact never uses it; "
            "Always fast uses it without a check."
        )

        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0, 100)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(round(settings.low_confidence * 100))
        self.threshold.setToolTip("Tracks whose top genre has a lower probability are listed under Low confidence.")

        form = QFormLayout()
        form.addRow("Inference device:", self.device)
        form.addRow("Precision:", self.precision)
        form.addRow("Low confidence below:", self.threshold)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Library location (a SQLite file, or a PostgreSQL URL):", self))
        layout.addLayout(location_row)
        layout.addWidget(self.test_result)
        layout.addWidget(self.override_note)
        if self.folder_mappings is not None:
            layout.addWidget(self.folder_mappings)
        layout.addWidget(QLabel("Library folders:", self))
        layout.addWidget(self.folders)
        layout.addLayout(folder_buttons)
        layout.addWidget(self.rescan)
        layout.addLayout(form)
        layout.addWidget(buttons)

    # --- library location ----------------------------------------------------------------------

    @property
    def chosen_location(self) -> str:
        """The location as given, password included (never shown: the field hides it)."""
        return self._location.strip()

    @property
    def location_changed(self) -> bool:
        return self.chosen_location != self._initial_location.strip()

    def set_location(self, value: str) -> None:
        self._location = value
        self.location.setText(hidden_password(value))
        self.test_result.clear()

    def _location_typed(self, text: str) -> None:
        self._location = text
        if ":***@" in text:  # an edit of the URL shown: the password it hides stays
            try:
                password = getattr(parse_location(self._initial_location), "password", None)
            except LibraryLocationError:
                password = None
            if password:
                self._location = text.replace(":***@", f":{quote(password, safe='')}@", 1)
        self.test_result.clear()

    def _choose_file(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Library file (an existing one, or a new name)",
            self.chosen_location if not is_url(self.chosen_location) else "",
            "Genrescope library (*.sqlite3 *.sqlite *.db);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.set_location(path)

    def test_connection(self) -> None:
        """Try the location on the job pool; the answer, or what went wrong, appears below the field."""
        value = self.chosen_location
        self.test_button.setEnabled(False)
        self.test_result.setText("Trying…")

        def work(_context: JobContext) -> str:
            return check_location(value)

        def done(message: str) -> None:
            self._tested(message)

        def failed(error: Exception) -> None:
            self._tested(f"Failed: {describe(error)}")

        self._jobs.start(work, name="test library location", on_done=done, on_failed=failed)

    def _tested(self, message: str) -> None:
        self.tests_run += 1
        self.test_button.setEnabled(True)
        self.test_result.setText(message)

    # --- library folders -----------------------------------------------------------------------

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
        """Store everything but the library location, which `library_switch` stores once it opened."""
        self._settings.library_folders = self.folder_list()
        self._settings.rescan_on_start = self.rescan.isChecked()
        self._settings.device = self.device.currentData()
        self._settings.precision = self.precision.currentData()
        self._settings.low_confidence = self.threshold.value() / 100
        self._settings.sync()
