"""The whole detail panel as the window uses it: show_track, async spectrogram, seek, playhead."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.detail.panel import COMPUTING, NO_TRACK
from desktop_app.library.browse import TrackDetail
from desktop_app.library.path_mappings import FolderMapping, PathResolver
from tests.audio_files import write_audio
from tests.gui_detail_support import analysis_row


@pytest.fixture
def panel(qtbot):
    widget = DetailPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.player.stop()
    widget._loader.wait_for_idle(30_000)


@pytest.fixture
def song(tmp_path):
    return str(write_audio(tmp_path / "song.wav", seconds=40, freq=440.0))


def _track(path: str, track_id: int = 1, **extra) -> TrackDetail:
    return TrackDetail(id=track_id, path=path, title="A Song", artist="An Artist", album="An Album",
                       duration=40.0, **extra)


def _shown(panel: DetailPanel, path: str) -> bool:
    spectrogram = panel.spectrogram_view.spectrogram()
    return spectrogram is not None and spectrogram.path == path


def test_show_track_computes_the_spectrogram_in_the_background(qtbot, panel, song) -> None:
    panel.show_track(_track(song, analysis=analysis_row(["Opera", "Solo", "Opera"])))
    assert panel.spectrogram_view.message() == COMPUTING  # the GUI thread did not compute it
    qtbot.waitUntil(lambda: _shown(panel, song), timeout=60_000)
    assert panel.spectrogram_view.message() is None
    assert [b.genre.key for b in panel.spectrogram_view.bands()] == ["Opera", "Solo", "Opera"]
    assert panel.ccmusic_view.entries()[0][0] == "Opera"
    assert "A Song" in panel._title.text() and "An Artist — An Album · 0:40" in panel._title.text()
    assert panel.player.source() == song


def test_analysis_arriving_later_updates_without_recomputing(qtbot, panel, song) -> None:
    panel.show_track(_track(song))
    qtbot.waitUntil(lambda: _shown(panel, song), timeout=60_000)
    assert panel.broad_view.headline() == "Not analysed" and panel.spectrogram_view.bands() == ()
    assert panel.ccmusic_view.headline() == "" and "No CCMusic analysis" in panel.ccmusic_view.details()
    shown = panel.spectrogram_view.spectrogram()
    panel.show_track(_track(song, analysis=analysis_row(["Dance_pop"] * 3)))
    assert panel.spectrogram_view.spectrogram() is shown
    assert len(panel.spectrogram_view.bands()) == 3
    assert "Dance pop" in panel.ccmusic_view.headline()


def test_selecting_quickly_shows_only_the_last_track(qtbot, panel, tmp_path) -> None:
    paths = [str(write_audio(tmp_path / f"t{i}.wav", seconds=20, freq=200.0 + 50 * i)) for i in range(3)]
    drawn: list[str] = []
    original = panel.spectrogram_view.set_spectrogram
    panel.spectrogram_view.set_spectrogram = lambda spec: (drawn.append(spec.path), original(spec))
    for i, path in enumerate(paths):
        panel.show_track(_track(path, track_id=i))
    qtbot.waitUntil(lambda: _shown(panel, paths[-1]), timeout=60_000)
    assert panel._loader.wait_for_idle(30_000)
    qtbot.waitUntil(lambda: not panel._loader._jobs)
    assert drawn == [paths[-1]]
    assert panel.player.source() == paths[-1]


def test_broken_and_missing_files_show_a_message(qtbot, panel, tmp_path) -> None:
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"\x00garbage" * 200)
    panel.show_track(_track(str(broken)))
    qtbot.waitUntil(lambda: (panel.spectrogram_view.message() or "").startswith("Cannot read this file"),
                    timeout=60_000)

    panel.show_track(_track(str(tmp_path / "gone.mp3"), track_id=2))
    assert panel.spectrogram_view.message() == "Cannot read this file: file not found."


def test_no_track(qtbot, panel, song) -> None:
    panel.show_track(_track(song))
    panel.show_track(None)
    assert panel.spectrogram_view.message() == NO_TRACK
    assert panel.player.source() == "" and panel.broad_view.headline() == "Not analysed"
    assert panel.ccmusic_view.isHidden() and panel.tags_label.isHidden()
    assert not panel.play_pause_action.isEnabled()


def test_click_seeks_playback_and_the_playhead_follows(qtbot, panel, song) -> None:
    if not panel.player.media_player.isAvailable():
        pytest.skip("QtMultimedia has no playback backend on this machine")
    panel.show_track(_track(song))
    qtbot.waitUntil(lambda: _shown(panel, song), timeout=60_000)
    qtbot.waitUntil(lambda: panel.player.duration() > 0)
    view = panel.spectrogram_view
    scene = view.plot_widget.getPlotItem().getViewBox().mapViewToScene(QPointF(25.0, 40.0))
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=view.plot_widget.mapFromScene(scene))
    qtbot.waitUntil(lambda: abs(panel.player.position() - 25.0) < 0.3)
    assert abs(view.playhead() - 25.0) < 0.3

    panel.play_pause_action.trigger()  # what the space bar does
    qtbot.waitUntil(panel.player.is_playing)
    qtbot.waitUntil(lambda: view.playhead() > panel.player.position() - 1 > 24.5, timeout=10_000)
    qtbot.waitUntil(lambda: panel.transport.time_label.text().startswith("0:2"))
    panel.play_pause_action.trigger()
    qtbot.waitUntil(lambda: not panel.player.is_playing())


def test_low_confidence_threshold_comes_from_the_window(qtbot, panel, song) -> None:
    panel.show_track(_track(song, analysis=analysis_row(["Opera"])))  # 70 %
    panel.set_low_confidence_thresholds({"ccmusic": 0.8})
    assert panel.ccmusic_view.headline().count("Low confidence") == 1
    panel.set_low_confidence_thresholds({"ccmusic": 0.5})
    assert "Low confidence" not in panel.ccmusic_view.headline()


def test_transport_controls_drive_the_player(qtbot, panel, song) -> None:
    transport = panel.transport
    assert not transport.position_slider.isEnabled()  # nothing loaded yet
    panel.show_track(_track(song))
    assert transport.position_slider.isEnabled() and panel.play_pause_action.isEnabled()
    assert transport.time_label.text() == "0:00 / 0:40"  # the library's duration until the player knows
    transport.volume_slider.setValue(30)
    assert panel.player.volume() == 0.3
    with qtbot.waitSignal(panel.player.nextRequested):
        transport.next_button.click()
    with qtbot.waitSignal(panel.player.previousRequested):
        transport.previous_button.click()
    if transport.mute_button.isEnabled():  # only with a sound device
        transport.mute_button.click()
        assert panel.player.is_muted()


def test_a_track_stored_as_another_machine_sees_it_plays_and_shows_through_the_mapping(qtbot, song) -> None:
    here = str(Path(song).parent)
    paths = PathResolver("b", [FolderMapping("b", "/mnt/elsewhere", here)])
    widget = DetailPanel(local_path=paths.to_local)
    qtbot.addWidget(widget)
    try:
        widget.show_track(_track("/mnt/elsewhere/song.wav"))
        qtbot.waitUntil(lambda: _shown(widget, song), timeout=60_000)
        assert widget.player.source() == song and widget.spectrogram_view.message() is None
    finally:
        widget.player.stop()
        widget._loader.wait_for_idle(30_000)
