"""The verdict of one genre model: its name, headline, Top-5 bar plot, majority vote and weights.

The panel has one per genre model (broad genres, CCMusic), each headed with the model's name so
two Top-5s are never confused. A prediction from a test model (random weights) is drawn faded
under a warning that says so, and a track without a usable analysis says "Not analysed" with the
stored reason, so nothing on screen can pass for a real prediction when it is not one. A broad
genre's bar names the tag that decided it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.gui.detail.verdict import (
    CCMUSIC,
    GENRE_MODELS,
    GenreShare,
    genre_display_name,
    has_prediction,
    is_test_model,
    model_heading,
    precision_words,
    source_tag,
    top_genres,
    vote_count,
)
from desktop_app.gui.resources import genre_palette
from desktop_app.library.analyses import StoredAnalysis

TEST_MODEL_WARNING = "Test model — random weights, not a real prediction"
BAR_HEIGHT = 0.62
X_MAX = 1.22  # room right of a 100 % bar for its percentage
X_MAX_EVIDENCE = 1.7  # and for the deciding tag after it


def percent(probability: float) -> str:
    return f"{probability * 100:.1f}%"


class Top5View(QWidget):
    """Shows `show_analysis(analysis)` of ``model``; the texts are readable back for tests and accessibility."""

    def __init__(self, parent: QWidget | None = None, *, model: str = CCMUSIC) -> None:
        super().__init__(parent)
        self._model = model
        self._entries: list[GenreShare] = []
        self._evidence: list[str] = []
        self._shown: tuple[object, ...] | None = None
        """What `show_analysis` was last called with: the same again redraws nothing."""
        self._heading = QLabel(objectName="modelHeading", wordWrap=True)
        heading_font = self._heading.font()
        heading_font.setWeight(QFont.Weight.DemiBold)
        self._heading.setFont(heading_font)
        self._headline = QLabel(objectName="verdictHeadline", wordWrap=True)
        self._headline.setTextFormat(Qt.TextFormat.RichText)
        font = self._headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.Bold)
        self._headline.setFont(font)
        self._warning = QLabel(TEST_MODEL_WARNING, objectName="testModelWarning", wordWrap=True)
        self._warning.setStyleSheet(
            "QLabel { background: #FFE8A3; color: #5A3B00; border: 1px solid #C99A00;"
            " border-radius: 3px; padding: 3px 6px; font-weight: bold; }"
        )
        self._details = QLabel(objectName="verdictDetails", wordWrap=True)
        self._plot = pg.PlotWidget()
        self._plot.setFixedHeight(140)
        self._setup_plot()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._heading)
        layout.addWidget(self._headline)
        layout.addWidget(self._warning)
        layout.addWidget(self._plot)
        layout.addWidget(self._details)
        layout.addStretch(1)  # side by side with a taller verdict, this one stays at the top
        self.show_analysis(None)

    def _setup_plot(self) -> None:
        # Drawn on the panel's own background: a bar chart, not a dark audio display.
        self._plot.setBackground(None)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        self._text_colour = text
        item = self._plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideAxis("bottom")
        left = item.getAxis("left")
        left.setTextPen(text)
        left.setPen(pg.mkPen(text))
        left.setStyle(tickLength=0)
        item.setXRange(0.0, X_MAX, padding=0.0)
        item.setYRange(-0.5, 4.5, padding=0.0)
        self._bars: pg.BarGraphItem | None = None
        self._labels: list[pg.TextItem] = []

    def show_analysis(
        self,
        analysis: StoredAnalysis | None,
        low_confidence: float = 0.0,
        *,
        evidence: Mapping[str, tuple[str, float]] | None = None,
        absent: str | None = None,
    ) -> None:
        """Show the verdict of a stored analysis (with its model's label and origin), or none.

        ``evidence`` names the tag behind each broad genre (`verdict.broad_evidence`); ``absent``
        is the one quiet line to show instead of "Not analysed" when there is no row at all.
        The same arguments as last time change nothing: the panel shows a track again whenever any
        of its analyses arrives, and redrawing the bars takes milliseconds.
        """
        shown = (analysis, low_confidence, dict(evidence) if evidence else None, absent)
        if shown == self._shown:
            return
        self._shown = shown
        self._heading.setText(model_heading(self._model, analysis))
        self._warning.setVisible(is_test_model(analysis) and has_prediction(analysis))
        self._headline.setVisible(not (analysis is None and absent))
        if not has_prediction(analysis):
            self._show_not_analysed(analysis, absent)
            return
        assert analysis is not None
        assert analysis.probabilities is not None
        self._entries = top_genres(analysis.probabilities, model=self._model)
        self._evidence = [
            source_tag(evidence[e.key][0]) if evidence and e.key in evidence else "" for e in self._entries
        ]
        self._draw_bars(faded=is_test_model(analysis))
        self._plot.setVisible(True)
        best = self._entries[0]
        confidence = best.probability if analysis.confidence is None else float(analysis.confidence)
        low = confidence < low_confidence
        prefix = "Low confidence: " if low else ""
        suffix = " (test model)" if is_test_model(analysis) else ""
        swatch = f'<span style="color:{genre_palette().hex(best.key)}">&#9632;</span> '
        self._headline.setText(f"{swatch}{escape(prefix + best.display_name)} — {percent(confidence)}{escape(suffix)}")
        self._details.setText(_details_html(analysis, self._model))

    def _show_not_analysed(self, analysis: StoredAnalysis | None, absent: str | None) -> None:
        self._entries = []
        self._evidence = []
        self._draw_bars(faded=False)
        self._plot.setVisible(False)
        self._headline.setText("Not analysed")
        error = analysis.error if analysis else None
        if error:
            self._details.setText(f"The analysis failed: {escape(str(error))}" + _model_line(analysis))
        elif analysis:
            self._details.setText("The stored analysis has no probabilities." + _model_line(analysis))
        elif absent:
            self._details.setText(escape(absent))
        else:
            self._details.setText("No genre analysis for this track yet.")

    def _draw_bars(self, faded: bool) -> None:
        item = self._plot.getPlotItem()
        if self._bars is not None:
            item.removeItem(self._bars)
            self._bars = None
        for label in self._labels:
            item.removeItem(label)
        self._labels = []
        ticks = [(self._row(rank), entry.display_name) for rank, entry in enumerate(self._entries)]
        item.getAxis("left").setTicks([ticks])
        if not self._entries:
            return
        palette = genre_palette()
        colours = [palette.qcolor(e.key) for e in self._entries]
        # A test model's bars are hatched outlines: visibly not a real measurement.
        style = Qt.BrushStyle.BDiagPattern if faded else Qt.BrushStyle.SolidPattern
        self._bars = pg.BarGraphItem(
            x0=0.0,
            y=[self._row(rank) for rank in range(len(self._entries))],
            width=[e.probability for e in self._entries],
            height=BAR_HEIGHT,
            pens=[pg.mkPen(c.darker(140), width=1.5 if faded else 1) for c in colours],
            brushes=[QBrush(c, style) for c in colours],
        )
        item.addItem(self._bars)
        item.setXRange(0.0, X_MAX_EVIDENCE if any(self._evidence) else X_MAX, padding=0.0)
        for rank, (entry, tag) in enumerate(zip(self._entries, self._evidence)):
            text = f"{percent(entry.probability)} · {tag}" if tag else percent(entry.probability)
            label = pg.TextItem(text, anchor=(0.0, 0.5), color=self._text_colour)
            label.setPos(entry.probability + 0.015, self._row(rank))
            item.addItem(label)
            self._labels.append(label)

    def _row(self, rank: int) -> float:
        return float(len(self._entries) - 1 - rank)  # best on top

    # Read back what is shown

    @property
    def plot_widget(self) -> pg.PlotWidget:
        return self._plot

    def entries(self) -> list[tuple[str, str]]:
        """(genre display name, percentage text) of the bars, best first."""
        return [(e.display_name, percent(e.probability)) for e in self._entries]

    def evidence(self) -> list[str]:
        """The deciding tag of each bar, best first ("" where none is known)."""
        return list(self._evidence)

    def heading(self) -> str:
        return self._heading.text()

    def headline(self) -> str:
        return self._headline.text() if not self._headline.isHidden() else ""

    def details(self) -> str:
        return self._details.text()

    def warning(self) -> str | None:
        return self._warning.text() if not self._warning.isHidden() else None


def _details_html(analysis: StoredAnalysis, model: str) -> str:
    lines = []
    pieces = GENRE_MODELS[model]
    majority = analysis.majority
    if majority:
        votes = vote_count(analysis.window_probabilities, majority, model)
        count = f" ({votes[0]} of {votes[1]} {pieces.units})" if votes else ""
        lines.append(f"Majority vote: <b>{escape(genre_display_name(majority, model))}</b>{count}")
    if analysis.short_clip:
        lines.append(pieces.short_clip)
    if analysis.silent:
        lines.append("The track is silent: the prediction means nothing.")
    return "<br>".join(lines) + _model_line(analysis)


def _model_line(analysis: StoredAnalysis | None) -> str:
    """ "Model: <label>", and how it ran when the row says ("· reduced precision (int8)")."""
    label = analysis.model_label if analysis else None
    if not label:
        return ""
    ran = precision_words(analysis.precision if analysis else None)
    return f"<br>Model: {escape(str(label))}" + (f" · {ran}" if ran else "")
