"""Playlists in the window: the pane under the sidebar, dragging table rows onto a playlist, the view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop_app.genres.ccmusic import GENRES
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.track_drag import track_ids_from
from desktop_app.library.browse import Scope
from tests.generated_library import confidence_of, insert_analyses, insert_model, insert_tracks, predicted_index
from tests.playlist_support import created

N = 64


@pytest.fixture
def window(qtbot, library):
    insert_tracks(library, N)
    insert_analyses(library, insert_model(library), range(1, N + 1))
    settings = AppSettings()
    settings.taxonomy = "ccmusic"  # the generated analyses are CCMusic's
    window = MainWindow(library, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == N and
                    not window.playlists.refreshing, timeout=20_000)
    yield window
    window.close()


def _settled(window: MainWindow) -> bool:
    return window.is_idle() and not window.playlists.refreshing and not window.jobs.busy


def _click_sidebar(window: MainWindow, scope: Scope) -> None:
    """A click on a sidebar entry: it becomes current (if it was not) and is clicked."""
    item = window.sidebar.item_for(scope)
    window.sidebar.setCurrentItem(item)
    window.sidebar.itemClicked.emit(item, 0)


def test_table_rows_drag_onto_a_playlist_in_the_pane(qtbot, window):
    playlist_id = created(qtbot, window.playlists, window.playlists.commands.new_manual)
    qtbot.waitUntil(lambda: window.playlists.item_for(playlist_id) is not None)
    _click_sidebar(window, Scope("all"))
    qtbot.waitUntil(lambda: window.centre_stack.currentIndex() == 0 and _settled(window))
    rows = [0, 2, 5]
    mime = window.table_model.mimeData([window.table_model.index(r, 1) for r in rows])
    dragged = track_ids_from(mime)
    assert dragged == window.table_model.track_ids(rows) and len(dragged) == 3
    assert window.table.dragEnabled()

    item = window.playlists.item_for(playlist_id)
    point = window.playlists.list.visualItemRect(item).center()
    viewport = window.playlists.list.viewport()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, QDragEnterEvent(point, *args))
    QApplication.sendEvent(viewport, QDragMoveEvent(point, *args))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), *args))
    qtbot.waitUntil(lambda: window.playlists.names() == [("New playlist", "3")] and _settled(window))
    assert window.status_text.text() == "Added 3 tracks to 'New playlist'."


def test_selecting_a_playlist_shows_it_and_a_sidebar_click_goes_back(qtbot, window):
    genre = GENRES[predicted_index(5)]
    dialog = window.playlists.commands.new_from_genre(genre.key)
    dialog.min_confidence.setValue(0)
    dialog.smart.setChecked(True)
    dialog.accept()
    expected = [i for i in range(1, N + 1) if predicted_index(i) == predicted_index(5)]
    qtbot.waitUntil(lambda: window.centre_stack.currentWidget() is window.playlists.view and _settled(window))
    view = window.playlists.view
    shown = view.model.track_ids(range(view.model.rowCount()))
    assert sorted(shown) == expected
    assert [confidence_of(i) for i in shown] == sorted((confidence_of(i) for i in expected), reverse=True)
    assert window.playlists.names() == [(genre.display_name, str(len(expected)))]
    assert not window.sidebar.selectedItems()

    view.table.selectRow(1)
    qtbot.waitUntil(lambda: window._shown_track_id == shown[1])

    _click_sidebar(window, Scope("all"))
    assert window.centre_stack.currentIndex() == 0
    assert window.playlists.list.currentItem() is None


def test_the_playlists_menu_offers_every_action(window):
    texts = [a.text() for a in window.menus.by_name["playlists"].actions()]
    assert texts == ["Empty playlist", "Smart playlist…", "Playlist from genre…", "Playlists for all genres…",
                     "Import playlist file…", "Export all genre playlists…", "Undo delete playlist"]
