"""The database: pragmas, migrations from older schemas, ORM and migrations in agreement."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from desktop_app.library.database import create_library_engine, open_library
from desktop_app.library.migrate import current_revision, head_revision, upgrade_to
from desktop_app.library.models import Base
from desktop_app.library.queries import iter_tracks
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio


@pytest.mark.sqlite_only
def test_new_database_is_wal_with_foreign_keys_and_busy_timeout(library):
    with library.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    assert current_revision(library.engine) == head_revision(library.engine)


def test_orm_models_match_the_migrations(library):
    with library.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_older_database_opens_without_loss(tmp_path: Path):
    db = tmp_path / "old.sqlite3"
    engine = create_library_engine(db)
    upgrade_to(engine, "0001")
    engine.dispose()
    # Fill the version-0001 database the way that version's scanner did.
    music = tmp_path / "music"
    write_audio(music / "a.flac", title="Old", genre="Rock; Pop")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO tracks (path, size, mtime, format, title, genre, added_at, scanned_at, available) "
            "VALUES (?, ?, ?, 'flac', 'Old', 'Rock; Pop', '2025-01-01 00:00:00', '2025-01-01 00:00:00', 1)",
            (str(music / "a.flac"), (music / "a.flac").stat().st_size, (music / "a.flac").stat().st_mtime),
        )
        conn.execute("INSERT INTO tag_genres VALUES (1, 0, 'Rock'), (1, 1, 'Pop')")

    library = open_library(db)
    assert current_revision(library.engine) == head_revision(library.engine) != "0001"
    [track] = list(iter_tracks(library))
    assert (track["title"], track["tag_genre"]) == ("Old", "Rock; Pop")
    with library.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM analyses")).scalar() == 0
        assert conn.execute(text("SELECT name FROM tag_genres ORDER BY position")).scalars().all() == ["Rock", "Pop"]
    assert Scanner(library).scan([music]).unchanged == 1, "the migrated row is the same file"
    library.close()


def test_a_reader_is_not_blocked_by_an_open_write_transaction(library, tmp_path):
    write_audio(tmp_path / "m" / "a.wav")
    Scanner(library).scan([tmp_path / "m"])
    writing, release = threading.Event(), threading.Event()

    def writer() -> None:
        with library.session(write=True) as s:
            s.execute(text("UPDATE tracks SET title = 'changing'"))
            writing.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    with library.session() as s:  # would wait out the busy timeout if readers took locks
        assert s.execute(text("SELECT title FROM tracks")).scalar() is None
    release.set()
    thread.join()
    with library.session() as s:
        assert s.execute(text("SELECT title FROM tracks")).scalar() == "changing"


def test_library_times_are_naive_utc() -> None:
    """Every DateTime column holds naive UTC (a mechanical edit once left the time zone attached)."""
    from datetime import datetime, timezone

    from desktop_app.library.track_store import utc_now

    now = utc_now()
    assert now.tzinfo is None
    assert abs((datetime.now(timezone.utc).replace(tzinfo=None) - now).total_seconds()) < 5


_OPEN_AT_ONCE = """
import sqlite3, sys, time
from pathlib import Path
from desktop_app.library.database import BUSY_TIMEOUT_MS, _configure_connection
folder, start = Path(sys.argv[1]), float(sys.argv[2])
for round_ in range(30):  # each round, every process at once on a new file
    while time.time() < start + 0.25 * round_:
        time.sleep(0.0005)
    for _ in range(20):  # a connection opened, written through and closed, as fast as it goes
        conn = sqlite3.connect(folder / f"new{round_}.sqlite3", timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
        _configure_connection(conn, None)  # what the library's engine runs on every connection
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS opened (n INTEGER)")
        conn.execute("INSERT INTO opened VALUES (1)")
        conn.execute("COMMIT")
        conn.close()
"""


def test_processes_opening_a_new_library_at_once_all_get_in(tmp_path: Path):
    """SQLite refuses the WAL switch at once ("database is locked") while another process makes
    the same switch on a new file; every opener must wait its turn instead of failing."""
    import subprocess
    import sys
    import time

    start = time.time() + 4
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AT_ONCE, str(tmp_path), str(start)],
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [proc.communicate(timeout=300)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 6, "\n".join(errors)[-3000:]
    for n in range(30):
        with sqlite3.connect(tmp_path / f"new{n}.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM opened").fetchone()[0] == 6 * 20
