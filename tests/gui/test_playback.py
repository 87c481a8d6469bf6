"""The Player over QMediaPlayer, on real generated WAVs.

QtMultimedia's FFmpeg backend plays without any sound device (it renders into nothing and the
position advances), so these tests play for real even offscreen in CI. If a machine has no
usable backend at all, the playing tests skip and the controller logic is still tested.
"""

from __future__ import annotations

import pytest
from PySide6.QtMultimedia import QMediaPlayer

from desktop_app.gui.playback import RESTART_SECONDS, Player
from tests.audio_files import write_audio


@pytest.fixture
def player(qtbot):
    instance = Player()
    yield instance
    instance.stop()
    instance.load(None)


@pytest.fixture
def song(tmp_path):
    return str(write_audio(tmp_path / "song.wav", seconds=8, freq=330.0))


def _needs_backend(player: Player) -> None:
    if not player.media_player.isAvailable():
        pytest.skip("QtMultimedia has no playback backend on this machine")


def test_load_sets_the_source_and_duration(qtbot, player, song) -> None:
    _needs_backend(player)
    with qtbot.waitSignal(player.sourceChanged) as changed:
        player.load(song)
    assert changed.args == [song] and player.source() == song
    qtbot.waitUntil(lambda: player.duration() > 0)
    assert player.duration() == pytest.approx(8.0, abs=0.1)
    assert not player.is_playing()


def test_play_advances_the_position_and_pause_stops_it(qtbot, player, song) -> None:
    _needs_backend(player)
    player.load(song)
    with qtbot.waitSignal(player.playingChanged) as blocker:
        player.play()
    assert blocker.args == [True]
    qtbot.waitUntil(lambda: player.position() > 0.3, timeout=10_000)
    player.toggle()
    qtbot.waitUntil(lambda: not player.is_playing())
    player.toggle()
    qtbot.waitUntil(player.is_playing)


def test_seek_moves_the_position_and_is_clamped(qtbot, player, song) -> None:
    _needs_backend(player)
    player.load(song)
    qtbot.waitUntil(lambda: player.duration() > 0)
    with qtbot.waitSignal(player.positionChanged, check_params_cb=lambda s: abs(s - 5.0) < 0.05):
        player.seek(5.0)
    player.seek(999.0)
    qtbot.waitUntil(lambda: player.position() == pytest.approx(player.duration(), abs=0.05))
    player.seek(-4.0)
    qtbot.waitUntil(lambda: player.position() == 0.0)


def test_previous_restarts_a_track_that_has_played_a_while(qtbot, player, song) -> None:
    _needs_backend(player)
    player.load(song)
    qtbot.waitUntil(lambda: player.duration() > 0)
    player.seek(RESTART_SECONDS + 2)
    qtbot.waitUntil(lambda: player.position() > RESTART_SECONDS)
    with qtbot.assertNotEmitted(player.previousRequested):
        player.request_previous()
    qtbot.waitUntil(lambda: player.position() == 0.0)
    with qtbot.waitSignal(player.previousRequested):
        player.request_previous()
    with qtbot.waitSignal(player.nextRequested):
        player.request_next()


def test_a_finished_track_asks_for_the_next_and_keeps_playing_it(qtbot, player, tmp_path) -> None:
    _needs_backend(player)
    first = str(write_audio(tmp_path / "first.wav", seconds=1.0))
    second = str(write_audio(tmp_path / "second.wav", seconds=5.0))
    player.nextRequested.connect(lambda: player.load(second))  # what the window does
    player.load(first)
    player.play()
    qtbot.waitUntil(lambda: player.source() == second, timeout=15_000)
    qtbot.waitUntil(lambda: player.is_playing() and player.position() > 0.1, timeout=10_000)


def test_loading_while_playing_continues_and_while_paused_does_not(qtbot, player, tmp_path) -> None:
    _needs_backend(player)
    a, b, c = (str(write_audio(tmp_path / f"{n}.wav", seconds=4.0)) for n in "abc")
    player.load(a)
    player.play()
    qtbot.waitUntil(player.is_playing)
    player.load(b)
    qtbot.waitUntil(lambda: player.is_playing() and player.position() > 0.1, timeout=10_000)
    player.pause()
    qtbot.waitUntil(lambda: not player.is_playing())
    player.load(c)
    qtbot.waitUntil(lambda: player.media_player.mediaStatus() == QMediaPlayer.MediaStatus.LoadedMedia)
    assert not player.is_playing()


def test_controller_logic_without_a_source(qtbot, player) -> None:
    """What works whatever the backend: nothing loaded means nothing plays or seeks."""
    player.play()
    player.seek(3.0)
    assert not player.is_playing() and player.position() == 0.0 and player.source() == ""
    player.set_volume(1.7)
    assert player.volume() == 1.0
    player.set_volume(0.5)
    assert player.volume() == 0.5
    assert 0.0 < player.media_player.audioOutput().volume() < 0.5  # perceptual 50 % is quieter in gain
    player.set_muted(True)
    assert player.is_muted()


def test_a_broken_file_reports_an_error_instead_of_raising(qtbot, player, tmp_path) -> None:
    _needs_backend(player)
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio" * 50)
    with qtbot.waitSignal(player.errorOccurred, timeout=10_000) as blocker:
        player.load(str(broken))
        player.play()
    assert blocker.args[0].startswith("Cannot play this file: ")
