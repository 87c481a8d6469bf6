"""Settings → "Folders on this machine": where this machine finds a shared library's folders.

The window's face of `desktop_app.library.path_mappings` (the command line's is ``genrescope db
map``): this machine's mappings listed (library folder → folder here), Add… (the library folder
typed or picked from the library's own folders, `library.stored_folders`; the folder here chosen
with a folder dialog) and Remove (after asking). A mapping lives in the library, not in the
window's settings, so a change is stored at once rather than on OK, and another machine's mappings
are neither shown nor touched. Every read and write runs on the job pool; a refused mapping shows
`PathMappingError`'s reason and stores nothing; a folder that does not exist here is stored with a
warning, as the command line does (the share may simply not be mounted yet). `changed` tells the
window, whose detail panel then opens the shown track's file where it now is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.path_mappings import FolderMapping, list_mappings, remove_mapping, set_mapping
from desktop_app.library.stored_folders import stored_folders


@dataclass(frozen=True, slots=True)
class MappingsRead:
    """This machine's mappings as stored, and the library's main folders to offer for a new one."""

    mappings: list[FolderMapping]
    folders: list[str]


def _read(library: Library, machine: str) -> MappingsRead:
    """On a worker: the mappings, the stored folders, and this machine's resolver read afresh (so
    the window's next `Library.paths` needs no query on the GUI thread)."""
    with library.engine.connect() as conn:
        folders = stored_folders(conn)
    _ = library.paths
    return MappingsRead(list_mappings(library, machine), folders)


def missing_folder_warning(mapping: FolderMapping) -> str:
    """What to say when a mapping's folder is not on this machine (the command line says the same)."""
    return f"{mapping.local_prefix} is not a folder on this machine (not mounted?): mapped anyway."


