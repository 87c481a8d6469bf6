"""The Explain row of the detail panel, the activation explorer, and their wiring into the window.

The heatmap must sit on exactly the cells the CLI computes for each window, follow the chosen
genre and opacity, say why it is unavailable, and use the window's one loaded model.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.audio.heat_colours import heat_index
from desktop_app.audio.prepare import prepare_track
from desktop_app.genres.ccmusic import GENRES
from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.detail.explain_overlay import NO_CCMUSIC_ANALYSIS, window_at
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.inference.explain import explain, gather_evidence, window_geometries
from desktop_app.inference.registry import CCMusicSource
from desktop_app.library.analyses import StoredAnalysis
from desktop_app.library.browse import TrackDetail
from tests.audio_files import write_audio
from tests.explain_support import random_checkpoint, random_classifier  # noqa: F401 (fixtures)
from tests.gui_detail_support import analysis_row, tagger_analyses

SECONDS = 25.0  # two analysis windows


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    return write_audio(tmp_path_factory.mktemp("explain") / "song.wav", seconds=SECONDS, freq=330.0)


@pytest.fixture
def panel(qtbot):
    widget = DetailPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 760)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.player.stop()
    widget._loader.wait_for_idle(30_000)
    widget.explain.explainer.wait_for_idle(60_000)


def _track(path: Path, analysis: StoredAnalysis | None) -> TrackDetail:
    return TrackDetail(id=1, path=str(path), title="Tone", artist="A", album="B", duration=SECONDS,
                       analysis=analysis)


def _explained(panel: DetailPanel) -> bool:
    return "raised" in panel.explain.status.text()


def _show(qtbot, panel: DetailPanel, song: Path, analysis: StoredAnalysis | None) -> None:
    panel.show_track(_track(song, analysis))
    qtbot.waitUntil(lambda: panel.spectrogram_view.spectrogram() is not None, timeout=60_000)


def test_heatmap_lies_on_each_windows_cells_for_the_chosen_genre(qtbot, panel, song, random_classifier):  # noqa: F811
    panel.set_classifier_source(lambda: random_classifier)
    _show(qtbot, panel, song, analysis_row(["Opera", "Solo"]))
    bar = panel.explain
    assert [bar.genre_box.itemText(i) for i in range(2)] == ["Opera (predicted)", "Solo"]
    assert bar.overlay.heat() is None and not bar.overlay.item.isVisible()
    bar.toggle.setChecked(True)
    qtbot.waitUntil(lambda: _explained(bar.parent()), timeout=120_000)
    assert "Grad-CAM of Opera" in bar.status.text() and "TEST weights" in bar.status.text()

    # What the CLI computes for the same file, window by window, is what is drawn, where it is drawn.
    track = prepare_track(song)
    geometries = window_geometries(*track.cqt_db.shape, track.sample_count)
    evidence = gather_evidence(random_classifier, [0, 1], track.inputs, geometries)
    heat = bar.overlay.heat()
    drawn = np.zeros_like(heat, dtype=bool)
    for e in explain(random_classifier, evidence, GENRES[1]):
        g = e.geometry
        np.testing.assert_array_equal(heat[:, g.first_frame : g.first_frame + g.frames], heat_index(e.cells()))
        drawn[:, g.first_frame : g.first_frame + g.frames] = True
    assert not heat[~drawn].any(), "nothing outside the analysis windows"
    spectrogram_image = panel.spectrogram_view._image
    assert bar.overlay.item.mapRectToParent(bar.overlay.item.boundingRect()) == spectrogram_image.mapRectToParent(
        spectrogram_image.boundingRect()
    )

    bar.opacity.setValue(25)
    assert bar.overlay.item.opacity() == pytest.approx(0.25)
    bar.genre_box.setCurrentIndex(1)  # Solo: the evidence is cached, only the head runs again
    qtbot.waitUntil(lambda: "Grad-CAM of Solo" in bar.status.text() and _explained(panel), timeout=30_000)
    (solo, _) = explain(random_classifier, evidence, GENRES[2])
    g = solo.geometry
    shown = bar.overlay.heat()[:, g.first_frame : g.first_frame + g.frames]
    np.testing.assert_array_equal(shown, heat_index(solo.cells()))
    bar.toggle.setChecked(False)
    assert not bar.overlay.item.isVisible() and bar.status.isHidden()


def test_explains_with_ccmusics_row_when_the_window_shows_broad_genres(
    qtbot, panel, song, random_classifier  # noqa: F811
):
    panel.set_classifier_source(lambda: random_classifier)
    tags = tagger_analyses([{"msd:rock": 0.6, "mtt:guitar": 0.5}] * 8)
    ccmusic = replace(analysis_row(["Solo", "Opera"]), model_name="ccmusic")
    track = replace(_track(song, tags["broad-genre"]), analyses={**tags, "ccmusic": ccmusic})
    panel.show_track(track)
    qtbot.waitUntil(lambda: panel.spectrogram_view.spectrogram() is not None, timeout=60_000)
    bar = panel.explain
    assert bar.genre_box.itemText(0) == "Opera (predicted)" and bar.toggle.isEnabled()
    bar.toggle.setChecked(True)
    qtbot.waitUntil(lambda: _explained(panel), timeout=120_000)
    assert "Grad-CAM of Opera" in bar.status.text()


def test_without_a_ccmusic_analysis_there_is_nothing_to_explain(qtbot, panel, song, random_classifier):  # noqa: F811
    panel.set_classifier_source(lambda: random_classifier)
    tags = tagger_analyses([{"msd:rock": 0.6}] * 8)
    panel.show_track(replace(_track(song, tags["broad-genre"]), analyses=tags))
    qtbot.waitUntil(lambda: panel.spectrogram_view.spectrogram() is not None, timeout=60_000)
    bar = panel.explain
    assert not bar.toggle.isEnabled() and bar.toggle.toolTip() == NO_CCMUSIC_ANALYSIS
    assert bar.genre_box.count() == 0
    assert bar.explore_button.isEnabled()  # the activation explorer needs the network, not a verdict
    bar.toggle.setChecked(True)
    assert bar.status.text() == NO_CCMUSIC_ANALYSIS and bar.overlay.heat() is None


def test_says_why_it_cannot_explain(qtbot, panel, song):
    _show(qtbot, panel, song, analysis_row(["Opera", "Solo"]))
    bar = panel.explain
    assert not bar.toggle.isEnabled() and "No genre model" in bar.toggle.toolTip()

    def no_model():
        raise RuntimeError("no genre model is installed")

    panel.set_classifier_source(no_model)
    assert bar.toggle.isEnabled()
    bar.toggle.setChecked(True)
    qtbot.waitUntil(lambda: "Cannot explain: no genre model is installed" in bar.status.text(), timeout=30_000)
    assert bar.overlay.heat() is None


def test_activation_explorer_for_the_window_at_the_playhead(qtbot, panel, song, random_classifier):  # noqa: F811
    panel.set_classifier_source(lambda: random_classifier)
    _show(qtbot, panel, song, analysis_row(["Opera", "Solo"]))
    bounds = panel.spectrogram_view.spectrogram().window_bounds
    panel.spectrogram_view.set_playhead(bounds[1][0] + 1.0)
    panel.open_activation_explorer()
    explorer = panel.explain.explorer
    qtbot.addWidget(explorer)
    assert explorer.window_box.value() == 2 and explorer.window_box.maximum() == 2
    qtbot.waitUntil(lambda: explorer.report() is not None, timeout=60_000)
    assert explorer.report().window == 1 and explorer.bars() == 16 and explorer.shown_maps() == 16
    assert "stage 5, conv5_4: 512 channels of 14 × 14" in explorer.status.text()
    explorer.stage_box.setCurrentIndex(0)
    explorer.top_k_box.setCurrentIndex(0)
    assert explorer.shown_maps() == 8 and "stage 1, conv1_2: 64 channels of 224 × 224" in explorer.status.text()
    explorer.window_box.setValue(1)
    assert explorer.report() is None
    qtbot.waitUntil(lambda: explorer.report() is not None and explorer.report().window == 0, timeout=60_000)
    explorer.close()


def test_window_at_prefers_the_window_holding_the_time() -> None:
    bounds = ((1.0, 12.4), (12.4, 23.8))
    assert [window_at(bounds, t) for t in (0.0, 5.0, 12.4, 30.0)] == [0, 0, 1, 1]


def test_the_window_explains_with_its_one_loaded_model(
    qtbot, library, song, random_checkpoint, monkeypatch  # noqa: F811
):
    monkeypatch.setenv("GENRESCOPE_WEIGHTS", str(random_checkpoint.path))
    loads = []
    original = CCMusicSource.open_classifier
    monkeypatch.setattr(CCMusicSource, "open_classifier",
                        lambda self, device, precision="fp32": loads.append(precision) or original(self, device, precision))
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    try:
        menu = [a.text() for a in window.menus.by_name["analysis"].actions()]
        assert "Acti&vation explorer…" in menu
        window.intake.add_paths([str(song)])
        qtbot.waitUntil(lambda: window.detail.current_track() is not None
                        and window.detail.spectrogram_view.spectrogram() is not None, timeout=60_000)
        bar = window.detail.explain
        bar.model_box.setCurrentIndex(bar.model_box.findData("ccmusic"))  # not the tagger, if it came first
        bar.toggle.setChecked(True)
        qtbot.waitUntil(lambda: _explained(window.detail), timeout=120_000)
        qtbot.waitUntil(window.is_idle, timeout=120_000)
        qtbot.waitUntil(lambda: getattr(window.detail.current_track(), "analysis", None) is not None, timeout=60_000)
        # The precision check may load a reduced copy beside it (here: bf16 on a CPU that has it).
        assert loads.count("fp32") == 1, "the analysis and the explanation share one exact copy of the model"
    finally:
        window.detail.explain.explainer.wait_for_idle(60_000)
        window.close()
        QApplication.processEvents()
