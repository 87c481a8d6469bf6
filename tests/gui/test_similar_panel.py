"""The window's "Similar tracks" pane: listed off the GUI thread, click to select, drag onto a
playlist, and a playlist built from the selected track. Embeddings are made by hand (the real
network's are tested in tests/analysis/test_similar.py), so every expected neighbour is known."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.similar_panel import ID_ROLE, NOTHING_SELECTED
from desktop_app.gui.track_drag import track_ids_from
from desktop_app.library.playlists import get_playlist, list_playlists, playlist_track_ids
from tests.generated_library import insert_tagger_embeddings, insert_tracks

N = 40


def _vectors() -> np.ndarray:
    """Track i (1-based) points at angle i degrees: its nearest are i±1, then i±2, …"""
    angles = np.radians(np.arange(1, N + 1))
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


@pytest.fixture
def window(qtbot, library):
    insert_tracks(library, N)
    insert_tagger_embeddings(library, _vectors())
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == N, timeout=20_000)
    yield window
    window.close()


def _listed(window: MainWindow) -> list[int]:
    return window.similar.list.track_ids()


def _select(qtbot, window: MainWindow, track_id: int) -> None:
    window.table.select_track(track_id)
    qtbot.waitUntil(lambda: window.similar.list.count() > 0 and not window.similar.busy
                    and window._shown_track_id == track_id, timeout=20_000)


def test_selecting_a_track_lists_the_tracks_most_like_it(qtbot, window):
    assert window.similar._state.text() == NOTHING_SELECTED
    _select(qtbot, window, 20)
    listed = _listed(window)
    assert sorted(listed[:2]) == [19, 21] and sorted(listed[2:4]) == [18, 22]
    assert 20 not in listed and len(listed) == 25
    first = window.similar.list.item(0)
    assert first.text().startswith("1.00")  # cos(1°) rounds to 1.00
    assert window.similar.playlist_button.isEnabled()


def test_clicking_a_similar_track_selects_it_and_rows_drag_as_track_ids(qtbot, window):
    _select(qtbot, window, 10)
    items = [window.similar.list.item(i) for i in range(3)]
    assert track_ids_from(window.similar.list.mimeData(items)) == [int(i.data(ID_ROLE)) for i in items]
    target = int(window.similar.list.item(2).data(ID_ROLE))
    window.similar.list.itemClicked.emit(window.similar.list.item(2))
    qtbot.waitUntil(lambda: window._shown_track_id == target and not window.similar.busy, timeout=20_000)
    current = window.table.selectionModel().currentIndex()
    assert window.table_model.track_id(current.row()) == target
    qtbot.waitUntil(lambda: target not in _listed(window) and len(_listed(window)) == 25)


def test_playlist_from_this_track_builds_and_shows_it(qtbot, window, library):
    _select(qtbot, window, 5)
    window.similar.length.setValue(8)
    qtbot.mouseClick(window.similar.playlist_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.centre_stack.currentIndex() == 1 and not window.jobs.busy, timeout=20_000)
    with library.engine.connect() as conn:
        found = [p for p in list_playlists(conn) if p.name.startswith("Like ")]
        assert [p.name for p in found] == ["Like Song 000004"]
        ids = playlist_track_ids(conn, get_playlist(conn, found[0].id), {})
    assert ids[0] == 5 and len(ids) == 8 and len(set(ids)) == 8
    assert "Created playlist “Like Song 000004”: 8 tracks" in window.status_text.text()
    qtbot.waitUntil(lambda: window.playlists.item_for(found[0].id) is not None)


def test_without_embeddings_the_pane_says_what_to_do(qtbot, library):
    insert_tracks(library, 3)
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == 3, timeout=20_000)
    window.table.select_track(2)
    qtbot.waitUntil(lambda: "analyse the library" in window.similar._state.text(), timeout=20_000)
    assert window.similar.list.count() == 0 and not window.similar.playlist_button.isEnabled()
    window.close()


def test_the_shown_track_s_own_analysis_arriving_fills_an_empty_list(qtbot, library):
    """A track selected before the tagger reached it has no embedding, so nothing to compare: when
    its analysis arrives (an analysis run still going), the pane asks again at once."""
    insert_tracks(library, N)
    vectors = _vectors()
    model_id = insert_tagger_embeddings(library, vectors[: N - 1])
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == N, timeout=20_000)
    window.table.select_track(N)
    qtbot.waitUntil(lambda: window._shown_track_id == N and not window.similar.busy, timeout=20_000)
    assert _listed(window) == []
    with library.writer.begin() as conn:
        raw = conn.connection.driver_connection
        raw.execute("INSERT INTO analyses (track_id, model_id, top1, confidence, analysed_at)"
                    " SELECT ?, model_id, top1, confidence, analysed_at FROM analyses WHERE track_id = 1", (N,))
        raw.execute("INSERT INTO embeddings (analysis_id, layer, dims, vector) SELECT id, 'penultimate', ?, ?"
                    " FROM analyses WHERE track_id = ? AND model_id = ?",
                    (vectors.shape[1], np.asarray(vectors[N - 1], np.float16).tobytes(), N, model_id))
    window.services.events.analysesChanged.emit([N])
    qtbot.waitUntil(lambda: len(_listed(window)) == 25 and not window.similar.busy, timeout=20_000)
    assert sorted(_listed(window)[:2]) == [N - 2, N - 1]
    window.close()
