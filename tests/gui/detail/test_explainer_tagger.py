"""The Explain row with the built-in tagger: pick a network and a tag, see its heat over the CQT.

On the real recording of tests/explain_support.py (lead guitar alone, then the backing track with
its drums), the overlay must be exactly the CLI's heat placed on the CQT, brighter where the
drums play for "fast" and where the guitar plays alone for "guitar"; the panel is grabbed to a
PNG in the test's temporary folder, to look at.
"""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.audio.heat_colours import heat_index
from desktop_app.audio.prepare import prepare_for_tagger
from desktop_app.genres.musicnn_tags import MTT_TAGS
from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.detail.explain_overlay import NO_TAGGER, tag_choices
from desktop_app.inference.explain_tagger import explain_tag
from desktop_app.inference.musicnn.weights import load_tagger
from desktop_app.library.browse import TrackDetail
from tests.explain_support import CUT_S, LENGTH_S, guitar_then_band  # noqa: F401 (fixture)
from tests.gui_detail_support import analysis_row, tagger_analyses

MODEL = "musicnn-mtt"


@pytest.fixture(scope="module")
def tagger():
    return load_tagger("cpu")


@pytest.fixture
def panel(qtbot):
    widget = DetailPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 780)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.player.stop()
    widget._loader.wait_for_idle(30_000)
    widget.explain.explainer.wait_for_idle(120_000)


def _show(qtbot, panel: DetailPanel, path, analyses: dict) -> None:
    panel.show_track(TrackDetail(id=1, path=str(path), title="Armygeddon", artist="El Senator", album="FoF",
                                 duration=LENGTH_S, analysis=analyses.get("broad-genre"), analyses=analyses))
    qtbot.waitUntil(lambda: panel.spectrogram_view.spectrogram() is not None, timeout=60_000)


def _explained(panel: DetailPanel) -> bool:
    return "the surer it is there" in panel.explain.status.text()


def test_tag_choices_follow_the_stored_probabilities() -> None:
    stored = tagger_analyses([{"mtt:fast": 0.6, "mtt:drums": 0.4}] * 3)[MODEL]
    choices = tag_choices(MODEL, stored)
    assert choices[:2] == [("fast (60%)", MTT_TAGS.index("fast")), ("drums (40%)", MTT_TAGS.index("drums"))]
    assert sorted(index for _, index in choices) == list(range(50))
    assert tag_choices(MODEL, None) == [(tag, i) for i, tag in enumerate(MTT_TAGS)]


def test_the_tag_heat_lies_on_the_cqt_where_the_drums_play(
    qtbot, panel, guitar_then_band, tagger, tmp_path  # noqa: F811
):
    panel.set_tagger_source(lambda: tagger)
    analyses = tagger_analyses([{"mtt:fast": 0.5, "mtt:guitar": 0.3}] * 11)
    _show(qtbot, panel, guitar_then_band, analyses)
    bar = panel.explain
    # No CCMusic model and no CCMusic analysis: the bar offers the tagger's MSD network at once.
    assert bar.model == "musicnn-msd" and bar.model_box.currentData() == "musicnn-msd"
    assert bar.toggle.isEnabled() and bar.genre_box.isVisible()
    bar.model_box.setCurrentIndex(bar.model_box.findData(MODEL))
    assert bar.model == MODEL and bar.toggle.isEnabled() and not bar.explore_button.isEnabled()
    assert bar.genre_box.itemText(0) == "fast (50%)" and bar.genre_box.count() == 50
    bar.opacity.setValue(90)
    bar.toggle.setChecked(True)
    qtbot.waitUntil(lambda: _explained(panel), timeout=180_000)
    assert "Heat of the tag “fast” (MusiCNN (MagnaTagATune))" in bar.status.text()
    assert "TEST" not in bar.status.text()

    # Exactly the library's heat, each patch on its own CQT frames (a boundary frame shows the
    # stronger of two patches), nothing after the last whole patch.
    inputs = prepare_for_tagger(guitar_then_band).inputs
    expected = explain_tag(tagger.networks[MODEL], MODEL, inputs, list(range(len(inputs))), MTT_TAGS.index("fast"))
    heat = bar.overlay.heat()
    drawn = np.zeros_like(heat)
    for e in expected:
        first, cells = e.cqt_cells()
        span = drawn[:, first : first + cells.shape[1]]
        np.maximum(span, heat_index(cells[:, : span.shape[1]]), out=span)
    np.testing.assert_array_equal(heat, drawn)
    last = expected[-1].cqt_cells()
    assert last[0] + last[1].shape[1] < heat.shape[1] and heat[:, last[0] + last[1].shape[1]:].max() == 0
    # On the CQT too, "fast" is where the drums play (measured: ~20 times brighter).
    seconds = np.arange(heat.shape[1]) * panel.spectrogram_view.spectrogram().frame_seconds
    assert heat[:, seconds >= CUT_S].mean() > 5 * heat[:, seconds < CUT_S].mean()

    panel.spectrogram_view.set_playhead(CUT_S)
    path = tmp_path / "tagger-heat.png"
    assert panel.grab().save(str(path))
    print(f"panel grabbed to {path}")

    bar.genre_box.setCurrentIndex(bar.genre_box.findData(MTT_TAGS.index("guitar")))
    qtbot.waitUntil(lambda: "“guitar”" in bar.status.text() and _explained(panel), timeout=180_000)
    guitar = bar.overlay.heat()
    assert guitar[:, seconds < CUT_S].mean() > guitar[:, seconds >= CUT_S].mean()
    bar.model_box.setCurrentIndex(bar.model_box.findData("ccmusic"))
    assert not bar.overlay.item.isVisible() and not bar.toggle.isEnabled()
    assert not bar.genre_box.isVisible(), "no CCMusic analysis: no empty genre box either"


def test_the_bar_offers_a_network_that_can_explain_the_track_until_one_is_picked(
    qtbot, panel, guitar_then_band, tagger  # noqa: F811
):
    bar = panel.explain
    analyses = tagger_analyses([{"mtt:fast": 0.5}] * 11)
    _show(qtbot, panel, guitar_then_band, analyses)
    assert bar.model == "ccmusic" and not bar.toggle.isEnabled() and not bar.genre_box.isVisible()
    panel.set_tagger_source(lambda: tagger)
    assert bar.model == "musicnn-msd" and bar.toggle.isEnabled(), "a tagger arrives: it is offered"
    panel.set_classifier_source(lambda: None)  # a CCMusic model (loaded only to explain: not here)
    assert bar.model == "musicnn-msd", "CCMusic has not analysed this track: nothing to explain there"
    _show(qtbot, panel, guitar_then_band, {})
    assert bar.model == "ccmusic", "nothing analysed yet: CCMusic's analysis may come"
    with_ccmusic = {**analyses, "ccmusic": analysis_row(["Opera", "Solo"])}
    _show(qtbot, panel, guitar_then_band, with_ccmusic)
    assert bar.model == "ccmusic" and bar.genre_box.itemText(0) == "Opera (predicted)"
    bar.model_box.setCurrentIndex(bar.model_box.findData(MODEL))
    _show(qtbot, panel, guitar_then_band, analyses)
    assert bar.model == MODEL, "the person's pick stays"


def test_says_when_there_is_no_tagger(qtbot, panel, guitar_then_band):  # noqa: F811
    _show(qtbot, panel, guitar_then_band, {})
    bar = panel.explain
    bar.model_box.setCurrentIndex(bar.model_box.findData(MODEL))
    assert not bar.toggle.isEnabled() and bar.toggle.toolTip() == NO_TAGGER
