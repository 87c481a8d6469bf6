"""The detail panel's Explain row and the Grad-CAM heatmap it lays over the spectrogram.

Each explained window's heat is drawn on that window's own CQT cells (mapped back from the
network's 224 × 224 input through `image_geometry`), in one image placed exactly like the
spectrogram's (frame k centred on k · frame_seconds, bin b over [b, b + 1)), so it sits on what
the network looked at at any zoom. Each window's map is scaled to its own maximum, as Grad-CAM
maps are: it says where in that window, not how much compared with other windows.

The Explain row explains either network. CCMusic's Grad-CAM is offered for a track CCMusic has
analysed (its row, whatever taxonomy the window shows), with its stored Top-5 to choose the
genre from. The built-in tagger (MSD or MTT network, always there) explains any of its 50 tags,
offered by the track's stored tag probabilities, highest first: its heat
(`inference.explain_tagger`) is per 3 s patch, on mel frames and bands, and is drawn on the CQT
in song time × frequency (`PatchExplanation.cqt_cells`), scaled per patch by the tag's
probability there, so the brightest parts are where the trained network heard the tag most
surely. The CQT stops at B7 (3.95 kHz): heat in the mel bands above is not drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.audio.cqt_layout import N_BINS
from desktop_app.audio.heat_colours import HEAT_RGBA, heat_index
from desktop_app.genres.ccmusic import GENRES
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.gui.detail.explainer import ClassifierSource, Explainer, ExplainUpdate, TaggerSource
from desktop_app.gui.detail.spectrogram_loader import Spectrogram
from desktop_app.gui.detail.spectrogram_view import SpectrogramView
from desktop_app.gui.detail.verdict import CCMUSIC, has_prediction, model_name, top_genres
from desktop_app.inference.musicnn.weights import SHIPPED_TAGGERS
from desktop_app.library.analyses import StoredAnalysis

if TYPE_CHECKING:
    from desktop_app.gui.activation_explorer import ActivationExplorer
    from desktop_app.inference.explain import Explanation
    from desktop_app.inference.explain_tagger import PatchExplanation

DEFAULT_OPACITY = 60  # percent
ROW_GAP = 12  # px between the three groups of controls when they share one row
OPACITY_WIDTH = (100, 160)  # the slider's least and most width, px: enough to set it finely, no more
OVERLAY_Z = 6  # over the window bands (5), under the playhead (20)
NO_CCMUSIC_ANALYSIS = "Explanations show what the CCMusic network heard, and CCMusic has not analysed this track."
NO_TAGGER = "The built-in tagger is not available."
_INDEX = {g.key: g.index for g in GENRES}
EXPLAINED_MODELS: tuple[tuple[str, str], ...] = (
    (CCMUSIC, "CCMusic genres"),
    *((name, f"{spec.display_name} tags") for name, spec in SHIPPED_TAGGERS.items()),
)
"""(model name, label) of the networks the Explain row can explain, CCMusic first."""

GenreChoice = tuple[str, int]  # label, genre (or tag) index


def genre_choices(analysis: StoredAnalysis | None) -> list[GenreChoice]:
    """CCMusic's stored Top-5, predicted first; none without a CCMusic prediction."""
    if model_name(analysis) != CCMUSIC or not has_prediction(analysis):
        return []
    assert analysis is not None
    assert analysis.probabilities is not None
    top = top_genres(analysis.probabilities)
    return [
        (f"{s.display_name} (predicted)" if rank == 0 else s.display_name, _INDEX[s.key]) for rank, s in enumerate(top)
    ]


def tag_choices(model: str, analysis: StoredAnalysis | None) -> list[GenreChoice]:
    """Every tag of a tagger network, the most probable for this track first when it has been tagged."""
    tags = TAGGER_TAGS[model]
    stored = analysis.probabilities if analysis else None
    if not stored or len(stored) != len(tags):
        return [(tag, index) for index, tag in enumerate(tags)]
    order = sorted(range(len(tags)), key=lambda i: -stored[i])
    return [(f"{tags[i]} ({stored[i]:.0%})", i) for i in order]


