"""The spectrogram view: orientation, genre timeline, hover readout, click-to-seek, zoom limits."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop_app.gui.detail.spectrogram_loader import compute_spectrogram
from desktop_app.gui.detail.spectrogram_view import HINT, LANE_TOP, SpectrogramView
from desktop_app.gui.detail.verdict import timeline
from desktop_app.gui.resources import genre_palette
from tests.audio_files import write_audio
from tests.gui_detail_support import analysis_row

LOW_HZ, LOW_BIN = 65.406, 12  # C2
HIGH_HZ, HIGH_BIN = 1046.5, 60  # C6
HOP_SECONDS = 512 / 22050


@pytest.fixture(scope="module")
def spectrograms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tones")
    return {
        "low": compute_spectrogram(str(write_audio(folder / "low.wav", seconds=3, freq=LOW_HZ))),
        "high": compute_spectrogram(str(write_audio(folder / "high.wav", seconds=3, freq=HIGH_HZ))),
        "song": compute_spectrogram(str(write_audio(folder / "song.wav", seconds=40, freq=440.0))),
    }


@pytest.fixture
def view(qtbot):
    widget = SpectrogramView()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _image_item(view: SpectrogramView) -> pg.ImageItem:
    return next(i for i in view.plot_widget.getPlotItem().items if isinstance(i, pg.ImageItem))


def _viewport_pos(view: SpectrogramView, seconds: float, y: float) -> QPoint:
    scene = view.plot_widget.getPlotItem().getViewBox().mapViewToScene(QPointF(seconds, y))
    return view.plot_widget.mapFromScene(scene)


def test_low_notes_are_at_the_bottom_of_the_data(view, spectrograms) -> None:
    spec = spectrograms["low"]
    assert spec.db.shape[0] == 84
    view.set_spectrogram(spec)
    image = _image_item(view).image  # [x = frame, y = bin]
    assert image.shape == (spec.frames, 84)
    loudest = image.max(axis=0)
    assert abs(int(loudest.argmax()) - LOW_BIN) <= 1
    assert loudest[LOW_BIN] > -3 and loudest[HIGH_BIN] < -40
    placed = _image_item(view).mapRectToView(_image_item(view).boundingRect())
    assert placed.top() == pytest.approx(0.0) and placed.bottom() == pytest.approx(84.0)
    assert placed.left() == pytest.approx(-HOP_SECONDS / 2)
    assert not view.plot_widget.getPlotItem().getViewBox().yInverted()


@pytest.mark.parametrize(("tone", "bin_index"), [("low", LOW_BIN), ("high", HIGH_BIN)])
def test_bright_rows_on_screen_are_where_the_tone_is(view, spectrograms, tone, bin_index) -> None:
    """In the rendered pixels, the tone's row sits at its note's height, measured from the bottom."""
    view.set_spectrogram(spectrograms[tone])
    QApplication.processEvents()
    frame = view.plot_widget.grab().toImage().convertToFormat(pg.QtGui.QImage.Format.Format_RGB32)
    pixels = pg.functions.ndarray_from_qimage(frame)[..., :3].astype(int)
    rect = view.plot_widget.mapFromScene(
        view.plot_widget.getPlotItem().getViewBox().sceneBoundingRect()
    ).boundingRect()
    plot = pixels[rect.top() : rect.bottom(), rect.left() + 10 : rect.right() - 10]
    brightness = plot.sum(axis=2).mean(axis=1)  # magma: loud is bright
    row = int(brightness.argmax())
    height_from_bottom = (plot.shape[0] - row) / plot.shape[0] * LANE_TOP  # in bins
    assert abs(height_from_bottom - (bin_index + 0.5)) < 2.5


def test_window_bands_follow_the_windows_and_their_top_genre(view, spectrograms) -> None:
    spec = spectrograms["song"]
    view.set_spectrogram(spec)
    analysis = analysis_row(["Opera", "Dance_pop", "Opera"])
    view.set_timeline(timeline(analysis, spec.window_bounds))

    # The reference layout of a 40 s song: 1723 frames, step 491, 3 windows, begin 125.
    assert spec.frames == 1723
    expected = [((125 + k * 491) * HOP_SECONDS, (125 + (k + 1) * 491) * HOP_SECONDS) for k in range(3)]
    assert [t for b in view.bands() for t in (b.start, b.end)] == pytest.approx([t for w in expected for t in w])
    assert [b.genre.key for b in view.bands()] == ["Opera", "Dance_pop", "Opera"]

    bars = [i for i in view.plot_widget.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    assert len(bars) == 2  # translucent fill over the notes, opaque lane above them
    palette = genre_palette()
    fill, lane = sorted(bars, key=lambda b: b.opts["y0"])
    assert list(lane.opts["x0"]) == pytest.approx([s for s, _ in expected])
    assert list(lane.opts["x1"]) == pytest.approx([e for _, e in expected])
    lane_colours = [pg.mkBrush(b).color() for b in lane.opts["brushes"]]
    assert [c.name() for c in lane_colours] == [palette.hex(k).lower() for k in ("Opera", "Dance_pop", "Opera")]
    assert all(c.alpha() == 255 for c in lane_colours)
    assert all(0 < pg.mkBrush(b).color().alpha() < 100 for b in fill.opts["brushes"])
    assert lane.opts["y0"] >= 84 and fill.opts["y1"] == 84
    legend = view.findChild(pg.QtWidgets.QLabel, "timelineLegend").text()
    assert "Opera ×2" in legend and "Dance pop ×1" in legend


def test_no_bands_when_the_file_no_longer_matches_its_analysis(view, spectrograms) -> None:
    spec = spectrograms["song"]
    view.set_spectrogram(spec)
    view.set_timeline(timeline(analysis_row(["Opera"] * 5), spec.window_bounds))
    assert view.bands() == ()
    assert not [i for i in view.plot_widget.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    legend = view.findChild(pg.QtWidgets.QLabel, "timelineLegend").text()
    assert "5 windows" in legend and "re-analyse" in legend


def test_hover_readout_says_time_note_level_and_window(qtbot, view, spectrograms) -> None:
    spec = spectrograms["song"]  # a 440 Hz tone: A4 is bin 45
    view.set_spectrogram(spec)
    view.set_timeline(timeline(analysis_row(["Opera", "Dance_pop", "Opera"]), spec.window_bounds))
    text = view.readout_at(20.0, 45.5)
    # The tone is the loudest bin of the song: 0 dB, never printed as "-0.0".
    assert text == "0:20.0 · A4 (440.0 Hz) · 0.0 dB · window 2/3: Dance pop 70%"
    assert "C1 (32.7 Hz)" in view.readout_at(1.0, 0.2)
    assert view.readout_at(1.0, 0.2).endswith("dB")  # before the first window: no genre

    _hover_until(qtbot, view, _viewport_pos(view, 30.0, 45.5), lambda text: text.startswith("0:"))
    assert view.readout_text().startswith(("0:29.9", "0:30.0", "0:30.1"))
    assert "A4 (440.0 Hz)" in view.readout_text() and "window 3/3: Opera" in view.readout_text()
    _hover_until(qtbot, view, QPoint(2, 2), lambda text: text == HINT)  # outside the plot area


def _hover_until(qtbot, view: SpectrogramView, pos: QPoint, done) -> None:
    """Move the mouse to ``pos`` until the readout satisfies ``done`` (pyqtgraph rate-limits moves)."""
    viewport = view.plot_widget.viewport()
    point = QPointF(pos)

    def moved() -> bool:
        event = QMouseEvent(
            QEvent.Type.MouseMove, point, viewport.mapToGlobal(point),
            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)
        return done(view.readout_text())

    qtbot.waitUntil(moved)


def test_click_on_the_spectrogram_requests_a_seek(qtbot, view, spectrograms) -> None:
    view.set_spectrogram(spectrograms["song"])
    with qtbot.waitSignal(view.seekRequested) as blocker:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_pos(view, 12.0, 40))
    seconds_per_pixel = 40.0 / view.plot_widget.getPlotItem().getViewBox().width()
    assert blocker.args[0] == pytest.approx(12.0, abs=2 * seconds_per_pixel)


def test_wheel_zooms_time_only_and_reset_shows_everything(qtbot, view, spectrograms) -> None:
    view.set_spectrogram(spectrograms["song"])
    vb = view.plot_widget.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    pos = QPointF(_viewport_pos(view, 20.0, 40))
    event = QWheelEvent(
        pos, view.plot_widget.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 480),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(view.plot_widget.viewport(), event)
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] - vb.viewRange()[0][0] < (x1 - x0) * 0.8)
    assert vb.viewRange()[1] == pytest.approx([y0, y1])  # notes never zoom
    zoomed = view.visible_time_range()
    assert zoomed[0] < 20.0 < zoomed[1]
    view.reset_button.click()
    assert view.visible_time_range() == pytest.approx((x0, x1))
    assert (y0, y1) == pytest.approx((0.0, LANE_TOP))


def test_playhead_and_messages(view, spectrograms) -> None:
    view.set_spectrogram(spectrograms["song"])
    assert view.message() is None
    view.set_playhead(17.5)
    assert view.playhead() == 17.5
    view.show_message("Cannot read this file: file not found.")
    assert view.message() == "Cannot read this file: file not found."
    assert view.spectrogram() is None and not view.reset_button.isEnabled()
