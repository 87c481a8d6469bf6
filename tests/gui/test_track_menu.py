"""The track table's right-click menu on a real library: Add to playlist ▸, Copy paths, Show in folder.

The clipboard is Qt's own (offscreen); the file manager is the one thing that does not run here, so
Show in folder is caught where Qt hands file URLs to the desktop (`QDesktopServices.setUrlHandler`).
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.track_table_model import COLUMN_INDEX
from desktop_app.library.playlists import find_playlist, playlist_track_ids
from tests.audio_files import write_audio
from tests.playlist_support import created


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def window(qtbot, library, tmp_path):
    for name in ("a", "b", "c"):
        write_audio(tmp_path / "music" / name / f"{name}.wav", title=f"Song {name}")
    made = MainWindow(library, AppSettings())
    qtbot.addWidget(made)
    made.show()
    made.intake.add_paths([str(tmp_path / "music")])
    qtbot.waitUntil(lambda: made.table_model.rowCount() == 3 and made.is_idle(), timeout=30_000)
    made.table.sortByColumn(COLUMN_INDEX["title"], Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: made.table_model.view.sort == "title" and made.is_idle())
    yield made
    made.close()


def _select(window: MainWindow, rows: list[int]) -> None:
    selection, model = window.table.selectionModel(), window.table_model
    selection.clearSelection()
    for row in rows:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.setCurrentIndex(model.index(row, 0), flags)


def test_the_menu_holds_the_window_s_actions_and_its_own(window):
    texts = [action.text() for action in window.table.actions() if not action.isSeparator()]
    assert texts[:2] == ["Analyse &selection", window.tag_writes.write_action.text()]
    assert texts[2:] == ["Add to p&laylist", "&Copy paths", "Show in &folder", "&Remove from library…"]


def test_copy_paths_puts_the_selected_files_on_the_clipboard_in_table_order(qtbot, window, tmp_path):
    _select(window, [0, 2])
    QGuiApplication.clipboard().clear()
    window.menus.tracks.copy_paths.trigger()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() != "", timeout=10_000)
    music = tmp_path / "music"
    assert QGuiApplication.clipboard().text().splitlines() == [str(music / "a" / "a.wav"), str(music / "c" / "c.wav")]
    assert window.status_bar.status_text.text() == "Copied 2 paths."


def test_show_in_folder_opens_the_current_track_s_folder_or_says_it_is_gone(qtbot, window, tmp_path):
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        _select(window, [1])
        window.menus.tracks.show_in_folder.trigger()
        qtbot.waitUntil(lambda: bool(catcher.urls), timeout=10_000)
        assert catcher.urls == [QUrl.fromLocalFile(str(tmp_path / "music" / "b"))]
        shutil.rmtree(tmp_path / "music" / "c")
        _select(window, [2])
        window.menus.tracks.show_in_folder.trigger()
        qtbot.waitUntil(lambda: "is not there" in window.status_bar.status_text.text(), timeout=10_000)
        assert str(tmp_path / "music" / "c") in window.status_bar.status_text.text() and len(catcher.urls) == 1
    finally:
        QDesktopServices.unsetUrlHandler("file")


def test_add_to_playlist_lists_the_manual_playlists_and_adds_the_selection(qtbot, window, library):
    menu = window.menus.tracks.add_to_playlist
    menu.aboutToShow.emit()
    assert [(a.text(), a.isEnabled()) for a in menu.actions()] == [("No manual playlists yet", False)]
    playlist_id = created(qtbot, window.playlists, window.playlists.commands.new_manual)
    qtbot.waitUntil(lambda: playlist_id in window.playlists.commands.known, timeout=10_000)
    menu.aboutToShow.emit()
    [entry] = menu.actions()
    assert entry.text() == "New playlist"
    assert window.centre_stack.currentWidget() is window.playlists.view, "creating it showed the playlist"
    assert window.selected_track_ids() == [], "the menu acts on what the centre shows: nothing selected there"
    window.playlists.select_playlist(None)  # back to the library
    qtbot.waitUntil(lambda: window.centre_stack.currentIndex() == 0, timeout=10_000)
    _select(window, [2, 0])
    expected = window.table.selected_track_ids()
    entry.trigger()

    def stored() -> list[int]:
        with library.engine.connect() as conn:
            return playlist_track_ids(conn, find_playlist(conn, "New playlist"), {})

    qtbot.waitUntil(lambda: stored() == expected, timeout=10_000)


def test_remove_asks_with_what_would_go_then_forgets_the_tracks_but_not_the_files(qtbot, window, tmp_path):
    from desktop_app.library.browse import Scope

    qtbot.waitUntil(lambda: not window.analysis.busy and window.is_idle()
                    and window.sidebar.item_for(Scope("not_analysed")).text(1) == "0", timeout=120_000)
    menu = window.menus.tracks
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_Delete)
    assert menu.confirmation is None, "Delete in the search box edits the search"

    _select(window, [0, 1])
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: menu.confirmation is not None, timeout=10_000)
    box = menu.confirmation
    assert box.text() == "Remove 2 tracks from the library?"
    assert box.informativeText() == (
        "The files stay where they are. The library forgets 6 analyses with them. Scanning the folder again "
        "adds them back, to be analysed again."), "three rows each: the tagger's two networks and broad genres"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert menu.confirmation is None and window.table_model.rowCount() == 3, "Cancel removes nothing"

    shown = window.detail.current_track()
    assert shown is not None and shown.title == "Song b", "the current track, about to go"
    menu.remove.trigger()
    qtbot.waitUntil(lambda: menu.confirmation is not None, timeout=10_000)
    [remove] = [b for b in menu.confirmation.buttons() if b.text() == "Remove"]
    remove.click()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1 and window.is_idle(), timeout=10_000)
    assert window.table_model.row(0).title == "Song c"
    assert window.detail.current_track() is None, "the removed track is not shown any more"
    assert window.status_bar.status_text.text() == "Removed 2 tracks from the library; the files are untouched."
    assert (tmp_path / "music" / "a" / "a.wav").is_file() and (tmp_path / "music" / "b" / "b.wav").is_file()


def test_removal_words_say_what_goes_and_how_it_comes_back():
    from desktop_app.gui.track_menu import removal_words
    from desktop_app.library.track_removal import Removal

    assert removal_words(Removal(tracks=1, analyses=1)) == (
        "The files stay where they are. The library forgets 1 analysis with it. Scanning the folder again "
        "adds it back, to be analysed again.")
    assert "forgets 3 analyses and 2 entries in manual playlists with them." in removal_words(Removal(2, 3, 2))
    assert removal_words(Removal(tracks=2)) == (
        "The files stay where they are. Scanning the folder again adds them back.")


def test_missing_files_show_in_their_own_entry_and_can_be_removed_there(qtbot, window, tmp_path):
    from desktop_app.library.browse import Scope

    entry = window.sidebar.item_for(Scope("missing"))
    assert entry is not None and entry.isHidden(), "nothing missing: no entry"
    (tmp_path / "music" / "c" / "c.wav").unlink()
    window.intake.add_paths([str(tmp_path / "music")])  # the folder scanned again: c is missing
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 2 and window.is_idle(), timeout=30_000)
    qtbot.waitUntil(lambda: not entry.isHidden() and entry.text(1) == "1", timeout=10_000)
    window.sidebar.select_scope(Scope("missing"))
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1 and window.is_idle(), timeout=10_000)
    assert window.table_model.row(0).title == "Song c"
    _select(window, [0])
    window.menus.tracks.remove.trigger()
    qtbot.waitUntil(lambda: window.menus.tracks.confirmation is not None, timeout=10_000)
    assert window.menus.tracks.confirmation.text() == "Remove 1 track from the library?"
    [remove] = [b for b in window.menus.tracks.confirmation.buttons() if b.text() == "Remove"]
    remove.click()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 0 and entry.text(1) == "0", timeout=10_000)
    window.sidebar.select_scope(Scope("all"))
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 2 and window.is_idle(), timeout=10_000)
    qtbot.waitUntil(lambda: entry.isHidden(), timeout=10_000)


def test_the_playlist_view_s_menu_removes_entries_and_copies_their_paths(qtbot, window, library, tmp_path):
    playlist_id = created(qtbot, window.playlists, window.playlists.commands.new_manual)
    qtbot.waitUntil(lambda: playlist_id in window.playlists.commands.known, timeout=10_000)
    window.playlists.add_to_playlist(playlist_id, window.table_model.track_ids([0, 1]))  # Song a, Song b
    view = window.playlists.view
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10_000)
    texts = [a.text() for a in view.table.actions()]
    assert texts == ["Remove from playlist", "Add to p&laylist", "&Copy paths", "Show in &folder"]
    assert view.remove_action.isVisible(), "a manual playlist's entries can be removed"

    table, model = view.table, view.model
    table.selectionModel().setCurrentIndex(
        model.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    QGuiApplication.clipboard().clear()
    window.menus.tracks.copy_paths.trigger()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() != "", timeout=10_000)
    assert QGuiApplication.clipboard().text() == str(tmp_path / "music" / "b" / "b.wav"), "the playlist's selection"
    view.remove_action.trigger()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    assert model.row(0).cells[1] == "Song a"
    assert window.table_model.rowCount() == 3, "the tracks stay in the library"


def test_analyse_selection_takes_what_the_centre_shows(qtbot, window):
    window.table.selectAll()
    playlist_id = created(qtbot, window.playlists, window.playlists.commands.new_manual)
    qtbot.waitUntil(lambda: playlist_id in window.playlists.commands.known, timeout=10_000)
    window.playlists.add_to_playlist(playlist_id, window.table_model.track_ids([2]))
    view = window.playlists.view
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    view.table.selectRow(0)
    assert len(window.table.selected_track_ids()) == 3, "the hidden table still has all three selected"
    window.menus.analyse.trigger()
    assert window.status_bar.status_text.text() == "Analysing 1 selected track…", "the shown playlist's one"