def window_at(bounds: tuple[tuple[float, float], ...], seconds: float) -> int:
    """The window holding ``seconds``, else the nearest one."""
    for index, (start, end) in enumerate(bounds):
        if start <= seconds < end:
            return index
    return min(range(len(bounds)), key=lambda i: min(abs(seconds - bounds[i][0]), abs(seconds - bounds[i][1])))


class HeatOverlay:
    """The heat image over a spectrogram plot; hidden while there is nothing to show."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self._item = pg.ImageItem(autoDownsample=True)
        self._item.setLookupTable(HEAT_RGBA)
        self._item.setZValue(OVERLAY_Z)
        self._item.setOpacity(DEFAULT_OPACITY / 100)
        self._item.hide()
        plot_item.addItem(self._item)
        self._heat: np.ndarray | None = None

    def reset(self, spectrogram: Spectrogram) -> None:
        """An empty (transparent) overlay placed over ``spectrogram``."""
        self._heat = np.zeros((N_BINS, spectrogram.frames), dtype=np.uint8)
        self._item.setImage(self._heat.T, levels=(0, 255), autoLevels=False)
        half = spectrogram.frame_seconds / 2
        self._item.setRect(-half, 0.0, spectrogram.frames * spectrogram.frame_seconds, N_BINS)
        self._item.show()

    def add(self, explanations: list[Explanation] | list[PatchExplanation]) -> None:
        if self._heat is None or not explanations:
            return
        for e in explanations:
            first, cells = e.cqt_cells()
            shown = self._heat[:, first : first + cells.shape[1]]  # a last patch may end after the CQT
            np.maximum(shown, heat_index(cells[:, : shown.shape[1]]), out=shown)  # tagger patches may share a frame
        self._item.setImage(self._heat.T, levels=(0, 255), autoLevels=False)

    def clear(self) -> None:
        self._heat = None
        self._item.hide()

    def set_opacity(self, opacity: float) -> None:
        self._item.setOpacity(opacity)

    def heat(self) -> np.ndarray | None:
        """(bins, frames) uint8 heat as drawn (0 = transparent), or None when hidden."""
        return self._heat

    @property
    def item(self) -> pg.ImageItem:
        return self._item


class ExplainBar(QWidget):
    """Explain toggle, network, genre or tag, opacity and the activation explorer, under the spectrogram."""

    def __init__(self, view: SpectrogramView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explainBar")
        self._view = view
        self.explainer = Explainer(self)
        self.overlay = HeatOverlay(view.plot_widget.getPlotItem())
        self._spectrogram: Spectrogram | None = None
        self._analyses: Mapping[str, StoredAnalysis] = {}
        self._choices: list[GenreChoice] = []
        self._token: int | None = None
        self._model = CCMUSIC
        self._picked = False
        """Whether the person chose the network; until then the bar offers one that can explain the track."""
        self._explorer: ActivationExplorer | None = None

        self.toggle = QCheckBox("Explain")
        self.toggle.setToolTip("Show where the network heard the genre (Grad-CAM), window by window")
        self.model_box = QComboBox()
        for name, label in EXPLAINED_MODELS:
            self.model_box.addItem(label, name)
        self.model_box.setToolTip("The network to explain: CCMusic's genres or one of the built-in tagger's networks")
        self.genre_box = QComboBox()
        self.genre_box.setToolTip("The genre or tag to explain: the most probable first")
        self.genre_box.hide()  # until there are choices
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=DEFAULT_OPACITY)
        self.opacity.setToolTip("Opacity of the heatmap")
        self.explore_button = QPushButton("Activations…")
        self.explore_button.setToolTip("What each stage of the network responds to in the window at the playhead")
        self.status = QLabel(wordWrap=True)
        self.status.setObjectName("explainStatus")

        # One row where it fits, else three short ones: at the panel's default width a network's
        # name, a genre's and the slider do not fit in one, and a squeezed combo or slider is cut.
        for box in (self.model_box, self.genre_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.opacity.setMinimumWidth(OPACITY_WIDTH[0])
        self.opacity.setMaximumWidth(OPACITY_WIDTH[1])
        network = QHBoxLayout()
        network.addWidget(self.toggle)
        network.addWidget(self.model_box)
        network.addStretch(1)
        subject = QHBoxLayout()
        subject.addWidget(self.genre_box)
        subject.addStretch(1)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Opacity"))
        tools.addWidget(self.opacity)
        tools.addStretch(1)
        tools.addWidget(self.explore_button)
        self._groups = (network, subject, tools)
        self._rows = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        for group in self._groups:
            self._rows.addLayout(group)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._rows)
        layout.addWidget(self.status)

        self.toggle.toggled.connect(lambda _on: self._restart())
        self.model_box.currentIndexChanged.connect(lambda _index: self._on_model())
        self.genre_box.currentIndexChanged.connect(lambda _index: self._restart())
        self.opacity.valueChanged.connect(lambda value: self.overlay.set_opacity(value / 100))
        self.explore_button.clicked.connect(self.open_activation_explorer)
        self.explainer.updated.connect(self._on_update)
        self.explainer.failed.connect(self._on_failed)
        self.show_subject(None, {})

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """The controls on one row if they fit in the bar's width, else on three."""
        one_row = sum(group.sizeHint().width() for group in self._groups) + ROW_GAP * (len(self._groups) - 1)
        wide = self.width() >= one_row
        self._rows.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
        self._rows.setSpacing(ROW_GAP if wide else 2)

    def set_classifier_source(self, source: ClassifierSource | None) -> None:
        """Where the loaded classifier comes from (the window's analysis queue); None: no CCMusic explanations."""
        self.explainer.set_source(source)
        self._show_choices(self._spectrogram)

    def set_tagger_source(self, source: TaggerSource | None) -> None:
        """Where the loaded tagger comes from (the window's analysis queue); None: no tagger explanations."""
        self.explainer.set_tagger_source(source)
        self._show_choices(self._spectrogram)

    @property
    def model(self) -> str:
        """The network explained: ``ccmusic``, ``musicnn-msd`` or ``musicnn-mtt``."""
        return self._model

    def show_subject(self, spectrogram: Spectrogram | None, analyses: Mapping[str, StoredAnalysis]) -> None:
        """The shown track's spectrogram (None while there is none) and stored analyses, by model."""
        self._analyses = analyses
        self._show_choices(spectrogram)

    def _on_model(self) -> None:
        self._model = self.model_box.currentData()
        self._picked = True
        self._show_choices(self._spectrogram)

    def _offered_model(self) -> str:
        """The network the bar offers until the person picks one: CCMusic, unless the track has the
        built-in tagger's analysis and not CCMusic's; then the tagger's first network (the MSD one,
        which knows genres), so a library analysed by the tagger alone (no CCMusic weights here) can
        be explained without first finding the menu."""
        tagger = EXPLAINED_MODELS[1][0]
        if self.explainer.has_tagger and tagger in self._analyses and not genre_choices(self._analyses.get(CCMUSIC)):
            return tagger
        return CCMUSIC

    def _show_choices(self, spectrogram: Spectrogram | None) -> None:
        if not self._picked and not self.toggle.isChecked():  # a heatmap shown stays on its network
            self._model = self._offered_model()
            self.model_box.blockSignals(True)
            self.model_box.setCurrentIndex(self.model_box.findData(self._model))
            self.model_box.blockSignals(False)
        analysis = self._analyses.get(self._model)
        choices = genre_choices(analysis) if self._model == CCMUSIC else tag_choices(self._model, analysis)
        unchanged = spectrogram is self._spectrogram and choices == self._choices
        self._spectrogram = spectrogram
        if choices != self._choices:
            self._choices = choices
            self.genre_box.blockSignals(True)
            self.genre_box.clear()
            for label, index in choices:
                self.genre_box.addItem(label, index)
            self.genre_box.blockSignals(False)
            self.genre_box.setHidden(not choices)  # an empty box says nothing: the toggle's tip says why
            self._arrange()  # the combo is as wide as its longest choice
        self._update_enabled()
        if not unchanged:
            self._restart()

    def open_activation_explorer(self) -> None:
        """The activation explorer for the window at the playhead (or the nearest one)."""
        if self._spectrogram is None or not self._spectrogram.window_bounds:
            return
        if self._explorer is None:
            from desktop_app.gui.activation_explorer import ActivationExplorer

            self._explorer = ActivationExplorer(self.explainer, self.window())
        bounds = self._spectrogram.window_bounds
        self._explorer.show_window(self._spectrogram, window_at(bounds, self._view.playhead()))
        self._explorer.show()
        self._explorer.raise_()

    @property
    def explorer(self) -> ActivationExplorer | None:
        return self._explorer

    def _why_disabled(self) -> str | None:
        """Why neither explanations nor the activation explorer can run, if so."""
        if not self.explainer.has_source:
            return "No genre model is available to explain with."
        return self._why_no_track()

    def _why_no_track(self) -> str | None:
        if self._spectrogram is None:
            return "No spectrogram shown."
        if self._spectrogram.silent:
            return "The track is silent: there is nothing to explain."
        return None

    def _why_not_explained(self) -> str | None:
        """Why there can be no heatmap of the chosen network's genre or tag."""
        if self._model != CCMUSIC:
            if not self.explainer.has_tagger:
                return NO_TAGGER
            return self._why_no_track()
        # CCMusic explanations also need CCMusic's genres for this track.
        return self._why_disabled() or (NO_CCMUSIC_ANALYSIS if not self._choices else None)

    def _update_enabled(self) -> None:
        reason = self._why_not_explained()
        for widget in (self.toggle, self.genre_box, self.opacity):
            widget.setEnabled(reason is None)
        self.explore_button.setEnabled(self._why_disabled() is None)
        self.toggle.setToolTip(
            reason
            or (
                "Show where the network heard the genre (Grad-CAM), window by window"
                if self._model == CCMUSIC
                else "Show where the tagger heard the tag, 3 s patch by patch"
            )
        )

    def _restart(self) -> None:
        """Drop the shown heatmap and, if Explain is on, compute the one now asked for."""
        self.explainer.cancel()
        self._token = None
        self.overlay.clear()
        self.status.hide()
        if not self.toggle.isChecked() or self._spectrogram is None:
            return
        reason = self._why_not_explained()
        if reason is not None:
            self._show_status(reason)
            return
        self.overlay.reset(self._spectrogram)
        if self._model == CCMUSIC:
            self._token = self.explainer.explain(self._spectrogram, self.genre_box.currentData())
        else:
            self._token = self.explainer.explain_tag(self._spectrogram, self._model, self.genre_box.currentData())
        self._show_status("Computing the heatmap…")

    def _on_update(self, update: ExplainUpdate) -> None:
        if update.token != self._token:
            return
        self.overlay.add(update.explanations)
        test = " TEST weights: random, not a trained model." if update.model.origin == "test" else ""
        if self._model != CCMUSIC:
            title = f"Heat of the tag “{update.subject}” ({SHIPPED_TAGGERS[self._model].display_name})"
            if update.done < update.total:
                self._show_status(f"{title}: {update.done} of {update.total} patches…")
            else:
                self._show_status(
                    f"{title}: where in each 3 s patch the tagger heard it (Grad-CAM over time × gradient × "
                    f"input over frequency), the brighter the surer it is there; heat above 4 kHz (B7) is off "
                    f"this scale.{test}"
                )
        elif update.done < update.total:
            self._show_status(f"Grad-CAM of {update.subject}: {update.done} of {update.total} windows…")
        else:
            self._show_status(
                f"Grad-CAM of {update.subject}: the brighter, the more that part of each "
                f"window raised the network's score for it.{test}"
            )

    def _on_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.overlay.clear()
            self._show_status(f"Cannot explain: {message}")

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(True)
