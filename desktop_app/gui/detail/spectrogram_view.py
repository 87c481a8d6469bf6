"""The interactive whole-song CQT: magma image, note/time axes, genre timelines, playhead, readout.

Coordinates are seconds on x and CQT bins on y (bin b spans [b, b+1), C1 at the bottom). Only
time zooms and pans: 84 bins always fit, and a fixed y keeps the genre lanes (above the top bin)
in view. A click seeks (`seekRequested`); a drag pans; the wheel zooms; "Reset zoom" shows all.

Each genre model has its own lane: CCMusic's 11.4 s windows right above the notes (and faintly
over them, as the windows the network saw), the broad genres' 3 s tagger patches above that.
Both lanes are always there, so the layout does not jump between tracks; hovering a band reads
its model, time span, genre and probability.
"""

from __future__ import annotations

import math
from collections import Counter
from html import escape

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.audio.cqt_layout import N_BINS, bin_frequency, note_name
from desktop_app.audio.magma_lut import MAGMA_RGB
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.detail.axes import NoteAxis, TimeAxis
from desktop_app.gui.detail.notation import format_frequency, format_time
from desktop_app.gui.detail.spectrogram_loader import Spectrogram
from desktop_app.gui.detail.verdict import BROAD, CCMUSIC, GENRE_MODELS, GenreShare, Timeline, WindowBand, band_at
from desktop_app.gui.resources import genre_palette

DB_RANGE = (-80.0, 0.0)
LANE_GAP = 0.8  # of background between the top bin and a lane, and between the lanes
LANE_HEIGHT = 4.4
LANES: dict[str, tuple[float, float]] = {
    CCMUSIC: (N_BINS + LANE_GAP, N_BINS + LANE_GAP + LANE_HEIGHT),
    BROAD: (N_BINS + 2 * LANE_GAP + LANE_HEIGHT, N_BINS + 2 * (LANE_GAP + LANE_HEIGHT)),
}
"""(bottom, top) of each model's lane, in bins."""
LEGEND_ORDER = tuple(reversed(LANES))  # the top lane's legend first, as on screen
FILLED = CCMUSIC
"""The model whose bands are also laid faintly over the notes (3 s patches would only be noise)."""
LANE_TOP = max(top for _, top in LANES.values())
BAND_ALPHA = 45  # over the spectrogram: enough to see the windows, little enough to read the CQT
BOUNDARY_COLOUR = (255, 255, 255, 90)
PLAYHEAD_COLOUR = "#7FE6FF"
MIN_ZOOM_SECONDS = 0.5
HINT = "Hover for time, note and level · wheel zooms time · drag pans · click to seek"

MAGMA = pg.ColorMap(np.linspace(0.0, 1.0, len(MAGMA_RGB)), np.array(MAGMA_RGB, dtype=np.ubyte))


