"""The playlists pane and view on a real library: create, drop, reorder, rename, delete/undo, export, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.playlists import PlaylistsPanel
from desktop_app.gui.track_drag import track_ids_from, track_ids_mime
from desktop_app.gui.workers import JobRunner
from desktop_app.library.playlist_formats import read_playlist
from desktop_app.library.playlists import find_playlist, playlist_track_ids
from tests.playlist_support import analyse, created, current_ids, make_songs


@pytest.fixture
def setup(qtbot, library, tmp_path):
    songs = make_songs(library, tmp_path / "music")
    a, b, c, d = songs.ids
    analyse(library, {a: ("Soft_rock", 0.55), b: ("Soft_rock", 0.9), c: ("Opera", 0.8), d: ("Soft_rock", 0.2)})
    jobs = JobRunner()
    panel = PlaylistsPanel(library, jobs, LibraryEvents())
    qtbot.addWidget(panel)
    qtbot.addWidget(panel.view)
    panel.resize(260, 400)
    panel.show()  # drops land on items by position: the list needs a geometry
    with library.engine.connect() as conn:
        panel.set_models(current_ids(conn), "ccmusic")  # the analyses below are CCMusic's
    messages: list[str] = []
    panel.message.connect(messages.append)
    yield panel, songs, messages
    jobs.shutdown()


def _settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.refreshing and not panel.jobs.busy, timeout=10_000)


def _ids(library, name: str) -> list[int]:
    with library.engine.connect() as conn:
        return playlist_track_ids(conn, find_playlist(conn, name), current_ids(conn))


def _drop(panel, item, track_ids: list[int]) -> bool:
    """Drag enter, move and drop on ``item`` as Qt delivers them; whether the drop was taken."""
    point = panel.list.visualItemRect(item).center()
    mime = track_ids_mime(track_ids)
    viewport = panel.list.viewport()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, QDragEnterEvent(point, *args))
    QApplication.sendEvent(viewport, QDragMoveEvent(point, *args))
    drop = QDropEvent(QPointF(point), *args)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def _view_ids(panel) -> list[int]:
    model = panel.view.model
    return model.track_ids(range(model.rowCount()))


def test_playlist_from_genre_dialog_creates_selects_and_shows_it(qtbot, setup, library):
    panel, songs, messages = setup
    a, b, _c, _d = songs.ids
    dialog = panel.commands.new_from_genre("Soft_rock")
    assert dialog.name.text() == "Soft rock"
    dialog.min_confidence.setValue(50)
    dialog.accept()
    _settle(qtbot, panel)
    assert panel.names() == [("Soft rock", "2")]
    assert _view_ids(panel) == [b, a], "highest confidence first"
    assert panel.view.title.text() == "Soft rock"
    assert panel.view.model.row(0).cells[5:] == ("Soft rock", "90%")
    assert messages[-1] == "Created playlist 'Soft rock'."


def test_playlists_for_all_genres(qtbot, setup):
    panel, _songs, messages = setup
    dialog = panel.commands.new_for_all_genres()
    dialog.smart.setChecked(True)
    dialog.accept()
    _settle(qtbot, panel)
    assert panel.names() == [("Opera", "1"), ("Soft rock", "2")]
    assert messages[-1] == "Created 2 genre playlists."


def test_smart_playlist_dialog_builds_rules_and_follows_a_re_analysis(qtbot, setup, library):
    panel, songs, _messages = setup
    a, b, c, d = songs.ids
    dialog = panel.commands.new_smart()
    dialog.name.setText("Confident rock")
    genres = dialog.rows[0].editor("predicted")
    genres.show_rule(type(dialog.rows[0].rule())("predicted", values=("Soft_rock", "Opera")))
    row = dialog.add_rule()
    row.field.setCurrentIndex(row.field.findData("confidence"))
    row.editor("confidence").low.setValue(50)
    dialog.order.setCurrentIndex(dialog.order.findData("confidence"))
    dialog.descending.setChecked(True)
    rules = dialog.rules()
    assert [r.to_json() for r in rules.rules] == [
        {"field": "predicted", "values": ["Opera", "Soft_rock"]},
        {"field": "confidence", "minimum": 0.5, "maximum": None}]
    dialog.accept()
    _settle(qtbot, panel)
    assert panel.names() == [("Confident rock", "3")]
    assert _view_ids(panel) == [b, c, a]
    _select_rows(panel, [1, 2])  # c and a, a current

    analyse(library, {d: ("Soft_rock", 0.99), b: ("Chamber", 0.9)})  # a re-analysis
    panel.refresh()
    _settle(qtbot, panel)
    assert panel.names() == [("Confident rock", "3")]
    assert _view_ids(panel) == [d, c, a]
    assert _selected_ids(panel) == ([c, a], a), "the same entries stay selected, on their new rows"

    edit = panel.commands.edit_rules(find_playlist_id(library, "Confident rock"))
    assert [r.rule() for r in edit.rows] == list(rules.rules)
    edit.rows[1].editor("confidence").low.setValue(85)
    edit.accept()
    _settle(qtbot, panel)
    assert _view_ids(panel) == [d]


def _select_rows(panel, rows: list[int]) -> None:
    """Select ``rows`` of the shown playlist as a click and Ctrl+clicks would, the last current."""
    table, model = panel.view.table, panel.view.model
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        table.selectionModel().setCurrentIndex(model.index(row, 0), flags)


def _selected_ids(panel) -> tuple[list[int], int | None]:
    """(selected track ids in row order, the current one)."""
    table, model = panel.view.table, panel.view.model
    rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    current = table.selectionModel().currentIndex()
    return model.track_ids(rows), model.track_id(current.row()) if current.isValid() else None


def test_another_playlist_starts_with_nothing_selected(qtbot, setup, library):
    panel, songs, _messages = setup
    a, b, _c, _d = songs.ids
    dialog = panel.commands.new_for_all_genres()
    dialog.smart.setChecked(True)
    dialog.accept()
    _settle(qtbot, panel)
    manual = created(qtbot, panel, panel.commands.new_manual)
    _settle(qtbot, panel)
    assert _drop(panel, panel.item_for(manual), [a, b])
    _settle(qtbot, panel)
    panel.select_playlist(find_playlist_id(library, "Soft rock"))
    qtbot.waitUntil(lambda: panel.view.title.text() == "Soft rock" and _view_ids(panel) == [b, a], timeout=10_000)
    _select_rows(panel, [0, 1])
    assert _selected_ids(panel) == ([b, a], a)
    panel.select_playlist(manual)
    qtbot.waitUntil(lambda: panel.view.title.text() == "New playlist", timeout=10_000)
    assert _view_ids(panel) == [a, b]
    assert _selected_ids(panel) == ([], None), "the same tracks, but another playlist: nothing carried over"


def find_playlist_id(library, name: str) -> int:
    with library.engine.connect() as conn:
        return find_playlist(conn, name).id


def test_a_rule_that_makes_no_sense_keeps_the_dialog_open(qtbot, setup):
    panel, _songs, _messages = setup
    dialog = panel.commands.new_smart()
    dialog.rows[0].editor("predicted").show_rule(dialog.rows[0].rule().__class__("predicted"))
    dialog.accept()
    assert dialog.isVisible()
    assert "predicted genre rule needs CCMusic genre keys" in dialog.error.text()
    assert panel.names() == []


def test_tracks_dropped_on_a_manual_playlist_then_reordered_and_removed(qtbot, setup, library):
    panel, songs, _messages = setup
    a, b, c, d = songs.ids
    playlist_id = created(qtbot, panel, panel.commands.new_manual)
    _settle(qtbot, panel)
    for ids in ([a, b], [c, d]):
        assert _drop(panel, panel.item_for(playlist_id), ids)
    _settle(qtbot, panel)
    assert panel.names() == [("New playlist", "4")]
    assert _view_ids(panel) == [a, b, c, d]

    model = panel.view.model
    dragged = model.mimeData([model.index(0, 0), model.index(1, 0)])
    assert track_ids_from(dragged) == [a, b]
    assert model.dropMimeData(dragged, Qt.DropAction.MoveAction, 4, 0, QModelIndex())  # to the end
    _settle(qtbot, panel)
    assert _view_ids(panel) == [c, d, a, b]
    assert model.dropMimeData(track_ids_mime([d]), Qt.DropAction.CopyAction, -1, 0, model.index(0, 0))
    _settle(qtbot, panel)
    assert _view_ids(panel) == [d, c, d, a, b]

    panel.view.table.selectRow(1)
    qtbot.keyClick(panel.view.table, Qt.Key.Key_Delete)
    _settle(qtbot, panel)
    assert _ids(library, "New playlist") == [d, d, a, b]
    _settle(qtbot, panel)
    assert panel.names() == [("New playlist", "4")]


def test_smart_playlists_take_no_drops(qtbot, setup):
    panel, songs, _messages = setup
    panel.commands.new_smart().accept()
    _settle(qtbot, panel)
    assert not _drop(panel, panel.list.topLevelItem(0), songs.ids[:1])
    assert not panel.view.model.dropMimeData(track_ids_mime(songs.ids[:1]), Qt.DropAction.CopyAction, 0, 0,
                                             QModelIndex())


def test_rename_in_place_duplicate_delete_with_confirmation_and_undo(qtbot, setup, library):
    panel, songs, messages = setup
    playlist_id = created(qtbot, panel, panel.commands.new_manual)
    _settle(qtbot, panel)
    panel.add_to_playlist(playlist_id, songs.ids[:2])
    _settle(qtbot, panel)
    panel.item_for(playlist_id).setText(0, "Road trip")
    _settle(qtbot, panel)
    copy = created(qtbot, panel, lambda: panel.commands.duplicate(playlist_id))
    _settle(qtbot, panel)
    assert panel.names() == [("Road trip", "2"), ("Road trip copy", "2")]
    panel.item_for(copy).setText(0, "road TRIP")  # taken, whatever the case
    _settle(qtbot, panel)
    assert messages[-1] == "a playlist named 'road TRIP' exists already"
    assert panel.names() == [("Road trip", "2"), ("Road trip copy", "2")]

    box = panel.commands.delete(playlist_id)
    box.button(QMessageBox.StandardButton.Cancel).click()
    _settle(qtbot, panel)
    assert len(panel.names()) == 2
    box = panel.commands.delete(playlist_id)
    next(b for b in box.buttons() if b.text() == "Delete").click()
    _settle(qtbot, panel)
    assert panel.names() == [("Road trip copy", "2")]
    assert panel.commands.undo_action.isEnabled() and "Ctrl+Z" in messages[-1]

    panel.commands.undo_action.trigger()
    _settle(qtbot, panel)
    assert panel.names() == [("Road trip", "2"), ("Road trip copy", "2")]
    assert _ids(library, "Road trip") == songs.ids[:2]
    assert not panel.commands.undo_action.isEnabled()


def test_export_runs_in_the_background_and_reports(qtbot, setup, tmp_path):
    panel, songs, messages = setup
    playlist_id = created(qtbot, panel, panel.commands.new_manual)
    _settle(qtbot, panel)
    panel.add_to_playlist(playlist_id, songs.ids)
    dialog = panel.commands.export(playlist_id)
    assert dialog.path.text().endswith("New playlist.m3u8")
    dialog.format.setCurrentIndex(dialog.format.findData("xspf"))
    dialog.path.setText(str(tmp_path / "out" / "mine.xspf"))
    (tmp_path / "out").mkdir()
    dialog.accept()
    qtbot.waitUntil(lambda: bool(messages) and messages[-1].startswith("Exported"), timeout=10_000)
    assert messages[-1] == f"Exported 'New playlist': 4 tracks written to {tmp_path / 'out' / 'mine.xspf'}."
    assert [e.path for e in read_playlist(tmp_path / "out" / "mine.xspf")] == [str(p) for p in songs.paths]

    genres = panel.commands.export_all_genres()
    genres.path.setText(str(tmp_path / "genres"))
    genres.min_confidence.setValue(50)
    genres.accept()
    qtbot.waitUntil(lambda: bool(messages) and messages[-1].startswith("Exported 2 genre"), timeout=10_000)
    assert sorted(p.name for p in (tmp_path / "genres").iterdir()) == ["Opera.m3u8", "Soft rock.m3u8"]


def test_import_selects_the_new_playlist_and_lists_what_was_not_found(qtbot, setup, tmp_path):
    panel, songs, messages = setup
    problems: list = []
    panel.commands.problemsFound.connect(lambda entries, where: problems.append((entries, where)))
    playlist = tmp_path / "From elsewhere.m3u"
    playlist.write_text(f"#EXTM3U\n{songs.paths[3]}\nnot-here.mp3\n", encoding="utf-8")
    panel.commands.import_file(str(playlist))
    qtbot.waitUntil(lambda: bool(messages) and messages[-1].startswith("Imported"), timeout=10_000)
    _settle(qtbot, panel)
    assert panel.names() == [("From elsewhere", "1")]
    # the selection shows the playlist once the list has it: on a loaded machine a moment later
    qtbot.waitUntil(lambda: panel.view.title.text() == "From elsewhere", timeout=10_000)
    assert problems == [([{"path": "not-here.mp3", "reason": f"no such file: {tmp_path / 'not-here.mp3'}"}],
                         "playlist import")]
    assert Path(panel.commands.last_folder) == tmp_path


def test_the_view_builds_each_row_once_and_its_flags_follow_the_playlist(qtbot, setup):
    """A view asks for every cell of a row in several roles one after another: the row is built
    once for all of them, and read again after every reload; the flags are built per playlist."""
    panel, songs, _messages = setup
    a, b, _c, _d = songs.ids
    playlist_id = created(qtbot, panel, panel.commands.new_manual)
    _settle(qtbot, panel)
    assert _drop(panel, panel.item_for(playlist_id), [a, b])
    _settle(qtbot, panel)
    model = panel.view.model
    first = model.row(0)
    assert model.row(0) is first and model.data(model.index(0, 1)) == first.cells[1]
    assert model.row(1).track_id == b and model.row(0) == first
    row_flags = model.flags(model.index(0, 0))
    assert row_flags & Qt.ItemFlag.ItemIsDragEnabled and row_flags & Qt.ItemFlag.ItemIsDropEnabled
    assert model.flags(QModelIndex()) == Qt.ItemFlag.ItemIsDropEnabled
    assert model.dropMimeData(track_ids_mime([b]), Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    _settle(qtbot, panel)
    assert model.row(0).track_id == b and model.row(1).track_id == a, "read again after the edit"

    panel.commands.new_smart().accept()
    _settle(qtbot, panel)
    smart = panel.view.model
    assert not smart.flags(QModelIndex()) & Qt.ItemFlag.ItemIsDropEnabled
