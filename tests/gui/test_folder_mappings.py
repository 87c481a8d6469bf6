"""Settings → "Folders on this machine": this machine's path mappings listed, added, refused and
removed from the dialog, stored in a real library (SQLite, and PostgreSQL for the listing and
adding); another machine's (``GENRESCOPE_MACHINE``) never shown or changed; the window's detail
panel opens the shown track's file where the new mapping puts it. Offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.gui.workers import JobRunner
from desktop_app.library.database import Library, open_library
from desktop_app.library.path_mappings import FolderMapping, list_mappings, set_mapping
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from tests.generated_library import insert_tracks

HERE, OTHER = "desk-here", "kitchen-pc"


@pytest.fixture
def jobs():
    runner = JobRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def shared(tmp_path, monkeypatch):
    """A library of tracks under /music/…, with another machine's mapping of it."""
    monkeypatch.setenv("GENRESCOPE_MACHINE", HERE)

    def make(location: str | Path) -> Library:
        library = open_library(location)
        insert_tracks(library, 30)
        set_mapping(library, "/music", "/media/nas/music", machine=OTHER)
        return library

    return make


def _dialog(qtbot, tmp_path, jobs, library: Library) -> SettingsDialog:
    dialog = SettingsDialog(AppSettings(tmp_path / "settings.ini"), jobs, library=library)
    qtbot.addWidget(dialog)
    box = dialog.folder_mappings
    assert box is not None
    qtbot.waitUntil(lambda: box.settled >= 1, timeout=20_000)
    return dialog


def _add(qtbot, dialog: SettingsDialog, library_folder: str, local_folder: str):
    box = dialog.folder_mappings
    assert box is not None
    box.add_button.click()
    add = box.add_dialog
    assert add is not None and add.isVisible()
    add.library_folder.setEditText(library_folder)
    add.local_folder.setText(local_folder)
    before = box.settled
    ok = add.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None
    ok.click()
    qtbot.waitUntil(lambda: box.settled > before, timeout=20_000)
    return add


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_add_lists_and_stores_this_machines_mapping_only(qtbot, tmp_path, jobs, shared, backend, request):
    location = request.getfixturevalue("postgres_url") if backend == "postgresql" else tmp_path / "lib.sqlite3"
    library = shared(location)
    dialog = _dialog(qtbot, tmp_path, jobs, library)
    box = dialog.folder_mappings
    assert box is not None
    assert box.title() == f"Folders on this machine ({HERE})"
    assert box.mappings() == [], f"{OTHER}'s mapping is not this machine's"

    here = tmp_path / "mounted" / "music"
    here.mkdir(parents=True)
    box.add_button.click()
    add = box.add_dialog
    assert add is not None
    offered = [add.library_folder.itemText(i) for i in range(add.library_folder.count())]
    assert offered == ["/music"], "the library's own folder, offered to pick"
    add.reject()

    add = _add(qtbot, dialog, "/music/", str(here))
    assert not add.isVisible() and box.add_dialog is None, "closed once stored"
    assert list_mappings(library, HERE) == [FolderMapping(HERE, "/music", str(here))]
    assert box.mappings() == [("/music", str(here))]
    assert box.message.isHidden(), "the folder exists: nothing to warn about"
    assert library.paths.to_local("/music/artist001/album1/track000001.mp3") == f"{here}/artist001/album1/track000001.mp3"
    assert list_mappings(library, OTHER) == [FolderMapping(OTHER, "/music", "/media/nas/music")], "untouched"
    library.close()


def test_a_missing_folder_is_mapped_with_a_warning_and_a_refused_one_says_why(qtbot, tmp_path, jobs, shared):
    library = shared(tmp_path / "lib.sqlite3")
    dialog = _dialog(qtbot, tmp_path, jobs, library)
    box = dialog.folder_mappings
    assert box is not None

    _add(qtbot, dialog, "/music", "/not/mounted/music")
    assert box.mappings() == [("/music", "/not/mounted/music")]
    assert not box.message.isHidden()
    assert box.message.text() == "/not/mounted/music is not a folder on this machine (not mounted?): mapped anyway."

    for library_folder, local_folder, reason in [
        ("music", str(tmp_path), "'music' is not an absolute folder path (it must start with /)"),
        ("/other", "/not/mounted/music", "/not/mounted/music is already where /music is: unmap /music first"),
        ("/music", "/music", "/music is mapped to itself: nothing to map"),
    ]:
        add = _add(qtbot, dialog, library_folder, local_folder)
        assert add.isVisible(), "stays open to correct"
        said = add.message.text()
        assert said.startswith("Not mapped: ") and said.endswith(reason), said
        assert not add.message.isHidden()
        add.reject()
        assert list_mappings(library, HERE) == [FolderMapping(HERE, "/music", "/not/mounted/music")], "nothing stored"
    library.close()


def _answer(qtbot, box, label: str) -> None:
    box.remove_button.click()
    question = box.confirmation
    assert isinstance(question, QMessageBox) and question.isVisible()
    assert "Stop finding /music under /here/music" in question.text()
    button = next(b for b in question.buttons() if b.text() == label)
    before = box.settled
    button.click()
    if label == "Remove":
        qtbot.waitUntil(lambda: box.settled > before, timeout=20_000)


def test_remove_asks_then_removes_only_this_machines_mapping(qtbot, tmp_path, jobs, shared):
    library = shared(tmp_path / "lib.sqlite3")
    set_mapping(library, "/music", "/here/music")
    dialog = _dialog(qtbot, tmp_path, jobs, library)
    box = dialog.folder_mappings
    assert box is not None
    assert box.mappings() == [("/music", "/here/music")]
    assert not box.remove_button.isEnabled(), "nothing selected"
    box.list.setCurrentItem(box.list.topLevelItem(0))
    assert box.remove_button.isEnabled()

    _answer(qtbot, box, "Cancel")
    assert list_mappings(library, HERE) == [FolderMapping(HERE, "/music", "/here/music")], "kept when cancelled"
    _answer(qtbot, box, "Remove")
    assert list_mappings(library, HERE) == [] and box.mappings() == []
    assert library.paths.to_local("/music/a.mp3") == "/music/a.mp3"
    assert list_mappings(library, OTHER) == [FolderMapping(OTHER, "/music", "/media/nas/music")], "untouched"
    library.close()


def test_the_detail_panel_opens_the_file_where_a_new_mapping_puts_it(qtbot, tmp_path, shared):
    library = shared(tmp_path / "lib.sqlite3")
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == 30, timeout=20_000)
    window.table.select_track(2)
    qtbot.waitUntil(lambda: window.detail.current_track() is not None, timeout=20_000)
    stored = window.detail.current_track().path
    assert window.detail.player.source() == stored

    dialog = SettingsDialog(window.settings, window.jobs, window, library=window.library)
    box = dialog.folder_mappings
    assert box is not None
    box.changed.connect(window.paths_changed)  # as open_settings connects it
    qtbot.waitUntil(lambda: box.settled >= 1, timeout=20_000)
    _add(qtbot, dialog, "/music", str(tmp_path / "here"))
    assert window.detail.player.source() == str(tmp_path / "here") + stored.removeprefix("/music")
    dialog.close()
    window.close()
    window.shutdown()
    library.close()
