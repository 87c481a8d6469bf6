"""The Top-5 verdict: bars and percentages, majority vote, model, test-model warning, not analysed."""

from __future__ import annotations

from dataclasses import replace

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.gui.detail.top5_view import TEST_MODEL_WARNING, Top5View
from desktop_app.gui.resources import genre_palette
from desktop_app.library.analyses import StoredAnalysis
from tests.gui_detail_support import TEST_LABEL, analysis_row


@pytest.fixture
def top5(qtbot):
    view = Top5View()
    qtbot.addWidget(view)
    view.show()
    return view


def _probabilities(**by_key: float) -> list[float]:
    rest = (1.0 - sum(by_key.values())) / (16 - len(by_key))
    return [by_key.get(k, rest) for k in GENRE_KEYS]


def _bars(view: Top5View) -> pg.BarGraphItem:
    return next(i for i in view.plot_widget.getPlotItem().items if isinstance(i, pg.BarGraphItem))


def test_top5_bars_with_percentages_best_first(top5) -> None:
    probabilities = _probabilities(Soft_rock=0.40, Opera=0.20, Dance_pop=0.15, Solo=0.10, Teen_pop=0.05)
    analysis = analysis_row(["Soft_rock", "Opera", "Soft_rock"], probabilities=probabilities)
    top5.show_analysis(analysis)
    assert top5.entries() == [
        ("Soft rock", "40.0%"),
        ("Opera", "20.0%"),
        ("Dance pop", "15.0%"),
        ("Solo", "10.0%"),
        ("Teen pop", "5.0%"),
    ]
    bars = _bars(top5)
    assert list(bars.opts["width"]) == pytest.approx([0.40, 0.20, 0.15, 0.10, 0.05])
    assert list(bars.opts["y"]) == [4.0, 3.0, 2.0, 1.0, 0.0]  # best on top
    palette = genre_palette()
    assert pg.mkBrush(bars.opts["brushes"][0]).color().name() == palette.hex("Soft_rock").lower()
    texts = [i.toPlainText() for i in top5.plot_widget.getPlotItem().items if isinstance(i, pg.TextItem)]
    assert texts == ["40.0%", "20.0%", "15.0%", "10.0%", "5.0%"]
    assert "Soft rock — 40.0%" in top5.headline()
    assert "Majority vote: <b>Soft rock</b> (2 of 3 windows)" in top5.details()
    assert "Model: CCMusic VGG19_BN CQT" in top5.details() and "precision" not in top5.details()
    assert top5.warning() is None


def test_how_the_network_ran_is_said_where_the_row_records_it(top5) -> None:
    for precision, words in (("int8", "reduced precision (int8)"), ("bf16", "reduced precision (bf16)"),
                             ("fp32", "exact (fp32)")):
        top5.show_analysis(replace(analysis_row(["Opera"]), precision=precision))
        assert top5.details().endswith(f"sha256 0123456789ab) · {words}")
    top5.show_analysis(replace(analysis_row(["Opera"]), error="decoding failed", precision=None))
    assert top5.details().endswith("sha256 0123456789ab)"), "not recorded: nothing said"


def test_a_test_model_is_never_shown_as_a_real_prediction(top5) -> None:
    top5.show_analysis(analysis_row(["Opera"], origin="test"))
    assert top5.warning() == TEST_MODEL_WARNING == "Test model — random weights, not a real prediction"
    assert top5.headline().endswith("(test model)")
    assert TEST_LABEL in top5.details()
    assert all(pg.mkBrush(b).style() == Qt.BrushStyle.BDiagPattern for b in _bars(top5).opts["brushes"])


def test_low_confidence_is_said_in_the_headline(top5) -> None:
    analysis = analysis_row(["Opera"], probabilities=_probabilities(Opera=0.30))
    top5.show_analysis(analysis, low_confidence=0.5)
    assert "Low confidence: Opera — 30.0%" in top5.headline()
    top5.show_analysis(analysis, low_confidence=0.2)
    assert "Low confidence" not in top5.headline()


def test_short_clip_and_silence_are_explained(top5) -> None:
    analysis = replace(analysis_row(["Opera"]), short_clip=True, silent=True)
    top5.show_analysis(analysis)
    assert "Short clip (under 11.4 s)" in top5.details()
    assert "silent" in top5.details()


def test_not_analysed(top5) -> None:
    top5.show_analysis(None)
    assert top5.headline() == "Not analysed"
    assert top5.details() == "No genre analysis for this track yet."
    assert top5.entries() == [] and top5.warning() is None
    assert not any(isinstance(i, pg.BarGraphItem) for i in top5.plot_widget.getPlotItem().items)


def test_not_analysed_says_why_when_the_analysis_failed(top5) -> None:
    failed = StoredAnalysis(error="truncated/corrupt: unexpected end of file", probabilities=None,
                            model_label=TEST_LABEL, model_origin="test")
    top5.show_analysis(failed)
    assert top5.headline() == "Not analysed"
    assert "The analysis failed: truncated/corrupt: unexpected end of file" in top5.details()
    assert top5.warning() is None  # nothing predicted, nothing to warn about


def test_the_same_analysis_again_redraws_nothing(top5) -> None:
    """The panel shows the track again whenever any of its analyses arrives: an unchanged verdict
    keeps its plot items (redrawing them is GUI-thread time), a changed one is redrawn."""
    analysis = analysis_row(["Opera"], probabilities=_probabilities(Opera=0.5))
    top5.show_analysis(analysis, 0.3)
    bars = _bars(top5)
    top5.show_analysis(replace(analysis), 0.3)  # an equal copy, as a new read of the library gives
    assert _bars(top5) is bars
    top5.show_analysis(analysis, 0.6)  # the threshold changed: the headline says so
    assert "Low confidence" in top5.headline() and _bars(top5) is not bars
    top5.show_analysis(None)
    assert top5.entries() == [] and top5.headline() == "Not analysed"