class SpectrogramView(QWidget):
    """Shows one `Spectrogram` (or a message in its place) and reports clicks as seek requests."""

    seekRequested = Signal(float)  # seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spectrogram: Spectrogram | None = None
        self._timelines: dict[str, Timeline] = {}
        self._band_items: dict[str, list[pg.GraphicsObject]] = {}

        self._message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._message.setObjectName("spectrogramMessage")
        self._plot = pg.PlotWidget(
            axisItems={
                "left": NoteAxis([((bottom + top) / 2, GENRE_MODELS[m].lane) for m, (bottom, top) in LANES.items()]),
                "bottom": TimeAxis(),
            }
        )
        self._plot.setMinimumHeight(180)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._message)
        self._stack.addWidget(self._plot)

        self._readout = ReadoutLabel(HINT)
        self._readout.setObjectName("spectrogramReadout")
        self._readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._legend = QLabel(wordWrap=True)
        self._legend.setObjectName("timelineLegend")
        self._legend.setTextFormat(Qt.TextFormat.RichText)
        self.reset_button = QPushButton("Reset zoom")
        self.reset_button.setToolTip("Show the whole track")
        self.reset_button.clicked.connect(self.reset_view)

        row = QHBoxLayout()
        row.addWidget(self._readout, 1)
        row.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack, 1)
        layout.addLayout(row)
        layout.addWidget(self._legend)

        self._setup_plot()
        self.show_message("No track selected")

    def _setup_plot(self) -> None:
        item = self._plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        self._vb = item.getViewBox()
        self._vb.setMouseEnabled(x=True, y=False)
        self._vb.disableAutoRange()
        # Long tracks have 100k+ frames: let pyqtgraph reduce them to the pixels actually shown.
        self._image = pg.ImageItem(autoDownsample=True)
        item.addItem(self._image)
        self._colour_bar = pg.ColorBarItem(
            values=DB_RANGE, colorMap=MAGMA, label="dB", interactive=False, width=12, colorMapMenu=False
        )
        self._colour_bar.setImageItem(self._image, insert_in=item)
        self._playhead = pg.InfiniteLine(0.0, angle=90, movable=False, pen=pg.mkPen(PLAYHEAD_COLOUR, width=2))
        self._playhead.setZValue(20)
        item.addItem(self._playhead)
        scene = self._plot.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    # What is shown

    def show_message(self, text: str) -> None:
        """Replace the plot by ``text`` (computing…, an error, no track)."""
        self._spectrogram = None
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)
        self._readout.setText("")
        self.reset_button.setEnabled(False)
        for model in LANES:
            self.set_timeline(Timeline((), model=model))

    def message(self) -> str | None:
        """The message shown instead of the plot, or None when the plot is shown."""
        return self._message.text() if self._stack.currentWidget() is self._message else None

    def set_spectrogram(self, spectrogram: Spectrogram) -> None:
        self._spectrogram = spectrogram
        # ImageItem's default order is image[x, y]: frames along x, bins along y (row 0 = C1, bottom).
        db = np.full_like(spectrogram.db, DB_RANGE[0]) if spectrogram.silent else spectrogram.db
        self._image.setImage(db.T, levels=DB_RANGE, autoLevels=False)
        half = spectrogram.frame_seconds / 2  # frame k is centred at k * frame_seconds
        self._image.setRect(-half, 0.0, spectrogram.frames * spectrogram.frame_seconds, N_BINS)
        end = max(spectrogram.duration, spectrogram.frame_seconds)
        self._vb.setLimits(
            xMin=-half,
            xMax=end + half,
            yMin=0.0,
            yMax=LANE_TOP,
            minXRange=min(MIN_ZOOM_SECONDS, end),
        )
        self._stack.setCurrentWidget(self._plot)
        self._readout.setText("Silent track: nothing to show." if spectrogram.silent else HINT)
        self.reset_button.setEnabled(True)
        self.reset_view()

    def spectrogram(self) -> Spectrogram | None:
        return self._spectrogram

    def set_timeline(self, timeline: Timeline) -> None:
        """Draw one model's bands in its lane (CCMusic's also faintly over the notes); replaces its previous ones.

        The timeline already drawn is not drawn again (the panel sets both whenever an analysis arrives).
        """
        if self._timelines.get(timeline.model) == timeline:
            return
        item = self._plot.getPlotItem()
        for band_item in self._band_items.pop(timeline.model, []):
            item.removeItem(band_item)
        self._timelines[timeline.model] = timeline
        legends = (_legend_html(self._timelines[m]) for m in LEGEND_ORDER if m in self._timelines)
        self._legend.setText("<br>".join(filter(None, legends)))
        self._legend.setVisible(bool(self._legend.text()))
        if not timeline.bands:
            return
        palette = genre_palette()
        starts = [b.start for b in timeline.bands]
        ends = [b.end for b in timeline.bands]
        bottom, top = LANES[timeline.model]
        drawn: list[pg.GraphicsObject] = [
            pg.BarGraphItem(
                x0=starts,
                x1=ends,
                y0=bottom,
                y1=top,
                pen=pg.mkPen("#101010", width=1),
                brushes=[palette.qcolor(b.genre.key) for b in timeline.bands],
            )
        ]
        if timeline.model == FILLED:
            edges = sorted({*starts, *ends})
            drawn += [
                pg.BarGraphItem(
                    x0=starts,
                    x1=ends,
                    y0=0.0,
                    y1=float(N_BINS),
                    pen=None,
                    brushes=[palette.qcolor(b.genre.key, BAND_ALPHA) for b in timeline.bands],
                ),
                pg.PlotCurveItem(
                    x=np.repeat(edges, 2),
                    y=np.tile([0.0, float(N_BINS)], len(edges)),
                    connect="pairs",
                    pen=pg.mkPen(BOUNDARY_COLOUR, width=1, style=Qt.PenStyle.DashLine),
                ),
            ]
        for band_item in drawn:
            band_item.setZValue(5)
            item.addItem(band_item)
        self._band_items[timeline.model] = drawn

    def bands(self, model: str = CCMUSIC) -> tuple[WindowBand, ...]:
        """The bands drawn for ``model``."""
        timeline = self._timelines.get(model)
        return timeline.bands if timeline else ()

    def set_playhead(self, seconds: float) -> None:
        self._playhead.setValue(seconds)

    def playhead(self) -> float:
        return float(self._playhead.value())

    def reset_view(self) -> None:
        """Show the whole track and every note."""
        if self._spectrogram is None:
            return
        half = self._spectrogram.frame_seconds / 2
        self._vb.setRange(xRange=(-half, self._spectrogram.duration + half), yRange=(0.0, LANE_TOP), padding=0.0)

    def visible_time_range(self) -> tuple[float, float]:
        (x0, x1), _ = self._vb.viewRange()
        return float(x0), float(x1)

    @property
    def plot_widget(self) -> pg.PlotWidget:
        return self._plot

    def readout_text(self) -> str:
        return self._readout.text()

    # Mouse

    def readout_at(self, seconds: float, y: float) -> str:
        """The hover text for view coordinates (seconds, bin): time, note, level, the bands' genres.

        Over a lane, the band's model, time span, genre and probability."""
        spec = self._spectrogram
        if spec is None or not (0.0 <= seconds <= spec.duration) or not (0.0 <= y <= LANE_TOP):
            return HINT if spec is not None else ""
        start, end = self.visible_time_range()
        decimals = 1 if end - start < 120 else 0
        parts = [format_time(seconds, decimals)]
        lane = self._lane_at(y)
        if lane is not None:
            band = band_at(self.bands(lane), seconds)
            if band is not None:
                pieces = GENRE_MODELS[lane]
                parts.append(
                    f"{pieces.lane} {pieces.unit} {band.index + 1}/{len(self.bands(lane))}, "
                    f"{format_time(band.start, 1)}–{format_time(band.end, 1)}: "
                    f"{band.genre.display_name} {band.genre.probability:.0%}"
                )
            return " · ".join(parts)
        if y < N_BINS:
            bin_index = min(int(math.floor(y)), N_BINS - 1)
            frame = min(max(int(round(seconds / spec.frame_seconds)), 0), spec.frames - 1)
            # `or 0.0` turns -0.0 (the loudest bin, rounded) into 0.0.
            level = "silent" if spec.silent else f"{round(float(spec.db[bin_index, frame]), 1) or 0.0:.1f} dB"
            parts += [f"{note_name(bin_index)} ({format_frequency(bin_frequency(bin_index))})", level]
        for model in LANES:
            band = band_at(self.bands(model), seconds)
            if band is not None:
                parts.append(_band_text(model, band.index, len(self.bands(model)), band.genre))
        return " · ".join(parts)

    @staticmethod
    def _lane_at(y: float) -> str | None:
        return next((model for model, (bottom, top) in LANES.items() if bottom <= y <= top), None)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self._spectrogram is None:
            return
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            self._readout.setText(HINT)
            return
        point = self._vb.mapSceneToView(scene_pos)
        text = self.readout_at(point.x(), point.y())
        self._readout.setText(text)
        # Over a lane the band's description is also the tooltip, where the eye already is.
        self._plot.setToolTip(text if self._lane_at(point.y()) is not None and text != HINT else "")

    def _on_mouse_clicked(self, event: MouseClickEvent) -> None:
        spec = self._spectrogram
        if spec is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if not self._vb.sceneBoundingRect().contains(event.scenePos()):
            return
        seconds = self._vb.mapSceneToView(event.scenePos()).x()
        event.accept()
        self.seekRequested.emit(min(max(seconds, 0.0), spec.duration))


