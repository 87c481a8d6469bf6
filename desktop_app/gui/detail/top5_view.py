"""The verdict of an analysis: headline, Top-5 bar plot, majority vote and the model behind it.

A prediction from a test model (random weights) is drawn faded under a warning that says so, and
a track without a usable analysis says "Not analysed" with the stored reason, so nothing on
screen can pass for a real prediction when it is not one.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.gui.detail.verdict import (
    GenreShare,
    genre_display_name,
    has_prediction,
    is_test_model,
    top_genres,
    vote_count,
)
from desktop_app.gui.resources import genre_palette

TEST_MODEL_WARNING = "Test model — random weights, not a real prediction"
BAR_HEIGHT = 0.62
X_MAX = 1.22  # room right of a 100 % bar for its percentage


def percent(probability: float) -> str:
    return f"{probability * 100:.1f}%"


class Top5View(QWidget):
    """Shows `show_analysis(analysis)`; the texts are readable back for tests and accessibility."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[GenreShare] = []
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
        layout.addWidget(self._headline)
        layout.addWidget(self._warning)
        layout.addWidget(self._plot)
        layout.addWidget(self._details)
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

    def show_analysis(self, analysis: Mapping[str, Any] | None, low_confidence: float = 0.0) -> None:
        """Show the verdict of an ``analyses`` row dict (with model_label/model_origin), or none."""
        self._warning.setVisible(is_test_model(analysis) and has_prediction(analysis))
        if not has_prediction(analysis):
            self._show_not_analysed(analysis)
            return
        assert analysis is not None
        self._entries = top_genres(analysis["probabilities"])
        self._draw_bars(faded=is_test_model(analysis))
        self._plot.setVisible(True)
        best = self._entries[0]
        confidence = analysis.get("confidence")
        confidence = best.probability if confidence is None else float(confidence)
        low = confidence < low_confidence
        prefix = "Low confidence: " if low else ""
        suffix = " (test model)" if is_test_model(analysis) else ""
        swatch = f'<span style="color:{genre_palette().hex(best.key)}">&#9632;</span> '
        self._headline.setText(
            f"{swatch}{escape(prefix + best.display_name)} — {percent(confidence)}{escape(suffix)}"
        )
        self._details.setText(_details_html(analysis))

    def _show_not_analysed(self, analysis: Mapping[str, Any] | None) -> None:
        self._entries = []
        self._draw_bars(faded=False)
        self._plot.setVisible(False)
        self._headline.setText("Not analysed")
        error = (analysis or {}).get("error")
        if error:
            self._details.setText(f"The analysis failed: {escape(str(error))}" + _model_line(analysis))
        elif analysis:
            self._details.setText("The stored analysis has no probabilities." + _model_line(analysis))
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
        for rank, entry in enumerate(self._entries):
            label = pg.TextItem(percent(entry.probability), anchor=(0.0, 0.5), color=self._text_colour)
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

    def headline(self) -> str:
        return self._headline.text()

    def details(self) -> str:
        return self._details.text()

    def warning(self) -> str | None:
        return self._warning.text() if not self._warning.isHidden() else None


def _details_html(analysis: Mapping[str, Any]) -> str:
    lines = []
    majority = analysis.get("majority")
    if majority:
        votes = vote_count(analysis.get("window_probabilities"), majority)
        count = f" ({votes[0]} of {votes[1]} windows)" if votes else ""
        lines.append(f"Majority vote: <b>{escape(genre_display_name(majority))}</b>{count}")
    if analysis.get("short_clip"):
        lines.append("Short clip (under 11.4 s): analysed as one stretched window, less reliable.")
    if analysis.get("silent"):
        lines.append("The track is silent: the prediction means nothing.")
    return "<br>".join(lines) + _model_line(analysis)


def _model_line(analysis: Mapping[str, Any] | None) -> str:
    label = (analysis or {}).get("model_label")
    return f"<br>Model: {escape(str(label))}" if label else ""
