"""Writing genres into files' tags from the window: the dialog's preview, Apply, the table following
the files, Edit → Undo (also after reopening the window), Stop midway, files left alone, and the
sidebar's and playlists' entry points. Real files in several formats, a real SQLite library."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import mutagen
import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from desktop_app.genres.ccmusic import GENRES
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.tag_writing.dialog import TagWriteDialog
from desktop_app.gui.track_table_model import COLUMN_INDEX
from desktop_app.library.browse import Scope
from desktop_app.library.models import Track
from desktop_app.library.playlists import create_playlist
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio
from tests.generated_library import confidence_of, insert_analyses, insert_model, predicted_index
from tests.tagged_formats import write_tagged

KINDS = ("mp3", "flac", "m4a", "ogg")


def genres_on_disk(path: str | Path) -> list[str]:
    """The genre as mutagen reads the file itself (easy tags: TCON, GENRE, ©gen)."""
    audio = mutagen.File(path, easy=True)
    return list(audio.get("genre", []))


def scan(library, folder: Path) -> dict[str, int]:
    Scanner(library, executor="inline").scan([folder])
    with library.engine.connect() as conn:
        return {path: track_id for track_id, path in conn.execute(select(Track.id, Track.path))}


def open_window(qtbot, library, count: int) -> MainWindow:
    settings = AppSettings()
    settings.taxonomy = "ccmusic"  # the generated analyses are CCMusic's
    window = MainWindow(library, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(
        lambda: window.is_idle() and window.table_model.rowCount() == count and not window.tag_writes.reading,
        timeout=20_000,
    )
    return window


def tagged_library(library, folder: Path, names: tuple[str, ...]) -> dict[str, int]:
    """Richly tagged files (genre "Rock", "Pop"), scanned, with CCMusic analyses."""
    for name in names:
        write_tagged(folder / name)
    ids = scan(library, folder)
    insert_analyses(library, insert_model(library), range(1, len(ids) + 1))
    return ids


@pytest.fixture
def files(library, tmp_path) -> dict[str, int]:
    """One file per format."""
    return tagged_library(library, tmp_path / "music", tuple(f"song.{kind}" for kind in KINDS))


def expected_genre(track_id: int) -> str:
    return GENRES[predicted_index(track_id)].display_name


def dialog_of(qtbot, window: MainWindow) -> TagWriteDialog:
    dialog = window.tag_writes.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.settled, timeout=20_000)
    return dialog


def table_genre(window: MainWindow, track_id: int) -> str:
    model = window.table_model
    row = model.row_of(track_id)
    assert row is not None
    return model.index(row, COLUMN_INDEX["tag_genre"]).data()


def confirm_undo(qtbot, window: MainWindow) -> None:
    box = window.tag_writes.undo()
    assert isinstance(box, QMessageBox)
    undo_button = next(b for b in box.buttons() if b.text().startswith("Undo genre tags"))
    undo_button.click()
    qtbot.waitUntil(lambda: not window.tag_writes.undoing and not window.tag_writes.reading, timeout=20_000)


def test_preview_apply_table_and_undo(qtbot, library, tmp_path):
    names = (*(f"song.{kind}" for kind in KINDS), "locked.mp3")
    files = tagged_library(library, tmp_path / "music", names)
    readonly = tmp_path / "music" / "locked.mp3"
    os.chmod(readonly, 0o444)  # after the scan: the library knows it, the preview leaves it alone
    window = open_window(qtbot, library, len(files))
    before = {track_id: table_genre(window, track_id) for track_id in files.values()}

    window.table.selectAll()
    window.tag_writes.write_action.trigger()
    dialog = dialog_of(qtbot, window)
    assert "5 tracks" in dialog.intro.text()
    low = [i for i in files.values() if confidence_of(i) < 0.4]  # CCMusic's default minimum: 40%
    assert dialog.min_confidence.value() == 40
    assert f"{len(low)} track" in dialog.summary.text() and "no CCMusic genre at 40% or above" in dialog.summary.text()

    dialog.min_confidence.setValue(0)  # every track, read again after the pause
    qtbot.waitUntil(lambda: dialog.settled and dialog.plan is not None)
    assert dialog.preview.rowCount() == 4
    rows = {dialog.preview.item(r).track_id: dialog.preview.index(r, 0) for r in range(4)}
    for track_id, index in rows.items():
        cells = [dialog.preview.index(index.row(), c).data() for c in range(5)]
        name = Path(next(p for p, i in files.items() if i == track_id)).name
        assert cells[:4] == [name, "Rock | Pop", expected_genre(track_id), f"CCMusic {confidence_of(track_id):.0%}"]
    assert dialog.left_alone.rowCount() == 1
    assert [dialog.left_alone.index(0, c).data() for c in range(2)] == ["locked.mp3", "read-only file"]
    assert dialog.tabs.tabText(1) == "Left alone (1)"
    assert dialog.apply_button.text() == "Write genre to 4 files" and dialog.apply_button.isEnabled()
    assert all(genres_on_disk(path) == ["Rock", "Pop"] for path in files), "the preview wrote nothing"

    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=20_000)
    assert dialog.summary.text().startswith("Written: 4 files. Left alone: 1 file")
    assert dialog.tabs.tabText(0) == "Written (4)" and dialog.cancel_button.text() == "Close"
    for path, track_id in files.items():
        wanted = ["Rock", "Pop"] if path == str(readonly) else [expected_genre(track_id)]
        assert genres_on_disk(path) == wanted, path
    # The table follows the files without a rescan; the read-only file is listed in Problems.
    qtbot.waitUntil(
        lambda: all(table_genre(window, i) == expected_genre(i) for p, i in files.items() if p != str(readonly)),
        timeout=10_000,
    )
    assert window.problems.list.count() == 1 and "locked.mp3" in window.problems.list.item(0).text()
    qtbot.waitUntil(lambda: window.tag_writes.undo_action.isEnabled())
    assert window.tag_writes.undo_action.text() == "Undo genre tags (4 files)"
    assert window.tag_writes.undo_action in window.menus.by_name["edit"].actions()
    assert window.tag_writes.write_action in window.table.actions()  # the table's context menu
    assert window.tag_writes.write_action.shortcut().toString() == "Ctrl+Shift+T"
    assert window.tag_writes.undo_action.shortcut().toString() == "Ctrl+Z"
    dialog.reject()

    confirm_undo(qtbot, window)
    assert all(genres_on_disk(path) == ["Rock", "Pop"] for path in files)
    qtbot.waitUntil(lambda: all(table_genre(window, i) == before[i] for i in files.values()), timeout=10_000)
    assert not window.tag_writes.undo_action.isEnabled()
    assert window.status_text.text() == "Undo genre tags: Restored: 4 files."
    window.close()


def test_a_typed_genre_added_and_undone_after_reopening_the_window(qtbot, library, files):
    window = open_window(qtbot, library, len(files))
    window.table.selectAll()
    window.tag_writes.write_action.trigger()
    dialog = dialog_of(qtbot, window)
    dialog.source.setCurrentIndex(dialog.source.findData("typed"))
    assert not dialog.apply_button.isEnabled(), "the preview shown is of the options before"
    qtbot.waitUntil(lambda: dialog.settled)
    assert dialog.summary.text() == "Type the genre to write." and not dialog.apply_button.isEnabled()
    dialog.genre.setText("Film score")
    dialog.add.setChecked(True)
    qtbot.waitUntil(lambda: dialog.settled and dialog.preview.rowCount() == len(files))
    assert dialog.preview.index(0, 2).data() == "Rock | Pop | Film score"
    assert dialog.preview.index(0, 3).data() == "typed"
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=20_000)
    assert all(genres_on_disk(path) == ["Rock", "Pop", "Film score"] for path in files)
    dialog.reject()
    window.close()

    window = open_window(qtbot, library, len(files))  # a new window: the undo is read from the library
    assert window.tag_writes.undo_action.isEnabled()
    assert window.tag_writes.undo_action.text() == f"Undo genre tags ({len(files)} files)"
    confirm_undo(qtbot, window)
    assert all(genres_on_disk(path) == ["Rock", "Pop"] for path in files)
    window.close()


def test_stopping_midway_keeps_what_was_written_and_undo_takes_it_back(qtbot, library, tmp_path):
    music = tmp_path / "many"
    count = 60
    for i in range(count):
        write_audio(music / f"{i:02}.mp3", seconds=0.2, genre="Rock")
    files = scan(library, music)
    window = open_window(qtbot, library, count)
    window.table.selectAll()
    window.tag_writes.write_action.trigger()
    dialog = dialog_of(qtbot, window)
    dialog.source.setCurrentIndex(dialog.source.findData("typed"))
    dialog.genre.setText("Jazz")
    qtbot.waitUntil(lambda: dialog.settled and dialog.preview.rowCount() == count)

    dialog.apply_button.click()
    qtbot.waitUntil(lambda: any(genres_on_disk(p) == ["Jazz"] for p in files), timeout=20_000, )
    dialog.cancel_button.click()  # "Stop": after the file being written
    assert dialog.isVisible(), "the dialog stays to show what was done"
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=20_000)
    report = dialog.report
    assert report is not None and report.cancelled
    written = {entry.path for entry in report.changed}
    assert 0 < len(written) < count
    assert all(genres_on_disk(p) == (["Jazz"] if p in written else ["Rock"]) for p in files)
    assert f"Cancelled: {count - len(written)} files not written." in dialog.summary.text()
    dialog.reject()
    qtbot.waitUntil(lambda: window.tag_writes.undo_action.text() == f"Undo genre tags ({len(written)} files)")
    confirm_undo(qtbot, window)
    assert all(genres_on_disk(p) == ["Rock"] for p in files)
    window.close()


def test_the_sidebar_and_a_playlist_write_their_own_tracks(qtbot, library, tmp_path):
    music = tmp_path / "music"
    for i in range(8):
        write_audio(music / f"{i}.flac", seconds=0.2, genre="Rock")
    files = scan(library, music)
    ids = sorted(files.values())
    insert_analyses(library, insert_model(library), range(1, len(ids) + 1))
    with library.writer.begin() as conn:
        playlist_id = create_playlist(conn, "Two", [ids[5], ids[2]])
    window = open_window(qtbot, library, len(ids))
    qtbot.waitUntil(lambda: window.playlists.item_for(playlist_id) is not None and not window.playlists.refreshing)

    genre = GENRES[predicted_index(ids[1])]
    in_genre = [i for i in ids if predicted_index(i) == predicted_index(ids[1]) and confidence_of(i) >= 0.4]
    window.sidebar.tagWriteRequested.emit(Scope("predicted", genre.key), genre.display_name)
    dialog = dialog_of(qtbot, window)
    assert sorted(dialog.track_ids) == in_genre
    assert f"the tracks in CCMusic's {genre.display_name} ({len(in_genre)} track" in dialog.intro.text()
    dialog.reject()

    window.sidebar.tagWriteRequested.emit(Scope("tag_genre", "Rock"), "Rock")
    dialog = dialog_of(qtbot, window)
    assert sorted(dialog.track_ids) == ids
    dialog.reject()

    window.playlists.tagWriteRequested.emit(playlist_id)
    dialog = dialog_of(qtbot, window)
    assert dialog.track_ids == [ids[5], ids[2]]
    assert "the tracks of the playlist “Two” (2 tracks)" in dialog.intro.text()
    dialog.reject()
    window.close()
