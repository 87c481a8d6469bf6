"""Both genre models in the detail panel: broad genres and CCMusic, the tags line, two timelines.

The rules (verdict.py, tag_line.py) are tested on their own on broad-genre and tagger rows, then
the panel is shown a track as the window passes it: every model's row under ``analyses``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pyqtgraph as pg
import pytest

from desktop_app.audio.mel import PATCH_SECONDS
from desktop_app.genres.broad import GENRE_TAG_INDICES, SOURCE_PREFIX
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.detail.panel import NO_CCMUSIC, TAGS_TITLE
from desktop_app.gui.detail.spectrogram_view import LANES
from desktop_app.gui.detail.tag_line import DESCRIPTORS, MAX_PER_GROUP, has_tags, tag_groups, tag_line
from desktop_app.gui.detail.verdict import (
    BROAD,
    CCMUSIC,
    DEFAULT_THRESHOLDS,
    analyses_by_model,
    broad_evidence,
    has_prediction,
    model_heading,
    model_name,
    patch_bounds,
    timeline,
    top_genres,
    vote_count,
)
from desktop_app.gui.resources import genre_palette
from desktop_app.library.analyses import StoredAnalysis
from desktop_app.library.browse import TrackDetail
from tests.audio_files import write_audio
from tests.gui_detail_support import analysis_row, tagger_analyses

ROCK = {"msd:rock": 0.58, "mtt:rock": 0.44, "mtt:guitar": 0.62, "mtt:male vocal": 0.35, "mtt:loud": 0.41,
        "msd:90s": 0.24, "msd:pop": 0.18}
SOFT = {"msd:pop": 0.41, "mtt:pop": 0.35, "msd:female vocalists": 0.46, "mtt:female vocal": 0.52,
        "mtt:piano": 0.47, "msd:Mellow": 0.3, "mtt:soft": 0.42}
PATCHES = [ROCK] * 9 + [SOFT] * 4  # 13 patches: a 40 s song


# --- the rules -------------------------------------------------------------------------------


def test_rows_are_read_in_their_own_models_classes() -> None:
    rows = tagger_analyses(PATCHES)
    broad = rows[BROAD]
    assert model_name(broad) == BROAD and model_name(StoredAnalysis(top1="Opera")) == CCMUSIC
    assert all(has_prediction(row) for row in rows.values())
    assert not has_prediction(replace(broad, probabilities=broad.probabilities[:16]))
    assert not has_prediction(replace(broad, model_name="someone-elses-model"))
    top = top_genres(broad.probabilities, model=BROAD)
    assert [g.display_name for g in top[:2]] == ["Rock", "Pop"]
    assert top[0].probability == pytest.approx((9 * 0.58 + 4 * 0.03) / 13, abs=1e-6)
    assert vote_count(broad.window_probabilities, "Rock", BROAD) == (9, 13)
    assert [g.key for g in top_genres(analysis_row(["Opera"]).probabilities, k=1)] == ["Opera"]


def test_the_shown_row_and_every_models_rows_are_one_mapping() -> None:
    rows = tagger_analyses(PATCHES)
    ccmusic = analysis_row(["Opera"])  # no model_name given: CCMusic's
    found = analyses_by_model(TrackDetail(1, "song.wav", analysis=ccmusic, analyses=rows))
    assert set(found) == {CCMUSIC, BROAD, "musicnn-msd", "musicnn-mtt"} and found[CCMUSIC] is ccmusic
    assert analyses_by_model(TrackDetail(1, "song.wav", analysis=rows[BROAD])) == {BROAD: rows[BROAD]}
    assert analyses_by_model(None) == {}


def test_headings_name_the_model_and_its_weights() -> None:
    rows = tagger_analyses(PATCHES)
    assert model_heading(BROAD, rows[BROAD]) == "Broad genre — MusiCNN, built-in"
    assert model_heading(CCMUSIC, analysis_row(["Opera"])) == "CCMusic VGG19_BN"  # downloaded: the normal case
    assert model_heading(CCMUSIC, analysis_row(["Opera"], origin="test")) == "CCMusic VGG19_BN, TEST weights"
    assert model_heading(CCMUSIC) == "CCMusic VGG19_BN"
    assert DEFAULT_THRESHOLDS == {BROAD: 0.2, CCMUSIC: 0.4}


def test_patches_are_three_seconds_and_the_tail_is_not_analysed() -> None:
    bounds = patch_bounds(40.0)
    assert len(bounds) == 13 and bounds[1] == pytest.approx((PATCH_SECONDS, 2 * PATCH_SECONDS))
    assert bounds[-1][1] == pytest.approx(13 * PATCH_SECONDS) and bounds[-1][1] < 40.0
    assert patch_bounds(2.0) == ((0.0, 2.0),)  # a short clip: one patch, repeated, over the whole clip
    # The 16 kHz decode may round a file right at a patch boundary either way: the stored count wins.
    just_short = 934 * 256 / 16000 - 0.0004  # 935 frames (5 patches) from 14.944 s on
    assert len(patch_bounds(just_short)) == 4
    assert len(patch_bounds(just_short, 5)) == 5 and len(patch_bounds(just_short, 4)) == 4
    assert len(patch_bounds(40.0, 20)) == 13  # but not a count the file cannot hold


def test_broad_timeline_per_patch_and_a_changed_file_is_said() -> None:
    broad = tagger_analyses(PATCHES)[BROAD]
    shown = timeline(broad, patch_bounds(40.0))
    assert shown.model == BROAD and len(shown.bands) == 13
    assert [b.genre.key for b in shown.bands] == ["Rock"] * 9 + ["Pop"] * 4
    assert shown.bands[0].genre.probability == pytest.approx(0.58)
    changed = timeline(broad, patch_bounds(30.0))
    assert changed.bands == () and "13 patches but the file now has 10" in changed.note


def test_broad_evidence_names_the_deciding_tag() -> None:
    rows = tagger_analyses(PATCHES)
    evidence = broad_evidence(rows)
    assert evidence["Rock"][0] == "msd:rock" and evidence["Pop"][0] == "msd:pop"
    assert evidence["Rock"][1] == pytest.approx(rows[BROAD].probabilities[0], abs=1e-6)
    assert broad_evidence({BROAD: rows[BROAD], "musicnn-msd": rows["musicnn-msd"]}) == {}


def test_descriptors_cover_every_non_genre_tag_once() -> None:
    sources = [s for d in DESCRIPTORS for s in d.sources]
    non_genre = {f"{SOURCE_PREFIX[m]}:{tag}" for m, tags in TAGGER_TAGS.items()
                 for i, tag in enumerate(tags) if i not in GENRE_TAG_INDICES[m]}
    assert len(sources) == len(set(sources)) and set(sources) == non_genre


def test_tags_line_groups_synonyms_and_leaves_genres_to_the_broad_genres() -> None:
    rows = tagger_analyses([{"mtt:female vocal": 0.52, "msd:female vocalists": 0.46, "mtt:woman": 0.3,
                             "mtt:guitar": 0.62, "msd:guitar": 0.4, "mtt:piano": 0.3, "mtt:drums": 0.25,
                             "mtt:strings": 0.22, "mtt:fast": 0.38, "msd:rock": 0.9, "msd:Mellow": 0.1}])
    groups = tag_groups(rows)
    assert [g.name for g in groups] == ["Voice", "Instruments", "Sound"]
    voice, instruments, sound = groups
    assert [(t.name, t.source) for t in voice.tags] == [("female vocal", "mtt:female vocal")]
    assert [t.name for t in instruments.tags] == ["guitar", "piano", "drums"][:MAX_PER_GROUP]
    assert tag_line(groups) == ("Voice: female vocal 52% · Instruments: guitar 62%, piano 30%, drums 25% · "
                                "Sound: fast 38%")
    assert "rock" not in tag_line(groups)  # a genre: it speaks through Rock's evidence
    assert has_tags({"musicnn-mtt": rows["musicnn-mtt"]}) and not has_tags({BROAD: rows[BROAD]})
    assert tag_groups({"musicnn-msd": replace(rows["musicnn-msd"], error="decode failed")}) == []


# --- the panel -------------------------------------------------------------------------------


@pytest.fixture
def panel(qtbot):
    widget = DetailPanel()
    qtbot.addWidget(widget)
    widget.resize(560, 1000)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.player.stop()
    widget._loader.wait_for_idle(30_000)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return str(write_audio(tmp_path_factory.mktemp("models") / "song.wav", seconds=40, freq=440.0))


def _show(qtbot, panel: DetailPanel, path: str, analyses: dict, shown: str = BROAD) -> None:
    panel.show_track(TrackDetail(id=1, path=path, title="A Song", artist="An Artist", album="An Album",
                                 duration=40.0, analysis=analyses.get(shown), analyses=analyses))
    qtbot.waitUntil(lambda: panel.spectrogram_view.spectrogram() is not None, timeout=60_000)


def _lane_colours(panel: DetailPanel, model: str) -> list[str]:
    bottom, _ = LANES[model]
    lane = next(i for i in panel.spectrogram_view.plot_widget.getPlotItem().items
                if isinstance(i, pg.BarGraphItem) and i.opts["y0"] == bottom)
    return [pg.mkBrush(b).color().name() for b in lane.opts["brushes"]]


def _legend(panel: DetailPanel) -> str:
    return panel.spectrogram_view.findChild(pg.QtWidgets.QLabel, "timelineLegend").text()


def test_panel_shows_both_models_the_tags_and_two_timelines(qtbot, panel, song) -> None:
    ccmusic = replace(analysis_row(["Adult_alternative_rock", "Soft_rock", "Adult_alternative_rock"]), model_name=CCMUSIC)
    _show(qtbot, panel, song, {**tagger_analyses(PATCHES), CCMUSIC: ccmusic})

    broad, cc = panel.broad_view, panel.ccmusic_view
    assert broad.heading() == "Broad genre — MusiCNN, built-in" and cc.heading() == "CCMusic VGG19_BN"
    assert [name for name, _ in broad.entries()][:2] == ["Rock", "Pop"]
    assert broad.evidence()[:2] == ["rock (MSD)", "pop (MSD)"]
    texts = [i.toPlainText() for i in broad.plot_widget.getPlotItem().items if isinstance(i, pg.TextItem)]
    assert texts[0] == f"{broad.entries()[0][1]} · rock (MSD)"
    assert "Majority vote: <b>Rock</b> (9 of 13 patches)" in broad.details()
    assert cc.entries()[0][0] == "Adult alternative rock" and "(2 of 3 windows)" in cc.details()
    assert cc.evidence() == [""] * 5 and broad.warning() is None and cc.warning() is None
    assert panel.tags_label.text().startswith(f"{TAGS_TITLE} — Voice: male vocal")
    assert "guitar" in panel.tags_label.text() and "mtt:guitar" not in panel.tags_label.text()
    assert "guitar (MTT)" in panel.tags_label.toolTip()

    view = panel.spectrogram_view
    assert len(view.bands(CCMUSIC)) == 3 and len(view.bands(BROAD)) == 13
    palette = genre_palette()
    assert _lane_colours(panel, BROAD) == [palette.hex(k).lower() for k in ["Rock"] * 9 + ["Pop"] * 4]
    assert _lane_colours(panel, CCMUSIC) == [
        palette.hex(k).lower() for k in ("Adult_alternative_rock", "Soft_rock", "Adult_alternative_rock")
    ]
    assert len({*_lane_colours(panel, BROAD), *_lane_colours(panel, CCMUSIC)}) == 4
    legend = _legend(panel)
    assert "Broad genre per 3 s patch" in legend and "Rock ×9" in legend and "Pop ×4" in legend
    assert "CCMusic windows (11.4 s)" in legend and "Adult alternative rock ×2" in legend

    broad_lane, cc_lane = (sum(LANES[m]) / 2 for m in (BROAD, CCMUSIC))
    assert view.readout_at(20.0, broad_lane) == "0:20.0 · broad patch 7/13, 0:17.9–0:20.9: Rock 58%"
    assert view.readout_at(20.0, cc_lane).startswith("0:20.0 · CCMusic window 2/3, 0:14.3–0:25.7: Soft rock 70%")
    assert view.readout_at(20.0, 45.5).endswith("window 2/3: Soft rock 70% · patch 7/13: Rock 58%")


def test_with_only_the_taggers_it_shows_broad_genres_and_says_ccmusic_did_not_run(qtbot, panel, song) -> None:
    _show(qtbot, panel, song, tagger_analyses(PATCHES))
    assert panel.broad_view.entries()[0][0] == "Rock" and panel.broad_view.headline().count("Rock") == 1
    assert panel.ccmusic_view.heading() == "CCMusic VGG19_BN"
    assert panel.ccmusic_view.headline() == "" and panel.ccmusic_view.details() == NO_CCMUSIC
    assert panel.ccmusic_view.entries() == [] and not panel.ccmusic_view.plot_widget.isVisible()
    assert len(panel.spectrogram_view.bands(BROAD)) == 13 and panel.spectrogram_view.bands(CCMUSIC) == ()
    assert "CCMusic" not in _legend(panel)
    assert not panel.explain.toggle.isEnabled()


def test_broad_low_confidence_has_its_own_threshold(qtbot, panel, song) -> None:
    quiet = [{"msd:jazz": 0.15}] * 13
    _show(qtbot, panel, song, tagger_analyses(quiet) | {CCMUSIC: replace(analysis_row(["Opera"]), model_name=CCMUSIC)})
    panel.set_low_confidence_thresholds({CCMUSIC: 0.8})  # CCMusic's threshold, not the broad genres'
    assert "Low confidence: Jazz — 15.0%" in panel.broad_view.headline()
    assert "Low confidence: Opera" in panel.ccmusic_view.headline()
    panel.set_low_confidence_thresholds({BROAD: 0.1})
    assert "Low confidence" not in panel.broad_view.headline()
    panel.set_low_confidence_thresholds({BROAD: 0.2})
    _show(qtbot, panel, song, tagger_analyses(PATCHES))
    assert "Low confidence" not in panel.broad_view.headline()  # 43 % of "rock" is a clear answer


def test_a_changed_file_hides_the_patch_timeline_and_says_why(qtbot, panel, song) -> None:
    _show(qtbot, panel, song, tagger_analyses(PATCHES * 2))
    assert panel.spectrogram_view.bands(BROAD) == ()
    assert "Broad genre per 3 s patch not shown: the analysis has 26 patches but the file now has 13" in _legend(panel)


def test_test_weights_are_said_for_the_tagger_too(qtbot, panel, song) -> None:
    _show(qtbot, panel, song, tagger_analyses(PATCHES, origin="test"))
    assert panel.broad_view.warning() is not None and panel.broad_view.heading().endswith("TEST weights")
    assert "test model — not a real prediction" in _legend(panel)


def test_real_tagger_rows_on_a_generated_song(qtbot, panel, song) -> None:
    """The tagger's own rows (tag_results.records of a real run) land on the file's patches one to one."""
    from desktop_app.analysis import tag_results
    from desktop_app.audio.prepare import prepare_for_tagger
    from desktop_app.inference.registry import open_tagger

    tagger = open_tagger("cpu")
    prepared = prepare_for_tagger(song)
    result = tag_results.verdict(tagger.predict(prepared.inputs), tagger)
    rows = {
        name: StoredAnalysis(**dataclasses.asdict(record), model_name=name, model_label=name, model_origin="builtin")
        for name, record in tag_results.records(result, prepared, device="cpu", seconds=0.0).items()
    }
    _show(qtbot, panel, song, rows)
    bands = panel.spectrogram_view.bands(BROAD)
    assert len(bands) == len(prepared.patch_bounds) == rows[BROAD].window_count
    assert [t for b in bands for t in (b.start, b.end)] == pytest.approx([t for p in prepared.patch_bounds for t in p])
    assert [name for name, _ in panel.broad_view.entries()] == [s.display_name for s in result.broad.top5]
    assert panel.broad_view.evidence() == [
        f"{s.evidence.split(':', 1)[1]} ({s.evidence.split(':', 1)[0].upper()})" for s in result.broad.top5
    ]
    assert panel.tags_label.isVisible() and panel.tags_label.text().startswith(TAGS_TITLE)
