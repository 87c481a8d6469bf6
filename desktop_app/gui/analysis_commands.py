"""The window's Analysis commands (analyse the selection, everything, cancel) and what a run says
when it ends.

The `AnalysisQueue` does the work; this turns a person's request into a queue call and a run's
`AnalysisOutcome` into one status line, with the files that failed listed in the Problems panel.
A run the person asked for says so even when there was nothing left to do; a start-up run that
found nothing stays quiet.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_app.gui.analysis_queue import AnalysisOutcome
from desktop_app.gui.problems_panel import ProblemsPanel
from desktop_app.gui.services import AppServices
from desktop_app.gui.workers import describe
from desktop_app.wording import plural


class AnalysisCommands(QObject):
    """``message`` is one line for the status bar; ``runEnded`` follows every run's report."""

    message = Signal(str)
    runEnded = Signal(bool, object)
    """Whether anything was analysed, and the CCMusic model identity the run used (or None)."""

    def __init__(self, services: AppServices, problems: ProblemsPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scans = services.scans
        self._analysis = services.analysis
        self._problems = problems
        self._asked = False
        """The person asked for an analysis (menu): say so even if there is nothing to do."""
        self._analysis.finished.connect(self._finished)
        self._analysis.failed.connect(self._failed)

    def analyse(self, track_ids: list[int]) -> None:
        if not track_ids:
            self.message.emit("Select tracks to analyse first.")
            return
        self._analysis.enqueue(track_ids)
        self._asked = True
        self.message.emit(f"Analysing {plural(len(track_ids), 'selected track')}…")

    def analyse_all(self) -> None:
        self._analysis.enqueue(None)
        self._asked = True
        self.message.emit("Analysing every track not analysed yet…")

    def cancel(self) -> None:
        """Stop scanning and analysing; what is finished is kept."""
        busy = self._scans.busy or self._analysis.busy
        self._scans.cancel()
        self._analysis.cancel()
        if busy:
            self.message.emit("Stopping… (finished work is kept)")

    def _finished(self, outcome: AnalysisOutcome) -> None:
        asked, self._asked = self._asked, False
        if outcome.model is None and not outcome.tagged and not outcome.failed and not outcome.cancelled:
            if asked:
                self.message.emit("Nothing to analyse: the models have analysed those tracks already.")
            self.runEnded.emit(False, None)
            return
        problems = self._problems.add(outcome.error_files, "analysis")
        parts = [f"tagged {plural(outcome.tagged, 'track')}"]
        if outcome.model is not None:
            parts.append(f"CCMusic analysed {outcome.analysed:,}")
        text = "Built-in tagger " + ", ".join(parts)
        if problems:
            text += f"; {problems:,} could not be analysed (see Problems)"
        if outcome.model is not None and outcome.model.origin == "test":
            text += " (CCMusic with TEST weights: not real predictions)"
        self.message.emit(("Analysis stopped. " if outcome.cancelled else "") + text + ".")
        self.runEnded.emit(True, outcome.model)

    def _failed(self, error: Exception) -> None:
        self.message.emit(f"Analysis stopped: {describe(error)}")
        self.runEnded.emit(False, None)