class ReadoutLabel(QLabel):
    """The hover readout. It wraps between words rather than being cut at the panel's edge, and
    always keeps the height the longest readout needs at its width, so the layout does not jump
    as the mouse moves."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text, wordWrap=True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def heightForWidth(self, width: int) -> int:
        margins = self.contentsMargins()
        room = QRect(0, 0, max(width - margins.left() - margins.right(), 1), 1 << 20)
        longest = self.fontMetrics().boundingRect(room, Qt.TextFlag.TextWordWrap, LONGEST_READOUT).height()
        return max(super().heightForWidth(width), longest + margins.top() + margins.bottom())


def _band_text(model: str, index: int, count: int, genre: GenreShare) -> str:
    return f"{GENRE_MODELS[model].unit} {index + 1}/{count}: {genre.display_name} {genre.probability:.0%}"


def _longest_readout() -> str:
    """A readout at least about as long as any: an hour-long track, the highest note, a low level,
    and both models' bands with their longest genre names."""
    bands = (
        _band_text(model, 998, 999, GenreShare("", max((g.display_name for g in TAXONOMIES[model].labels), key=len), 1))
        for model in LANES
    )
    note = f"{note_name(N_BINS - 1)} ({format_frequency(bin_frequency(N_BINS - 1))})"
    return " · ".join((format_time(3599.9, 1), note, "-100.0 dB", *bands))


LONGEST_READOUT = _longest_readout()


def _legend_html(timeline: Timeline) -> str:
    """A timeline's genres with their colour and band count, so colour is never the only cue."""
    title = GENRE_MODELS[timeline.model].timeline
    if timeline.note:
        return escape(f"{title} not shown: {timeline.note}.")
    if not timeline.bands:
        return ""
    palette = genre_palette()
    counts = Counter(b.genre.key for b in timeline.bands)
    names = {b.genre.key: b.genre.display_name for b in timeline.bands}
    test = ", <b>test model — not a real prediction</b>" if timeline.test_model else ""
    return f"{escape(title)}{test}: " + " &nbsp; ".join(
        f'<span style="color:{palette.hex(key)}">&#9632;</span> {escape(names[key])} ×{n}'
        for key, n in counts.most_common()
    )
