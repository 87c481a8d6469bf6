"""The window's genre-tag commands: "Write genre to tags…" and Edit → Undo genre tags.

`open_dialog` opens the dialog for a `TrackSelection` (the table's selected tracks, a sidebar
entry's, a playlist's); when a batch is written it announces `LibraryEvents.tracksChanged`, so the
track table's Tag genre column and the sidebar read the files' new tags at once, and lists the
files left alone in the Problems panel (``problemsFound``). The undo action names the latest batch
with files still written and how many; it is read from the library on the job pool when the window
opens (a batch written before a restart can be undone) and after every write or undo. Undo asks
first, naming the count, then runs `undo_batch` on the job pool behind a progress dialog with Cancel.

Ctrl+Z is also the playlists pane's "Undo delete playlist" there: two enabled actions with one
shortcut in reach of the focus would be ambiguous (Qt then triggers neither), so the window gives
this action to its other parts (`shortcut_on`), not to the window as a whole.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.tag_writing.dialog import TagWriteDialog
from desktop_app.gui.tag_writing.preview import TrackSelection, UndoTarget, report_summary, undo_target
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.tag_batches import batch_summaries
from desktop_app.library.tag_writes import BatchReport, LeftAlone, TagProgress, settle_interrupted, undo_batch

WRITE_SHORTCUT = "Ctrl+Shift+T"
UNDO_TEXT = "Undo genre tags"


def _problems(left_alone: list[LeftAlone]) -> list[dict[str, str]]:
    return [{"path": item.path, "reason": item.reason} for item in left_alone]


class TagWriteCommands(QObject):
    """``write_action`` (the window connects it to its selection), ``undo_action``; ``dialog``,
    ``question`` and ``progress`` are the last ones opened (for tests)."""

    message = Signal(str)
    """One line for the status bar."""
    problemsFound = Signal(list, str)
    """Files left alone by a write or an undo, as {"path", "reason"}, and which it was."""

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, window: QWidget) -> None:
        super().__init__(window)
        self._library, self._jobs, self._events, self._window = library, jobs, events, window
        self.write_action = QAction("&Write genre to tags…", self)
        self.write_action.setShortcut(QKeySequence(WRITE_SHORTCUT))
        self.write_action.setStatusTip("Write a genre into the selected tracks' files, after a preview")
        self.undo_action = QAction(UNDO_TEXT, self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setStatusTip("Write back the genre tags the last batch replaced")
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo)
        self.target: UndoTarget | None = None
        """The batch the undo action writes back, as last read."""
        self.reading = False
        self.undoing = False
        self.dialog: TagWriteDialog | None = None
        self.question: QMessageBox | None = None
        self.progress: QProgressDialog | None = None
        self.refresh_undo()

    def shortcut_on(self, *widgets: QWidget) -> None:
        """Ctrl+Z undoes genre tags while the focus is in one of ``widgets`` (see the module)."""
        for widget in widgets:
            widget.addAction(self.undo_action)

    # --- writing ------------------------------------------------------------------------------

    def open_dialog(self, selection: TrackSelection, preferred: str | None = None) -> TagWriteDialog:
        """The dialog for ``selection``, offering ``preferred``'s genres first (the shown taxonomy)."""
        dialog = TagWriteDialog(self._library, self._jobs, selection, preferred, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.written.connect(self._written)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _written(self, report: BatchReport | None) -> None:
        self._events.tracksChanged.emit()
        if report is not None:
            self.message.emit(f"Genre tags: {report_summary(report, len(report.changed))}")
            if report.left_alone:
                self.problemsFound.emit(_problems(report.left_alone), "writing genre tags")
        self.refresh_undo()

    # --- undo ---------------------------------------------------------------------------------

    def refresh_undo(self) -> None:
        """Read which batch the undo action would write back (on the job pool)."""
        library = self._library
        self.reading = True

        def work(_context: JobContext) -> UndoTarget | None:
            settle_interrupted(library)  # a batch a crash cut short is known as it is on disk
            with library.engine.connect() as conn:
                return undo_target(batch_summaries(conn))

        def failed(error: Exception) -> None:
            self.reading = False
            self.message.emit(f"Could not read the genre tag batches: {describe(error)}")

        self._jobs.start(work, name="read tag batches", on_done=self._show_target, on_failed=failed)

    def _show_target(self, target: UndoTarget | None) -> None:
        self.reading = False
        self.target = target
        self.undo_action.setText(target.action_text if target is not None else UNDO_TEXT)
        self.undo_action.setEnabled(target is not None and not self.undoing)

    def undo(self) -> QMessageBox | None:
        """Ask, naming the count; the files are written back only when the person says so."""
        target = self.target
        if target is None or self.undoing:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Undo genre tags",
            target.question(),
            QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("undoTagsBox")
        undo_button = box.addButton(target.action_text, QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is undo_button:
                self.undo_now(target)

        box.finished.connect(answered)
        self.question = box
        box.open()
        return box

    def undo_now(self, target: UndoTarget) -> None:
        """Write back ``target``'s batch on the job pool, behind a progress dialog with Cancel."""
        self.undoing = True
        self.undo_action.setEnabled(False)
        library = self._library
        progress = QProgressDialog("Writing back the previous genre tags…", "Cancel", 0, target.files, self._window)
        progress.setObjectName("undoTagsProgress")
        progress.setWindowTitle("Undo genre tags")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setMinimumDuration(0)
        self.progress = progress

        def work(context: JobContext) -> BatchReport:
            return undo_batch(library, target.batch_id, progress=context.report, should_cancel=context.cancelled)

        def step(report: object) -> None:
            if isinstance(report, TagProgress):
                progress.setValue(report.done)

        def done(report: BatchReport) -> None:
            self._undone()
            self.message.emit(f"Undo genre tags: {report_summary(report, target.files, verb='Restored')}")
            if report.left_alone:
                self.problemsFound.emit(_problems(report.left_alone), "undoing genre tags")

        def failed(error: Exception) -> None:
            self._undone()
            self.message.emit(f"Undo genre tags stopped: {describe(error)}")

        job = self._jobs.start(work, name="undo genre tags", on_done=done, on_failed=failed, on_progress=step)
        progress.canceled.connect(job.cancel)
        progress.open()

    def _undone(self) -> None:
        self.undoing = False
        if self.progress is not None:
            self.progress.close()
        self._events.tracksChanged.emit()
        self.refresh_undo()
