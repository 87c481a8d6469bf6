"""Settings → Library location (issue 14): test a location, choose one, the window reopens on it.

Offscreen, on real SQLite files and a real throwaway PostgreSQL cluster (tests/postgres_server.py).
"""

from __future__ import annotations

import pytest
from desktop_app.config import db_override, resolve_db_path
from desktop_app.gui.library_switch import LibraryHost
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.gui.workers import JobRunner
from desktop_app.library.database import open_library
from desktop_app.library.location import PostgresLocation
from tests.generated_library import insert_tracks


@pytest.fixture
def jobs():
    runner = JobRunner()
    yield runner
    runner.shutdown()


def _tested(qtbot, dialog: SettingsDialog, location: str) -> str:
    dialog.set_location(location)
    before = dialog.tests_run
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.tests_run > before, timeout=20_000)
    return dialog.test_result.text()


def test_test_connection_says_what_is_there_or_what_went_wrong(qtbot, tmp_path, jobs, postgres_server, postgres_url):
    dialog = SettingsDialog(AppSettings(tmp_path / "settings.ini"), jobs)
    qtbot.addWidget(dialog)
    new = tmp_path / "new" / "library.sqlite3"
    assert _tested(qtbot, dialog, str(new)) == f"No library at {new} yet: a new one will be made there."
    assert not new.exists(), "testing creates nothing"
    existing = tmp_path / "existing.sqlite3"
    with open_library(existing) as library:
        insert_tracks(library, 3)
    assert _tested(qtbot, dialog, str(existing)) == f"Found a Genrescope library at {existing} with 3 tracks."
    (tmp_path / "notes.txt").write_text("not a database " * 100)
    assert "file is not a database" in _tested(qtbot, dialog, str(tmp_path / "notes.txt"))

    assert "the database is empty, a new library will be made in it" in _tested(qtbot, dialog, postgres_url)
    with open_library(postgres_url) as library:
        insert_tracks(library, 2)
    assert _tested(qtbot, dialog, postgres_url).endswith("a Genrescope library with 2 tracks.")

    socket = f"host={postgres_server.socket_dir}&port=5432"
    failures = {
        "mysql://ann@db/music": "mysql:// libraries are not supported",
        "postgresql://ann:s3cret@db.example": "names no database",
        f"postgresql://nobody:s3cret@/music?{socket}": 'role "nobody" does not exist',  # the login refused
        f"postgresql://postgres:s3cret@/no_such_db?{socket}": 'database "no_such_db" does not exist',
        f"postgresql://postgres:s3cret@/music?host={tmp_path}/nowhere": "No such file or directory",  # no server
    }
    for location, reason in failures.items():
        said = _tested(qtbot, dialog, location)
        assert said.startswith("Failed: ") and reason in said, (location, said)
        assert "s3cret" not in said and "s3cret" not in dialog.location.text()


def test_a_missing_driver_is_named(qtbot, tmp_path, jobs, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    # psycopg is installed here: hide it the way an install without genrescope[postgres] lacks it.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a))
    dialog = SettingsDialog(AppSettings(tmp_path / "settings.ini"), jobs)
    qtbot.addWidget(dialog)
    said = _tested(qtbot, dialog, "postgresql://ann@db.example/music")
    assert "driver is not installed" in said and "genrescope[postgres]" in said


def test_the_field_hides_a_typed_password_and_keeps_it(qtbot, tmp_path, jobs):
    settings = AppSettings(tmp_path / "settings.ini")
    settings.library_location = "postgresql://ann:s3cret@db.example/music"
    dialog = SettingsDialog(settings, jobs)
    qtbot.addWidget(dialog)
    assert dialog.location.text() == "postgresql://ann:***@db.example/music"
    dialog.location.selectAll()
    qtbot.keyClicks(dialog.location, "postgresql://ann:***@db2.example/music")  # an edit of the URL shown
    assert dialog.chosen_location == "postgresql://ann:s3cret@db2.example/music"
    dialog.location.editingFinished.emit()
    assert "s3cret" not in dialog.location.text()


def test_choosing_a_library_reopens_the_window_on_it_and_the_next_start_too(qtbot, tmp_path, postgres_url):
    first = tmp_path / "first.sqlite3"
    with open_library(first) as library:
        insert_tracks(library, 5)
    with open_library(postgres_url) as library:
        insert_tracks(library, 7)
    settings = AppSettings()
    host = LibraryHost(open_library(first), settings)
    old = host.window
    old.show()
    qtbot.waitUntil(lambda: old.is_idle() and old.table_model.rowCount() == 5, timeout=20_000)
    old_jobs = old.jobs

    dialog = SettingsDialog(settings, old.jobs, old, current_location=str(old.library.location))
    assert dialog.location.text() == str(first)
    dialog.set_location(postgres_url)
    old.settings_accepted(dialog)
    qtbot.waitUntil(lambda: host.window is not old and host.window.is_idle(), timeout=30_000)
    new = host.window
    qtbot.waitUntil(lambda: new.table_model.rowCount() == 7, timeout=20_000)
    assert isinstance(new.library.location, PostgresLocation) and old_jobs.closed
    assert AppSettings().library_location == postgres_url
    host.close()

    assert resolve_db_path(None, AppSettings().library_location) == postgres_url, "what the next start opens"


def test_a_library_that_cannot_be_opened_leaves_the_window_and_the_setting(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warned.append(text))
    settings = AppSettings()
    host = LibraryHost(open_library(tmp_path / "a.sqlite3"), settings)
    window = host.window
    window.show()
    (tmp_path / "junk.sqlite3").write_text("not a database " * 100)
    host.switch(str(tmp_path / "junk.sqlite3"))
    qtbot.waitUntil(lambda: bool(warned), timeout=20_000)
    assert host.window is window and settings.library_location is None
    assert "Cannot open the library" in warned[0] and "junk.sqlite3" in warned[0]
    host.close()


def test_db_and_the_environment_win_over_the_setting(qtbot, tmp_path, monkeypatch, jobs):
    setting, env, given = str(tmp_path / "s.sqlite3"), str(tmp_path / "e.sqlite3"), str(tmp_path / "d.sqlite3")
    assert resolve_db_path(None, setting) == tmp_path / "s.sqlite3" and db_override(None) is None
    monkeypatch.setenv("GENRESCOPE_DB", env)
    assert resolve_db_path(None, setting) == tmp_path / "e.sqlite3" and db_override(None) == "GENRESCOPE_DB"
    assert resolve_db_path(given, setting) == tmp_path / "d.sqlite3" and db_override(given) == "--db"

    settings = AppSettings()
    library = open_library(env)
    host = LibraryHost(library, settings, "GENRESCOPE_DB")
    window = host.window
    dialog = SettingsDialog(settings, window.jobs, window, current_location=env, override=window.location_override)
    assert not dialog.override_note.isHidden() and "GENRESCOPE_DB" in dialog.override_note.text()
    chosen: list[str] = []
    window.libraryChosen.connect(chosen.append)
    dialog.set_location(setting)
    window.settings_accepted(dialog)
    assert chosen == [] and host.window is window, "this run keeps the library GENRESCOPE_DB gave"
    assert AppSettings().library_location == setting, "the next start without it opens the choice"
    host.close()
