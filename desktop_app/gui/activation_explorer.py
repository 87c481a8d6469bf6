"""The activation explorer: what each stage of the network responds to in one analysis window.

VGG19_BN's five convolution stages see the window's image at 224, 112, 56, 28 and 14 pixels: the
first respond to local time-frequency texture (onsets, partials, noise), the last to large
patterns that the classifier turns into genres. The dialog shows, for a chosen stage, the feature
maps of the channels with the highest mean activation (each scaled to its own maximum, oriented
like the spectrogram: high notes at the top, time to the right), and under them every
convolution's activation statistics, with the chosen stage shaded.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from desktop_app.audio.magma_lut import MAGMA_RGB
from desktop_app.gui.detail.explainer import ActivationResult, Explainer
from desktop_app.gui.detail.spectrogram_loader import Spectrogram

STAGES = 5
TOP_K_CHOICES = (8, 16, 32)
_MAGMA = np.array(MAGMA_RGB, dtype=np.ubyte)
_STAGE_SHADE = (127, 230, 255, 45)


class ActivationExplorer(QDialog):
    """``show_window(spectrogram, window)``; computes through the panel's `Explainer`."""

    def __init__(self, explainer: Explainer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activationExplorer")
        self.setWindowTitle("Activation explorer")
        self.resize(900, 760)
        self._explainer = explainer
        self._spectrogram: Spectrogram | None = None
        self._token: int | None = None
        self._result: ActivationResult | None = None

        self.window_box = QSpinBox(prefix="Window ", minimum=1, maximum=1)
        self.stage_box = QComboBox()
        self.stage_box.addItems([f"Stage {n}" for n in range(1, STAGES + 1)])
        self.stage_box.setCurrentIndex(STAGES - 1)
        self.top_k_box = QComboBox()
        for k in TOP_K_CHOICES:
            self.top_k_box.addItem(f"Top {k} channels", k)
        self.top_k_box.setCurrentIndex(1)
        self.status = QLabel(wordWrap=True)
        self.status.setObjectName("activationStatus")
        self.maps = pg.GraphicsLayoutWidget()
        self.stats = pg.GraphicsLayoutWidget()
        self.stats.setFixedHeight(250)
        self._mean_plot = self.stats.addPlot(row=0, col=0, title="Mean activation ± std (after ReLU)")
        self._active_plot = self.stats.addPlot(row=1, col=0, title="Active units (%)")
        self._active_plot.setXLink(self._mean_plot)
        self._active_plot.getAxis("bottom").setLabel("convolution (stage_layer)")
        self.stats.setToolTip("One point per convolution, from the first (1_1) to the last (5_4)")
        for plot in (self._mean_plot, self._active_plot):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()

        controls = QHBoxLayout()
        for widget in (self.window_box, self.stage_box, self.top_k_box):
            controls.addWidget(widget)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.maps, 1)
        layout.addWidget(self.stats)

        self.window_box.valueChanged.connect(self._request)
        self.stage_box.currentIndexChanged.connect(self._draw)
        self.top_k_box.currentIndexChanged.connect(self._draw)
        explainer.activationsReady.connect(self._on_result)
        explainer.failed.connect(self._on_failed)

    def show_window(self, spectrogram: Spectrogram, window: int) -> None:
        """Look at ``window`` (0-based) of ``spectrogram``."""
        self._spectrogram = spectrogram
        self.window_box.blockSignals(True)
        self.window_box.setMaximum(max(len(spectrogram.window_bounds), 1))
        self.window_box.setValue(window + 1)
        self.window_box.blockSignals(False)
        self._request()

    def report(self) -> ActivationResult | None:
        """The report on screen (None while computing)."""
        return self._result

    def _request(self) -> None:
        if self._spectrogram is None:
            return
        self._result = None
        window = self.window_box.value() - 1
        self._token = self._explainer.activations(self._spectrogram, window)
        start, end = self._spectrogram.window_bounds[window]
        self.status.setText(f"Computing the activations of window {window + 1} ({start:.1f}–{end:.1f} s)…")

    def _on_result(self, result: ActivationResult) -> None:
        if result.token != self._token:
            return
        self._result = result
        self._draw()

    def _on_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.status.setText(f"Cannot compute the activations: {message}")

    def _draw(self) -> None:
        if self._result is None or self._spectrogram is None:
            return
        stage = self._result.report.stages[self.stage_box.currentIndex()]
        start, end = self._spectrogram.window_bounds[self._result.window]
        warning = " — TEST weights: random, not a trained model" if self._result.model.origin == "test" else ""
        layer = next(layer for layer in self._result.report.layers if layer.name == stage.layer)
        self.status.setText(
            f"Window {self._result.window + 1} ({start:.1f}–{end:.1f} s) · stage {stage.stage}, {stage.layer}: "
            f"{layer.channels} channels of {layer.width} × {layer.height}; the strongest by mean activation, "
            f"each scaled to its own maximum{warning}"
        )
        self._draw_maps(stage.channels, stage.means, stage.maps)
        self._draw_stats(stage.stage)

    def _draw_maps(self, channels: np.ndarray, means: np.ndarray, maps: np.ndarray) -> None:
        self.maps.clear()
        count = min(int(self.top_k_box.currentData()), len(channels))
        columns = math.ceil(math.sqrt(count * 2))
        for i in range(count):
            plot = self.maps.addPlot(row=i // columns, col=i % columns)
            plot.setTitle(f"#{channels[i]} · {means[i]:.2f}", size="8pt")
            for axis in ("left", "bottom"):
                plot.hideAxis(axis)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.invertY(True)  # row 0 is the top of the image: the highest notes
            image = pg.ImageItem(maps[i], axisOrder="row-major", lut=_MAGMA)
            image.setLevels((0.0, max(float(maps[i].max()), 1e-6)))
            plot.addItem(image)
            plot.setAspectLocked(True)

    def _draw_stats(self, selected_stage: int) -> None:
        layers = self._result.report.layers if self._result is not None else ()
        x = np.arange(len(layers), dtype=float)
        ticks = [[(i, layer.name.removeprefix("conv")) for i, layer in enumerate(layers)]]
        mean = np.array([layer.mean for layer in layers])
        std = np.array([layer.std for layer in layers])
        active = np.array([layer.active * 100 for layer in layers])
        stage_x = [i for i, layer in enumerate(layers) if layer.stage == selected_stage]
        for plot in (self._mean_plot, self._active_plot):
            plot.clear()
            plot.getAxis("bottom").setTicks(ticks)
            if stage_x:
                plot.addItem(
                    pg.LinearRegionItem(
                        (stage_x[0] - 0.5, stage_x[-1] + 0.5),
                        movable=False,
                        brush=pg.mkBrush(_STAGE_SHADE),
                        pen=pg.mkPen(None),
                    )
                )
        self._mean_plot.addItem(pg.ErrorBarItem(x=x, y=mean, top=std, bottom=std, beam=0.25, pen="#BBBBBB"))
        self._mean_plot.plot(x, mean, pen=pg.mkPen("#7FE6FF", width=2), symbol="o", symbolSize=6, symbolBrush="#7FE6FF")
        self._active_plot.addItem(pg.BarGraphItem(x=x, height=active, width=0.6, brush="#F98E5C", pen=None))
        self._active_plot.setYRange(0, 100)
        self._mean_plot.setXRange(-0.6, len(layers) - 0.4, padding=0)

    def bars(self) -> int:
        """How many convolutions the statistics plot shows (for tests)."""
        return len(self._result.report.layers) if self._result is not None else 0

    def shown_maps(self) -> int:
        """How many feature maps the grid shows (for tests)."""
        return sum(1 for item in self.maps.ci.items if isinstance(item, pg.PlotItem))
