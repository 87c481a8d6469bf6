"""Results written by another program into a shared library appear in the window (issue 14).

The window runs offscreen on a library on SQLite and on PostgreSQL; a second `Library` on the same
location (its own engine and connections, as another process or machine has) writes analyses,
tracks and a playlist, and the window's table, sidebar and playlists show them once its
`LibraryWatch` has polled (every 100 ms here, every 3 s in the app).
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.library.browse import Scope
from desktop_app.library.change_stamp import read_change_stamp
from desktop_app.library.database import open_library
from desktop_app.library.models import TagGenre, Track
from desktop_app.library.playlists import create_playlist
from tests.generated_library import insert_analyses, insert_model, insert_tracks, track_row

N = 200
WATCH_MS = 100


@pytest.fixture(params=["sqlite", "postgresql"])
def library_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def shared(library):
    """(the window's library, another program's library on the same location, the test model id)."""
    insert_tracks(library, N)
    model = insert_model(library, origin="test")
    insert_analyses(library, model, range(1, N // 2 + 1))
    other = open_library(library.location)
    yield library, other, model
    other.close()


@pytest.fixture
def window(qtbot, shared):
    library = shared[0]
    settings = AppSettings()
    settings.taxonomy = "ccmusic"
    services = AppServices(library, watch_interval_ms=WATCH_MS)
    window = MainWindow(library, settings, services)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and _count(window, Scope("not_analysed")) == f"{N - N // 2:,}",
                    timeout=20_000)
    qtbot.waitUntil(lambda: services.watch.stamp is not None)
    yield window
    window.close()


def _count(window: MainWindow, scope: Scope) -> str | None:
    item = window.sidebar.item_for(scope)
    return item.text(1) if item is not None else None


def test_analyses_tracks_and_playlists_written_elsewhere_appear_in_the_window(qtbot, shared, window):
    _library, other, model = shared
    insert_analyses(other, model, range(N // 2 + 1, N + 1))  # "genrescope classify" elsewhere
    qtbot.waitUntil(lambda: _count(window, Scope("not_analysed")) == "0", timeout=10_000)
    assert window.services.watch.remote_changes >= 1

    row = track_row(N)  # a scan elsewhere adds a track
    with other.session(write=True) as session:
        session.execute(insert(Track.__table__), [row])
        session.execute(insert(TagGenre.__table__), [{"track_id": row["id"], "position": 0, "name": row["genre"]}])
    qtbot.waitUntil(lambda: window.table_model.rowCount() == N + 1, timeout=10_000)
    qtbot.waitUntil(lambda: _count(window, Scope("all")) == f"{N + 1:,}", timeout=10_000)
    assert _count(window, Scope("not_analysed")) == "1"

    with other.session(write=True) as session:  # another window makes a playlist
        create_playlist(session.connection(), "Made elsewhere", [1, 2, 3])
    qtbot.waitUntil(lambda: "Made elsewhere" in [name for name, _count in window.playlists.names()], timeout=10_000)


def test_the_windows_own_writes_are_not_announced_again(qtbot, shared, window):
    library, _other, _model = shared
    watch = window.services.watch
    announced: list[object] = []
    window.services.events.playlistsChanged.connect(lambda: announced.append("playlists"))
    with library.session(write=True) as session:
        create_playlist(session.connection(), "Made here", [1])
    window.services.events.playlistsChanged.emit()  # as the window's playlist commands do
    with library.engine.connect() as conn:
        written = read_change_stamp(conn)
    qtbot.waitUntil(lambda: watch.stamp == written, timeout=10_000)  # the watch has read past the write
    qtbot.wait(3 * WATCH_MS)
    assert announced == ["playlists"] and watch.remote_changes == 0


def test_no_polling_while_the_window_is_minimised(qtbot, shared, window):
    _library, other, model = shared
    window.showMinimized()
    qtbot.waitUntil(lambda: window.isMinimized(), timeout=5_000)
    insert_analyses(other, model, range(N // 2 + 1, N // 2 + 11))
    qtbot.wait(5 * WATCH_MS)
    assert window.services.watch.remote_changes == 0
    window.showNormal()
    qtbot.waitUntil(lambda: _count(window, Scope("not_analysed")) == f"{N - N // 2 - 10:,}", timeout=10_000)
