"""The "Write genre to tags" dialog: options, a preview of every file, then Apply with progress.

Writing into files is the most dangerous thing Genrescope does, so nothing is written until the
person has seen the preview and pressed the one button that names how many files change (Enter
never presses it). The dialog reads the tracks and the models that can supply a genre, then plans
(`plan_genre_writes`: reads every file's genre tag) on the job pool whenever an option changes,
dropping a plan made for options changed since; the preview and the files left alone, with their
reasons, are table models over the plan, so 10,000 files show at once. Apply writes the batch on
the job pool with a progress bar and Stop; the report (written, left alone with reasons, not
written because stopped) replaces the preview, and ``written`` tells the window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.analysis.genre_choices import GenreChoiceError, GenreWritePlan, genre_sources, plan_genre_writes
from desktop_app.gui.tag_writing.preview import (
    LEFT_ALONE_COLUMNS,
    PREVIEW_COLUMNS,
    TrackSelection,
    WriteOptions,
    apply_text,
    default_confidence,
    left_alone_cells,
    plan_summary,
    preview_cells,
    report_summary,
    source_options,
)
from desktop_app.gui.tag_writing.rows_model import RowsModel
from desktop_app.gui.workers import Job, JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.library.tag_writes import TYPED, BatchReport, TagProgress, apply_plan
from desktop_app.wording import plural

REPLAN_DELAY_MS = 300
"""After the last change of an option (typing a genre), before the files are read again."""
PREVIEW_WIDTHS = (230, 140, 190, 105)
LEFT_ALONE_WIDTHS = (220, 430)


def _table(model: RowsModel, widths: tuple[int, ...], parent: QWidget) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table


class TagWriteDialog(QDialog):
    """Public for tests: the option widgets, ``preview``/``left_alone`` (their models),
    ``apply_button``, ``cancel_button``, ``stage``, ``plan`` and ``report``."""

    written = Signal(object)
    """After Apply: the `BatchReport`, or None when the batch failed part-way (some files may be
    written; undo takes them back)."""

    def __init__(
        self,
        library: Library,
        jobs: JobRunner,
        selection: TrackSelection,
        preferred: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tagWriteDialog")
        self.setWindowTitle("Write genre to tags")
        self._library, self._jobs, self._selection, self._preferred = library, jobs, selection, preferred
        self.track_ids: list[int] = []
        self._job: Job | None = None
        self._generation = 0
        self.stage = "reading"
        """reading (the tracks), planning, ready, applying, done."""
        self.plan: GenreWritePlan | None = None
        self.report: BatchReport | None = None

        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self._set_intro(None)
        self.source = QComboBox(self)
        self.genre = QLineEdit(self)
        self.genre.setPlaceholderText("The genre to write, as it should read: Film score")
        self.min_confidence = QDoubleSpinBox(self)
        self.min_confidence.setRange(0, 100)
        self.min_confidence.setDecimals(0)
        self.min_confidence.setSuffix(" %")
        self.replace = QRadioButton("Replace the genre tag", self)
        self.add = QRadioButton("Add as one more genre, keeping those there", self)
        self.add.setToolTip(
            "Formats with several genre values get one more; ID3v2.3 (older MP3 tags) stores them joined by '/'."
        )
        self.replace.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.replace)
        modes.addButton(self.add)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.replace)
        mode_row.addWidget(self.add)
        mode_row.addStretch(1)
        self.options_box = QWidget(self)
        form = QFormLayout(self.options_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.source.setMinimumWidth(220)
        self.genre.setMinimumWidth(360)
        form.addRow("Genre from", self.source)
        form.addRow("Genre", self.genre)
        form.addRow("Top-1 confidence at least", self.min_confidence)
        form.addRow("Existing genres", mode_row)
        self._form = form

        self.summary = QLabel(self)
        self.summary.setObjectName("tagWriteSummary")
        self.summary.setWordWrap(True)
        self.preview = RowsModel(PREVIEW_COLUMNS, self)
        self.left_alone = RowsModel(LEFT_ALONE_COLUMNS, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(_table(self.preview, PREVIEW_WIDTHS, self), "Will change")
        self.tabs.addTab(_table(self.left_alone, LEFT_ALONE_WIDTHS, self), "Left alone")
        self.progress = QProgressBar(self)
        self.progress.hide()

        buttons = QDialogButtonBox(self)
        self.apply_button = QPushButton(apply_text(0), self)
        self.apply_button.setObjectName("applyTagWrites")
        self.cancel_button = QPushButton("Cancel", self)
        for button in (self.apply_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter in the genre field must never write files
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.options_box)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)
        self.resize(960, 600)

        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.setInterval(REPLAN_DELAY_MS)
        self._replan.timeout.connect(self._plan_now)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.genre.textChanged.connect(self._options_changed)
        self.min_confidence.valueChanged.connect(self._options_changed)
        self.replace.toggled.connect(self._options_changed)
        self._show_source_fields()
        self._read_tracks()

    @property
    def settled(self) -> bool:
        """Showing the plan of the options as they are now (or why there is none), or the report."""
        return self.stage in ("ready", "done") and self._job is None and not self._replan.isActive()

    # --- options ------------------------------------------------------------------------------

    def options(self) -> WriteOptions:
        source = self.source.currentData() or TYPED
        return WriteOptions(
            source,
            self.genre.text(),
            "replace" if self.replace.isChecked() else "add",
            None if source == TYPED else self.min_confidence.value() / 100,
        )

    def _set_intro(self, count: int | None) -> None:
        what = self._selection.description + (f" ({plural(count, 'track')})" if count is not None else "")
        self.intro.setText(
            f"<b>Write a genre into the genre tag of {what}.</b> Only the genre tag changes. "
            "Nothing is written until you press the button below; Edit → Undo writes the previous values back."
        )

    def _source_changed(self) -> None:
        source = self.source.currentData() or TYPED
        self.min_confidence.blockSignals(True)
        self.min_confidence.setValue(default_confidence(source) * 100)
        self.min_confidence.blockSignals(False)
        self._show_source_fields()
        self._options_changed()

    def _options_changed(self) -> None:
        """The preview no longer shows these options: Apply waits for the new plan."""
        if self.stage != "ready":
            return
        self.apply_button.setEnabled(False)
        self.summary.setText("Reading the files again for the new options…")
        self._replan.start()

    def _show_source_fields(self) -> None:
        typed = (self.source.currentData() or TYPED) == TYPED
        self._form.setRowVisible(self.genre, typed)
        self._form.setRowVisible(self.min_confidence, not typed)
        if typed:
            self.genre.setFocus()

    # --- reading and planning -----------------------------------------------------------------

    def _read_tracks(self) -> None:
        library, read = self._library, self._selection.read

        def work(_context: JobContext) -> tuple[list[str], list[int]]:
            with library.engine.connect() as conn:
                return genre_sources(conn), read(conn)

        self.summary.setText("Reading the tracks…")
        self._job = self._jobs.start(work, name="tag write tracks", on_done=self._tracks_read, on_failed=self._failed)

    def _tracks_read(self, result: tuple[list[str], list[int]]) -> None:
        self._job = None
        sources, self.track_ids = result
        self._set_intro(len(self.track_ids))
        self.stage = "ready"
        self.source.blockSignals(True)
        for option in source_options(sources):
            self.source.addItem(option.title, option.key)
        preferred = self.source.findData(self._preferred) if self._preferred is not None else -1
        self.source.setCurrentIndex(preferred if preferred >= 0 else 0)
        self.source.blockSignals(False)
        self._source_changed()
        self._plan_now()

    def _plan_now(self) -> None:
        if self.stage in ("reading", "applying", "done"):
            return
        self._replan.stop()
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._generation += 1
        generation, options = self._generation, self.options()
        self.plan = None
        self.preview.clear()
        self.left_alone.clear()
        self._show_counts()
        problem = options.problem()
        if problem is not None:
            self.stage = "ready"
            self.summary.setText(problem)
            return
        self.stage = "planning"
        self.summary.setText("Reading the files' genre tags…")
        self._show_progress(0, len(self.track_ids), "Reading genre tags %v / %m")
        library, track_ids = self._library, list(self.track_ids)

        def work(context: JobContext) -> GenreWritePlan | str:
            try:
                return plan_genre_writes(
                    library,
                    track_ids,
                    model=options.model,
                    genre=options.genre,
                    mode=options.mode,
                    min_confidence=options.min_confidence,
                    progress=context.report,
                    should_cancel=context.cancelled,
                )
            except GenreChoiceError as exc:
                return str(exc)

        self._job = self._jobs.start(
            work,
            name="plan tag writes",
            on_done=lambda result: self._planned(generation, options, result),
            on_failed=lambda error: self._failed(error) if generation == self._generation else None,
            on_progress=lambda progress: self._progressed(progress) if generation == self._generation else None,
        )

    def _planned(self, generation: int, options: WriteOptions, result: GenreWritePlan | str) -> None:
        if generation != self._generation:
            return  # made for options changed since; a newer plan is on its way
        self._job = None
        self.stage = "ready"
        self.progress.hide()
        if isinstance(result, str):
            self.summary.setText(result)
            return
        self.plan = result
        self.preview.show(result.plan.writes, lambda write: preview_cells(write, options.source))
        self.left_alone.show(result.plan.left_alone, left_alone_cells)
        self.summary.setText(plan_summary(result, options))
        self._show_counts()

    def _show_counts(self, done: bool = False) -> None:
        self.tabs.setTabText(0, f"{'Written' if done else 'Will change'} ({self.preview.rowCount():,})")
        self.tabs.setTabText(1, f"Left alone ({self.left_alone.rowCount():,})")
        writes = len(self.plan.plan.writes) if self.plan is not None else 0
        self.apply_button.setText(apply_text(writes))
        self.apply_button.setEnabled(self.stage == "ready" and writes > 0)

    def _show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(text)
        self.progress.show()

    def _progressed(self, progress: Any) -> None:
        if isinstance(progress, TagProgress):
            self.progress.setRange(0, max(progress.total, 1))
            self.progress.setValue(progress.done)

    # --- applying -----------------------------------------------------------------------------

    def apply(self) -> None:
        """Write the previewed plan (the button names its count); the options lock meanwhile."""
        if not (self.settled and self.stage == "ready") or self.plan is None or not self.plan.plan.writes:
            return
        self.stage = "applying"
        plan, library = self.plan.plan, self._library
        self.options_box.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.cancel_button.setText("Stop")
        self.summary.setText("Writing the genre tags…")
        self._show_progress(0, len(plan.writes), "Writing %v / %m")

        def work(context: JobContext) -> BatchReport:
            return apply_plan(library, plan, progress=context.report, should_cancel=context.cancelled)

        self._job = self._jobs.start(
            work, name="write genre tags", on_done=self._applied, on_failed=self._failed, on_progress=self._progressed
        )

    def _applied(self, report: BatchReport) -> None:
        self._job = None
        self.stage = "done"
        self.report = report
        self.progress.hide()
        plan = self.plan.plan if self.plan is not None else None
        source = plan.source if plan is not None else TYPED
        self.preview.show(report.changed, lambda entry: preview_cells(entry, source))
        self.left_alone.show(report.left_alone, left_alone_cells)
        total, left_before = (len(plan.writes), len(plan.left_alone)) if plan is not None else (0, 0)
        self.summary.setText(report_summary(report, total, left_before))
        self._finish()
        self.written.emit(report)

    def _failed(self, error: Exception) -> None:
        self._job = None
        self.progress.hide()
        if self.stage == "applying":
            self.stage = "done"
            self.summary.setText(f"Writing stopped: {describe(error)}. Edit → Undo takes back what was written.")
            self._finish()
            self.written.emit(None)
            return
        self.stage = "ready"
        self.summary.setText(f"Could not read the files: {describe(error)}")

    def _finish(self) -> None:
        self._show_counts(done=True)
        self.apply_button.hide()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def reject(self) -> None:
        """Cancel: while writing, stop after the current file (the dialog stays to show the
        report); else stop reading and close."""
        if self.stage == "applying":
            if self._job is not None:
                self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Stopping…")
            return
        self._replan.stop()
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._generation += 1
        super().reject()