class MapFolderDialog(QDialog):
    """Add…: a library folder (typed, or one of the library's) and the folder here that holds it."""

    def __init__(self, folders: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Map a library folder")
        self.library_folder = QComboBox(self)
        self.library_folder.setEditable(True)
        self.library_folder.addItems(folders)
        self.library_folder.setCurrentIndex(-1)
        self.library_folder.setEditText("")
        line = self.library_folder.lineEdit()
        if line is not None:
            line.setPlaceholderText("/mnt/music (as the library stores it)")
        self.library_folder.setMinimumContentsLength(32)
        self.local_folder = QLineEdit(self)
        self.local_folder.setPlaceholderText("where this machine has it")
        choose = QPushButton("Choose…", self)
        choose.clicked.connect(self._choose)
        local_row = QHBoxLayout()
        local_row.addWidget(self.local_folder, 1)
        local_row.addWidget(choose)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Library folder:", self.library_folder)
        form.addRow("Folder on this machine:", local_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def chosen(self) -> tuple[str, str]:
        return self.library_folder.currentText().strip(), self.local_folder.text().strip()

    def show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The library folder on this machine", self.local_folder.text())
        if folder:
            self.local_folder.setText(folder)


class FolderMappingsBox(QGroupBox):
    """This machine's mappings in the open library, edited in place (stored at once)."""

    changed = Signal()
    """A mapping of this machine was added, replaced or removed (`Library.paths` already follows)."""

    def __init__(self, library: Library, machine: str, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(f"Folders on this machine ({machine})", parent)
        self._library = library
        self._machine = machine
        self._jobs = jobs
        self._folders: list[str] = []
        self.add_dialog: MapFolderDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.settled = 0
        """Reads and writes finished so far, well or not (tests wait on it)."""
        self._jobs_pending = False

        note = QLabel(
            "Where this machine finds the library's folders when it mounts them elsewhere than the "
            "machine that scanned them. Stored in the library at once.",
            self,
        )
        note.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(["Library folder", "Folder on this machine"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumSize(480, 110)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.add_button = QPushButton("Add…", self)
        self.remove_button = QPushButton("Remove", self)
        self.add_button.clicked.connect(self.open_add)
        self.remove_button.clicked.connect(self.ask_remove)
        self.remove_button.setEnabled(False)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems()) and not self._jobs_pending)
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.refresh()

    # --- reading ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read this machine's mappings (and the library's folders) on the job pool, then list them."""
        library, machine = self._library, self._machine
        self._busy(True)

        def work(_context: JobContext) -> MappingsRead:
            return _read(library, machine)

        self._jobs.start(work, name="read folder mappings", on_done=self._show, on_failed=self._failed)

    def mappings(self) -> list[tuple[str, str]]:
        """(library folder, folder here) as listed."""
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [(item.text(0), item.text(1)) for item in items if item is not None]

    def _show(self, read: MappingsRead) -> None:
        self._folders = read.folders
        self.list.clear()
        for mapping in read.mappings:
            item = QTreeWidgetItem([mapping.library_prefix, mapping.local_prefix])
            item.setToolTip(1, mapping.local_prefix)
            self.list.addTopLevelItem(item)
        self.settled += 1
        self._busy(False)

    def _failed(self, error: Exception) -> None:
        self._say(describe(error))
        self.settled += 1
        self._busy(False)

    # --- adding ----------------------------------------------------------------------------------

    def open_add(self) -> None:
        """Add…: ask for the two folders; OK stores the mapping (the dialog stays open if refused)."""
        dialog = MapFolderDialog(self._folders, self)
        dialog.buttons.accepted.connect(lambda: self.add(*dialog.chosen()))
        dialog.finished.connect(lambda _result: setattr(self, "add_dialog", None))
        self.add_dialog = dialog
        dialog.open()

    def add(self, library_prefix: str, local_prefix: str) -> None:
        """Store the mapping on the job pool; the reason if refused (in the Add… dialog if open)."""
        library, machine = self._library, self._machine
        self._busy(True)

        def work(_context: JobContext) -> tuple[FolderMapping, bool, MappingsRead]:
            mapping = set_mapping(library, library_prefix, local_prefix, machine)
            return mapping, os.path.isdir(mapping.local_prefix), _read(library, machine)

        self._jobs.start(work, name="map a folder", on_done=self._added, on_failed=self._refused)

    def _added(self, result: tuple[FolderMapping, bool, MappingsRead]) -> None:
        mapping, exists, read = result
        if self.add_dialog is not None:
            self.add_dialog.accept()
        self._show(read)
        self._say("" if exists else missing_folder_warning(mapping))
        self.changed.emit()

    def _refused(self, error: Exception) -> None:
        self._busy(False)
        reason = f"Not mapped: {describe(error)}"
        if self.add_dialog is not None:
            self.add_dialog.show_problem(reason)
        else:
            self._say(reason)
        self.settled += 1

    # --- removing --------------------------------------------------------------------------------

    def ask_remove(self) -> None:
        """Remove: ask first, then forget the selected mapping on the job pool."""
        selected = self.list.selectedItems()
        if not selected:
            return
        prefix, local = selected[0].text(0), selected[0].text(1)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove the mapping",
            f"Stop finding {prefix} under {local} on this machine?\n\n"
            "Its tracks' files are then looked for where the library stores them.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: self._answered(box.clickedButton() is remove, prefix))
        self.confirmation = box
        box.open()

    def _answered(self, confirmed: bool, library_prefix: str) -> None:
        self.confirmation = None
        if confirmed:
            self.remove(library_prefix)

    def remove(self, library_prefix: str) -> None:
        library, machine = self._library, self._machine
        self._busy(True)

        def work(_context: JobContext) -> MappingsRead:
            remove_mapping(library, library_prefix, machine)
            return _read(library, machine)

        def done(read: MappingsRead) -> None:
            self._show(read)
            self._say("")
            self.changed.emit()

        self._jobs.start(work, name="unmap a folder", on_done=done, on_failed=self._failed)

    # --- state -----------------------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        self._jobs_pending = busy
        self.add_button.setEnabled(not busy)
        self.remove_button.setEnabled(not busy and bool(self.list.selectedItems()))
        if self.add_dialog is not None:
            ok = self.add_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
            if ok is not None:
                ok.setEnabled(not busy)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
