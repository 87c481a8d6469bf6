""" "Learn my genres" in the window: train on a worker, show the evaluation, store only if accepted.

The person sees the cross-validated accuracy, the accuracy of always guessing the commonest genre,
each genre's precision and recall and the genres left out before anything is stored; "Use these
genres" stores the model and classifies every analysed track (a matrix product over the stored
embeddings, no audio), both on the job pool, then announces the new model and analyses on the
library's events (`LibraryEvents`) and the model to the window (`applied`) so it can switch to My
genres. A refusal (no labels, one genre, too few examples) is shown as such. The flow tells the
window by signals and never calls it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.workers import JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.wording import plural

USE = "Use these genres"


def evaluation_html(evaluation, notes: list[str]) -> str:
    """Each genre's figures as a table (columns line up whatever the font), then the notes."""
    rows = "".join(
        f"<tr><td>{escape(g.genre)}</td><td align=right>{g.examples}</td>"
        f"<td align=right>{g.precision:.0%}</td><td align=right>{g.recall:.0%}</td></tr>"
        for g in evaluation.genres
    )
    table = (
        "<table cellspacing=0 cellpadding=3><tr><th align=left>genre</th><th>tracks</th>"
        f"<th>precision</th><th>recall</th></tr>{rows}</table>"
    )
    return table + "".join(f"<p>{escape(note)}</p>" for note in notes)


class MyGenresFlow(QObject):
    """Public: `start(source)`; ``last_dialog`` for tests; signals for the window."""

    message = Signal(str)
    applied = Signal(int)

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, window: QWidget) -> None:
        super().__init__(window)
        self._library = library
        self._jobs = jobs
        self._events = events
        self._window = window
        self.last_dialog: QMessageBox | None = None
        self.busy = False

    def start(self, source: str = "tags") -> None:
        if self.busy:
            return
        self.busy = True
        where = "genre tags" if source == "tags" else "playlists"
        self.message.emit(f"Learning your genres from your tracks' {where}…")
        library = self._library

        def work(_context: JobContext):
            from desktop_app.analysis import my_genres

            with library.engine.connect() as conn:
                try:
                    return my_genres.learn(conn, my_genres.embedding_model_id(conn), source)  # type: ignore[arg-type]
                except my_genres.LearnError as exc:
                    return str(exc)

        self._jobs.start(work, name="learn my genres", on_done=self._evaluated, on_failed=self._failed)

    def _evaluated(self, result) -> None:
        if isinstance(result, str):
            self.busy = False
            self.message.emit("Could not learn your genres.")
            self._show(
                QMessageBox.Icon.Information, "Cannot learn your genres yet", result, QMessageBox.StandardButton.Ok
            )
            return
        from desktop_app.analysis.my_genres import describe as describe_evaluation

        lines = describe_evaluation(result.evaluation, result.classifier.genres)
        box = self._show(QMessageBox.Icon.Question, "Learn my genres", lines[0], QMessageBox.StandardButton.Cancel)
        box.setInformativeText(evaluation_html(result.evaluation, lines[1 + len(result.evaluation.genres) :]))
        use = box.addButton(USE, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(use)
        box.buttonClicked.connect(lambda button: self._answered(button is use, result))
        self.message.emit("Your genres are learned: see the evaluation before using them.")

    def _answered(self, accepted: bool, training) -> None:
        if not accepted:
            self.busy = False
            self.message.emit("My genres not changed.")
            return
        library = self._library

        def work(context: JobContext) -> tuple[int, int]:
            from desktop_app.analysis import my_genres

            model_id = my_genres.save(library, training)
            count = my_genres.apply(library, model_id, progress=lambda done, total: context.report((done, total)))
            return model_id, count

        def done(result: tuple[int, int]) -> None:
            self.busy = False
            model_id, count = result
            self.message.emit(f"My genres: {plural(count, 'track')} classified.")
            self._events.modelsChanged.emit()
            self._events.analysesChanged.emit(None)
            self.applied.emit(model_id)

        self._jobs.start(work, name="apply my genres", on_done=done, on_failed=self._failed)

    def _failed(self, error: Exception) -> None:
        self.busy = False
        self.message.emit(f"Learning your genres failed: {describe(error)}")

    def _show(self, icon: QMessageBox.Icon, title: str, text: str, buttons: QMessageBox.StandardButton) -> QMessageBox:
        box = QMessageBox(icon, title, text, buttons, self._window)
        box.setObjectName("myGenresBox")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_dialog = box
        return box
