"""Nothing in the detail panel or the status bar is cut at 1280 × 800 and 1920 × 1080, and the
window's splitters keep their sizes across a close and reopen.

The window is shown the crowded case: a track with both genre models (CCMusic's longest genre
name predicted), the taggers' longest tags, a hover readout over both timelines, scan progress
with four-digit counts, a status line longer than any window and a problem count. Every visible
label must then show its whole text: a wrapping label all its lines, a one-line label its text's
width, and the status line, which gives way on purpose, an ellipsis with the whole text as its
tooltip. The combos show their current text in full and the opacity slider has room to be set.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QProgressBar,
    QSplitter,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

from desktop_app.gui.detail.spectrogram_view import LONGEST_READOUT
from desktop_app.gui.detail.verdict import CCMUSIC
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.status_bar import ElidedLabel
from desktop_app.library.browse import TrackDetail
from tests.audio_files import write_audio
from tests.gui_detail_support import analysis_row, tagger_analyses

SIZES = [(1280, 800), (1920, 1080)]
MIN_SLIDER_WIDTH = 80
CHAMBER = "Chamber_cabaret_and_art_pop"
PATCHES = [{"msd:female vocalists": 0.7, "msd:ambient": 0.6, "mtt:female vocal": 0.6, "mtt:harpsichord": 0.5}] * 13
LONG_STATUS = "Drop and 3 more: 12,345 tracks ready; 1,234 could not be read (" + "a-long-file-name.mp3, " * 20 + "…)"


@pytest.fixture
def window(qtbot, library, tmp_path):
    shown = MainWindow(library, AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.close()
    shown.detail._loader.wait_for_idle(30_000)


@pytest.fixture
def song(tmp_path):
    return str(write_audio(tmp_path / "song.wav", seconds=40, freq=440.0))


def _show_crowded(qtbot, window: MainWindow, song: str) -> None:
    ccmusic = replace(analysis_row([CHAMBER, CHAMBER, "Soft_rock"]), model_name=CCMUSIC)
    track = TrackDetail(id=1, path=song, title="A Song With A Title Long Enough To Need Two Lines In The Panel",
                        artist="An Artist With A Long Name", album="An Album", duration=40.0,
                        analysis=ccmusic, analyses={**tagger_analyses(PATCHES), CCMUSIC: ccmusic})
    window.detail.show_track(track)
    qtbot.waitUntil(lambda: window.detail.spectrogram_view.spectrogram() is not None, timeout=60_000)
    window.set_status(LONG_STATUS)
    window.status_bar.show_progress(1234, 3400, "Reading tags %v / %m")
    window.status_bar.show_problem_count(1234)


def _settle(qtbot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().toTuple() == (width, height))
    for _ in range(3):
        QApplication.processEvents()


def _hover_both_timelines(window: MainWindow) -> None:
    view = window.detail.spectrogram_view
    box = view.plot_widget.getPlotItem().getViewBox()
    view.plot_widget.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(18.0, 45.5)))
    QApplication.processEvents()


def _text_width(label: QLabel) -> float:
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text())
    )
    if not rich:
        return label.fontMetrics().horizontalAdvance(label.text())
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setHtml(label.text())
    return document.idealWidth()


def _cut(root: QWidget) -> list[str]:
    """What of ``root``'s visible labels, combos and buttons does not show in full."""
    cut = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        name = f"{label.objectName() or type(label).__name__} {label.text()[:40]!r}"
        room = label.contentsRect()
        if isinstance(label, ElidedLabel):
            if label.is_elided() and label.toolTip() != label.text():
                cut.append(f"{name}: elided without its whole text as the tooltip")
        elif label.wordWrap():
            if label.height() < label.heightForWidth(label.width()):
                cut.append(f"{name}: {label.height()} px high, needs {label.heightForWidth(label.width())}")
        elif _text_width(label) > room.width():
            cut.append(f"{name}: {room.width()} px wide, needs {_text_width(label):.0f}")
    for box in root.findChildren(QComboBox):
        if box.isVisible() and box.currentText():
            option = QStyleOptionComboBox()
            box.initStyleOption(option)
            field = box.style().subControlRect(
                QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, box
            )
            if box.fontMetrics().horizontalAdvance(box.currentText()) > field.width():
                cut.append(f"combo {box.currentText()!r}: {field.width()} px for its text")
    for button in root.findChildren(QAbstractButton):
        if button.isVisible() and button.text() and button.width() < button.sizeHint().width():
            cut.append(f"button {button.text()!r}: {button.width()} of {button.sizeHint().width()} px")
    for bar in root.findChildren(QProgressBar):
        if bar.isVisible() and bar.isTextVisible() and bar.fontMetrics().horizontalAdvance(bar.text()) > bar.width():
            cut.append(f"progress text {bar.text()!r} wider than its bar")
    return cut


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("model", [CCMUSIC, "musicnn-msd"])
def test_nothing_is_cut_in_the_detail_panel_or_the_status_bar(qtbot, window, song, size, model) -> None:
    _show_crowded(qtbot, window, song)
    bar = window.detail.explain
    bar.model_box.setCurrentIndex(bar.model_box.findData(model))
    _settle(qtbot, window, *size)
    _hover_both_timelines(window)
    readout = window.detail.spectrogram_view.findChild(QLabel, "spectrogramReadout")
    assert "window 2/3: Chamber cabaret & art pop" in readout.text() and "patch 7/13" in readout.text()
    assert bar.genre_box.currentText() in ("Chamber cabaret & art pop (predicted)", "female vocalists (70%)")

    assert _cut(window.detail) == []
    assert _cut(window.status_bar) == []
    assert bar.opacity.width() >= MIN_SLIDER_WIDTH
    assert window.status_text.is_elided(), "the test's status line is longer than any window"
    assert window.status_bar.progress_label.text() == "Reading tags 1,234 / 3,400"
    # The readout always has the room of the longest one: moving the mouse never moves the layout.
    longest = readout.fontMetrics().boundingRect(QRect(0, 0, readout.width(), 10_000), Qt.TextFlag.TextWordWrap,
                                                 LONGEST_READOUT)
    assert readout.height() >= longest.height()


