"""The library's events: what scans, analyses and playlist edits announce reaches the views that
subscribe, and the window works on the services it is given."""

from __future__ import annotations

import pytest

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.playlists import PlaylistsPanel
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.similar_panel import SimilarTracksPanel
from desktop_app.gui.track_table_model import TrackTableModel
from desktop_app.library.browse import Scope
from tests.audio_files import write_audio
from tests.playlist_support import created, make_songs


@pytest.fixture
def services(library):
    services = AppServices(library)
    yield services
    services.shutdown()


def _recorder(signal) -> list:
    seen: list = []
    signal.connect(lambda *args: seen.append(args[0] if args else True))
    return seen


def test_the_window_works_on_the_services_it_is_given(qtbot, library, services):
    window = MainWindow(library, AppSettings(), services)
    qtbot.addWidget(window)
    assert window.services is services
    assert (window.jobs, window.scans, window.analysis) == (services.jobs, services.scans, services.analysis)
    window.close()


def test_a_window_without_services_builds_its_own(qtbot, library):
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    assert isinstance(window.services, AppServices) and window.services.parent() is window
    assert window.scans is window.services.scans
    window.close()


def test_a_scan_announces_tracks_and_the_table_follows(qtbot, library, services, tmp_path):
    changed = _recorder(services.events.tracksChanged)
    table = TrackTableModel(library, services.jobs, services.events)
    write_audio(tmp_path / "music" / "a.wav", title="A")
    write_audio(tmp_path / "music" / "b.wav", title="B")
    with qtbot.waitSignal(services.scans.scanned, timeout=30_000):
        services.scans.scan([str(tmp_path / "music")])
    assert changed, "the scan announced its tracks"
    qtbot.waitUntil(lambda: table.rowCount() == 2 and not table.is_reloading, timeout=10_000)


def test_an_analysis_announces_its_tracks_then_its_end_and_the_window_follows(qtbot, library, services, tmp_path):
    window = MainWindow(library, AppSettings(), services)
    qtbot.addWidget(window)
    window.show()
    changed = _recorder(services.events.analysesChanged)
    write_audio(tmp_path / "music" / "a.wav", seconds=3.0, title="A")
    window.intake.add_paths([str(tmp_path / "music")])  # scanned, selected, then tagged by the built-in tagger
    qtbot.waitUntil(lambda: bool(changed) and changed[-1] is None and not services.analysis.busy, timeout=60_000)
    [track_id] = next(ids for ids in changed if ids is not None)
    # Nobody told the sidebar or the detail panel: they followed the events.
    qtbot.waitUntil(lambda: window.is_idle() and window.sidebar.item_for(Scope("not_analysed")).text(1) == "0",
                    timeout=10_000)
    assert window.detail.current_track().id == track_id and window.detail.current_track().analysis is not None
    window.close()


def test_a_playlist_edit_reaches_every_subscribed_pane(qtbot, library, services, tmp_path):
    songs = make_songs(library, tmp_path / "music")
    edited = _recorder(services.events.playlistsChanged)
    editing = PlaylistsPanel(library, services.jobs, services.events)
    watching = PlaylistsPanel(library, services.jobs, services.events)
    for panel in (editing, watching):
        qtbot.addWidget(panel)
        qtbot.addWidget(panel.view)
    playlist_id = created(qtbot, editing, editing.commands.new_manual)
    editing.add_to_playlist(playlist_id, songs.ids[:2])
    qtbot.waitUntil(lambda: not editing.writer.busy, timeout=10_000)
    assert len(edited) == 2
    qtbot.waitUntil(lambda: watching.names() == [("New playlist", "2")] and not watching.refreshing, timeout=10_000)


def test_the_similar_pane_asks_again_when_an_analysis_run_ends(qtbot, library, services, tmp_path):
    songs = make_songs(library, tmp_path / "music")
    pane = SimilarTracksPanel(library, services.jobs, services.events)
    qtbot.addWidget(pane)
    pane.show_track(songs.ids[0])
    qtbot.waitUntil(lambda: not pane.busy and not services.jobs.busy, timeout=10_000)
    services.events.analysesChanged.emit([songs.ids[0]])
    assert not pane.busy, "a batch of analyses does not repeat the search"
    services.events.analysesChanged.emit(None)
    assert pane.busy, "the end of a run does"
    qtbot.waitUntil(lambda: not pane.busy and not services.jobs.busy, timeout=10_000)
