"""The command line opens the library chosen in the window's Settings (written by QSettings, read
without Qt by `desktop_app.config.window_settings`); ``--db`` and ``GENRESCOPE_DB`` win over it, and
a missing or garbled settings file means the default library, without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_app.config import saved_library_location
from desktop_app.gui.settings import AppSettings
from desktop_app.library.database import open_library
from PySide6.QtCore import QByteArray

from tests.generated_library import insert_tracks

GENRESCOPE = [sys.executable, "-m", "desktop_app"]

AWKWARD = [
    "/home/ann/Music/library.sqlite3",
    "postgresql://ann:p;w,=\"x\\y@db.example/Müsic?host=/run/pg&port=5432",  # quoted, escapes, UTF-8
    "@home/library.sqlite3",  # QSettings writes a leading @ as @@
    " /spaces at both ends/lib.sqlite3 ",  # quoted for its spaces
    "/tab\there/new\nline/\x01/é€🎵/library.sqlite3",  # \t, \n, \x1 escapes
    "/a,b/c=d;e/#f%g/library.sqlite3",
]


@pytest.mark.parametrize("location", AWKWARD)
def test_reads_exactly_what_qsettings_wrote(tmp_path, location):
    path = tmp_path / "settings.ini"
    settings = AppSettings(path)
    settings.library_folders = ["/x, y", "/z"]  # a list beside it, its commas in quotes and between items
    settings.set_layout("mainSplitter", QByteArray(b"\x00\x01=;,\xff"))
    settings.library_location = location
    settings.sync()
    assert saved_library_location(path) == location
    settings.library_location = None
    settings.sync()
    assert saved_library_location(path) is None


def test_not_a_text_or_not_a_settings_file_reads_as_unset(tmp_path):
    path = tmp_path / "settings.ini"
    assert saved_library_location(path) is None, "no file"
    for garbled in (
        b"\x00\xff\xfe not text",
        b"no section header\nlocation=/x.sqlite3\n",
        b"[library]\nlocation=\"/unterminated\n",
        b"[library]\nlocation=/a.sqlite3, /b.sqlite3\n",  # a list
        b"[library]\nlocation=@ByteArray(/x)\n",  # another type
        b"[library]\nlocation=\n",
    ):
        path.write_bytes(garbled)
        assert saved_library_location(path) is None, garbled


def _tracks(cli_env: dict[str, str], *args: str, **env: str) -> list[dict]:
    done = subprocess.run(
        [*GENRESCOPE, "tracks", "--json", *args], env={**cli_env, **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _library(location: str | Path, count: int) -> None:
    with open_library(location) as library:
        insert_tracks(library, count)


def test_the_command_line_opens_the_window_library_unless_told_otherwise(tmp_path, cli_env, postgres_url):
    data = Path(cli_env["GENRESCOPE_DATA_DIR"])
    _library(postgres_url, 2)
    _library(data / "library.sqlite3", 1)  # the default library
    given, from_env = tmp_path / "given.sqlite3", tmp_path / "env.sqlite3"
    _library(given, 3)
    _library(from_env, 4)
    assert len(_tracks(cli_env)) == 1, "no setting: the default library"

    settings = AppSettings(data / "settings.ini")
    settings.library_location = postgres_url  # what Settings → Library location stores once it opened
    settings.sync()
    assert len(_tracks(cli_env)) == 2, "the window's PostgreSQL library"
    assert len(_tracks(cli_env, "--db", str(given))) == 3, "--db wins"
    assert len(_tracks(cli_env, GENRESCOPE_DB=str(from_env))) == 4, "GENRESCOPE_DB wins"
    assert len(_tracks(cli_env, "--db", str(given), GENRESCOPE_DB=str(from_env))) == 3, "--db wins over both"


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00garbage [[[ =", b"[library]\nlocation=\"/unterminated\n"])
def test_a_missing_or_garbled_settings_file_means_the_default_library(tmp_path, cli_env, content):
    data = Path(cli_env["GENRESCOPE_DATA_DIR"])
    _library(data / "library.sqlite3", 1)
    if content is not None:
        (data / "settings.ini").write_bytes(content)
    assert len(_tracks(cli_env)) == 1