def test_every_splitter_keeps_its_sizes_when_the_window_is_reopened(qtbot, library, tmp_path) -> None:
    path = tmp_path / "settings.ini"
    first = MainWindow(library, AppSettings(path))
    qtbot.addWidget(first)
    first.show()
    first.resize(790, 560)  # within the offscreen screen (800 x 600): restoring clamps to the screen
    splitters = first.findChildren(QSplitter)
    assert {first.splitter, first.left} <= set(splitters)
    assert all(s.objectName() for s in splitters) and len({s.objectName() for s in splitters}) == len(splitters)
    for splitter in splitters:  # 30 px from the largest pane to another
        before = splitter.sizes()
        largest = before.index(max(before))
        after = list(before)
        after[largest] -= 30
        after[1 if largest == 0 else 0] += 30
        splitter.setSizes(after)
        assert splitter.sizes() != before
    sizes = {s.objectName(): s.sizes() for s in splitters}
    first.close()

    second = MainWindow(library, AppSettings(path))
    qtbot.addWidget(second)
    second.show()
    assert second.size() == first.size()
    assert {s.objectName(): s.sizes() for s in second.findChildren(QSplitter)} == sizes
    second.close()


def _on_one_row(bar) -> bool:
    """The Explain row's controls side by side: each one's middle within the toggle's height."""
    top, bottom = bar.toggle.geometry().top(), bar.toggle.geometry().bottom()
    return all(top <= w.geometry().center().y() <= bottom for w in (bar.genre_box, bar.opacity, bar.explore_button))


def test_a_wide_panel_has_the_explain_controls_on_one_row_and_nothing_cut(qtbot, window, song) -> None:
    _show_crowded(qtbot, window, song)
    _settle(qtbot, window, 1920, 1080)
    bar = window.detail.explain
    assert bar.toggle.y() < bar.genre_box.y() < bar.opacity.y(), "three rows at the default width"
    window.splitter.setSizes([240, 680, 1000])
    qtbot.waitUntil(lambda: _on_one_row(bar))
    QApplication.processEvents()
    assert _cut(window.detail) == []
    window.splitter.setSizes([240, 1260, 420])
    qtbot.waitUntil(lambda: bar.toggle.y() < bar.genre_box.y() < bar.opacity.y())
