"""A library on PostgreSQL: locations as people write them, migrations there, writers queueing,
and the CLI given a URL (a real server: tests/postgres_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop_app.config import resolve_db_path
from desktop_app.errors import LibraryError
from desktop_app.library import location as location_module
from desktop_app.library.database import create_library_engine, open_library
from desktop_app.library.location import (
    LibraryLocationError,
    PostgresLocation,
    SqliteLocation,
    parse_location,
)
from desktop_app.library.migrate import current_revision, head_revision, upgrade_to
from desktop_app.library.models import Base
from desktop_app.library.queries import iter_tracks
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

# --- Locations ----------------------------------------------------------------------------------


def test_a_path_is_a_sqlite_library(tmp_path):
    assert parse_location(str(tmp_path / "lib.sqlite3")) == SqliteLocation(tmp_path / "lib.sqlite3")
    assert parse_location(tmp_path / "x") == SqliteLocation(tmp_path / "x")
    assert parse_location("relative/lib.sqlite3") == SqliteLocation(Path("relative/lib.sqlite3"))
    assert parse_location(r"C:\Music\library.sqlite3").backend == "sqlite"


def test_a_tcp_url_with_user_host_and_database():
    found = parse_location("postgresql://alice@nas.local/music")
    assert found == PostgresLocation(database="music", user="alice", host="nas.local")
    url = found.sqlalchemy_url()
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "alice",
        "nas.local",
        None,
        "music",
    )
    assert str(found) == "postgresql://alice@nas.local/music"


def test_postgres_scheme_port_password_and_options_the_password_never_shown():
    found = parse_location("postgres://bob:s%40cret@db.example:5433/lib?sslmode=require")
    assert found == PostgresLocation(
        database="lib", user="bob", password="s@cret", host="db.example", port=5433, options=(("sslmode", "require"),)
    )
    url = found.sqlalchemy_url()
    assert (url.password, url.port, dict(url.query)) == ("s@cret", 5433, {"sslmode": "require"})
    assert "s@cret" not in str(found) and "s@cret" not in repr(found)
    assert str(found) == "postgresql://bob:***@db.example:5433/lib?sslmode=require"


def test_a_unix_socket_url():
    found = parse_location("postgresql://carol@/music?host=/run/postgresql&port=5432")
    assert found == PostgresLocation(database="music", user="carol", host="/run/postgresql", port=5432)
    url = found.sqlalchemy_url()
    assert (url.host, url.port, dict(url.query)) == (None, 5432, {"host": "/run/postgresql"})
    assert str(found) == "postgresql://carol@/music?host=/run/postgresql&port=5432"
    # libpq's default socket when no host is given at all.
    assert parse_location("postgresql:///music") == PostgresLocation(database="music")
    # SQLAlchemy's own spelling with the driver is accepted too.
    assert parse_location("postgresql+psycopg://carol@/music?host=/run/postgresql").host == "/run/postgresql"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("mysql://root@localhost/music", "mysql:// libraries are not supported"),
        ("sqlite:///tmp/x.sqlite3", "sqlite:// libraries are not supported"),
        ("postgresql://alice@nas.local", "names no database"),
        ("postgresql://alice@nas.local/", "names no database"),
        ("postgresql://alice@nas.local:notaport/music", "malformed PostgreSQL URL"),
        ("postgresql://alice@/music?host=/run/postgresql&port=x", "port 'x'"),
        ("postgresql://alice@nas.local/music?user=bob", "write the user in the PostgreSQL URL itself"),
        ("postgresql://alice:hunter2@nas.local:99999/music", "malformed PostgreSQL URL"),
    ],
)
def test_bad_urls_say_what_is_wrong(text, says):
    with pytest.raises(LibraryLocationError, match=says) as raised:
        parse_location(text)
    assert isinstance(raised.value, LibraryError)
    assert "hunter2" not in str(raised.value)


def test_no_driver_says_which_extra_to_install(monkeypatch, tmp_path):
    real_find_spec = location_module.importlib.util.find_spec
    monkeypatch.setattr(
        location_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "psycopg" else real_find_spec(name, *a),
    )
    with pytest.raises(LibraryLocationError, match=r"install genrescope\[postgres\]"):
        open_library("postgresql://alice@nas.local/music")
    open_library(tmp_path / "still-fine.sqlite3").close()  # SQLite needs no driver


def test_db_option_and_environment_take_a_url(monkeypatch, tmp_path, capsys):
    from desktop_app.cli.common import check_db_option

    url = "postgresql://alice@/music?host=/run/postgresql"
    assert resolve_db_path(url) == url, "a URL is passed on as written, not made a path"
    monkeypatch.setenv("GENRESCOPE_DB", url)
    assert resolve_db_path() == url
    assert check_db_option(None)
    assert resolve_db_path(str(tmp_path / "a.sqlite3")) == tmp_path / "a.sqlite3", "an explicit path still wins"
    monkeypatch.setenv("GENRESCOPE_DB", "oracle://x/y")
    assert not check_db_option(None)
    assert "oracle:// libraries are not supported" in capsys.readouterr().err


# --- A real server ------------------------------------------------------------------------------


def test_migrations_run_from_an_empty_postgresql_database_to_head(postgres_url):
    engine = create_library_engine(parse_location(postgres_url))  # type: ignore[arg-type]
    try:
        assert current_revision(engine) is None
        upgrade_to(engine, "head")
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
            column = "FROM information_schema.columns WHERE table_name = 'tracks' AND column_name = :name"
            collation = conn.execute(text(f"SELECT collation_name {column}"), {"name": "path"}).scalar()
            size_type = conn.execute(text(f"SELECT data_type {column}"), {"name": "size"}).scalar()
    finally:
        engine.dispose()
    assert tables == {"alembic_version", *Base.metadata.tables}  # every table the ORM knows, and no other
    assert (collation, size_type) == ("C", "bigint")


def _previous_revision(engine) -> str:
    from alembic.script import ScriptDirectory

    from desktop_app.library.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_revision(head_revision(engine))
    assert isinstance(head.down_revision, str)
    return head.down_revision


def _fill(engine, music: Path) -> None:
    """A track with tag genres, a model and an analysis, as any revision since 0005 stores them."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tracks (path, size, mtime, format, title, genre, added_at, scanned_at, available) "
                "VALUES (:path, :size, :mtime, 'flac', 'Old', 'Rock; Pop', '2025-01-01', '2025-01-01', true)"
            ),
            {
                "path": str(music / "a.flac"),
                "size": (music / "a.flac").stat().st_size,
                "mtime": (music / "a.flac").stat().st_mtime,
            },
        )
        conn.execute(text("INSERT INTO tag_genres VALUES (1, 0, 'Rock'), (1, 1, 'Pop')"))
        conn.execute(
            text(
                "INSERT INTO models (sha256, name, label, origin, classes, first_used_at) "
                "VALUES (:sha, 'ccmusic', 'old', 'test', '[\"rock\"]', '2025-01-01')"
            ),
            {"sha": "ab" * 32},
        )
        conn.execute(
            text(
                "INSERT INTO analyses (track_id, model_id, top1, confidence, probabilities, analysed_at) "
                "VALUES (1, 1, 'rock', 0.9, '[0.9]', '2025-01-01')"
            )
        )


def test_a_postgresql_library_of_the_previous_revision_opens_without_loss(postgres_url, tmp_path):
    music = tmp_path / "music"
    write_audio(music / "a.flac", title="Old", genre="Rock; Pop")
    engine = create_library_engine(parse_location(postgres_url))  # type: ignore[arg-type]
    previous = _previous_revision(engine)
    assert previous >= "0005"
    upgrade_to(engine, previous)
    _fill(engine, music)
    engine.dispose()

    with open_library(postgres_url) as library:
        assert current_revision(library.engine) == head_revision(library.engine) != previous
        [track] = list(iter_tracks(library))
        assert (track["title"], track["tag_genre"]) == ("Old", "Rock; Pop")
        with library.engine.connect() as conn:
            assert conn.execute(text("SELECT top1 FROM analyses")).scalar() == "rock"
            assert conn.execute(text("SELECT precision FROM analyses")).scalar() is None, "0012: not recorded"
            assert conn.execute(text("SELECT count(*) FROM learned_genres")).scalar() == 0
        assert Scanner(library).scan([music]).unchanged == 1, "the migrated row is the same file"
        # New rows get new ids after the migrated ones.
        write_audio(music / "b.flac", title="New")
        assert Scanner(library).scan([music]).added == 1


def test_a_long_genre_name_of_the_persons_own_is_stored(postgres_url):
    """PostgreSQL enforces VARCHAR lengths (SQLite never did): "My genres" are the person's names."""
    from desktop_app.library.analyses import AnalysisRecord, analysis_of, register_model, save_analyses

    name = "Late-night Scandinavian post-rock for long train journeys through the snow"
    assert len(name) > 64
    with open_library(postgres_url) as library:
        with library.writer.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tracks (path, added_at, scanned_at, available) "
                    "VALUES ('/m/a.flac', now(), now(), true)"
                )
            )
            model = register_model(conn, "cd" * 32, "mine", "learned", [name, "other"], name="my-genres")
            save_analyses(conn, model, [(1, AnalysisRecord(top1=name, majority=name, confidence=0.8))])
        with library.engine.connect() as conn:
            stored = analysis_of(conn, 1, model)
    assert stored is not None and (stored.top1, stored.majority) == (name, name)


def test_a_nul_in_a_tag_does_not_fail_the_scan(library, library_backend, tmp_path):
    """SQLite keeps the NUL; PostgreSQL's text cannot hold one, so it is stored as U+FFFD there."""
    import mutagen.flac

    music = tmp_path / "music"
    write_audio(music / "a.flac", title="x")
    write_audio(music / "b.flac", title="Fine")
    tagged = mutagen.flac.FLAC(music / "a.flac")
    tagged["title"], tagged["genre"] = "Bad\x00title", "Ro\x00ck"
    tagged.save()
    result = Scanner(library).scan([music])
    assert (result.added, result.errors) == (2, 0)
    kept = "\x00" if library_backend == "sqlite" else "\ufffd"
    titles = {Path(t["path"]).name: (t["title"], t["tag_genre"]) for t in iter_tracks(library)}
    assert titles == {"a.flac": (f"Bad{kept}title", f"Ro{kept}ck"), "b.flac": ("Fine", None)}


def test_times_are_stored_in_utc_whatever_the_servers_zone(library, tmp_path):
    """The test server's zone is New York: a scan's times still read back as UTC, as on SQLite."""
    from datetime import datetime, timedelta, timezone

    write_audio(tmp_path / "music" / "a.flac")
    Scanner(library).scan([tmp_path / "music"])
    with library.engine.connect() as conn:
        added = conn.execute(text("SELECT added_at FROM tracks")).scalar_one()
    added = datetime.fromisoformat(added) if isinstance(added, str) else added
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert abs(added - now) < timedelta(minutes=5)


def test_a_server_that_cannot_be_reached_is_reported_as_such(tmp_path, postgres_server, cli_env):
    nowhere = f"postgresql://postgres@/music?host={tmp_path}"
    with pytest.raises(LibraryLocationError, match=r"cannot open the library postgresql://postgres@/music.*"):
        open_library(nowhere)
    no_database = postgres_server.url("no_such_database")
    with pytest.raises(LibraryLocationError, match="no_such_database"):
        open_library(no_database)
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "tracks", "--db", no_database],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot open the library" in done.stderr and "no_such_database" in done.stderr


def test_the_library_knows_where_it_is(postgres_url, tmp_path):
    with open_library(postgres_url) as library:
        assert isinstance(library.location, PostgresLocation)
        assert library.path is None
        assert library.engine.dialect.name == "postgresql"
    with open_library(tmp_path / "lib.sqlite3") as library:
        assert library.location == SqliteLocation(tmp_path / "lib.sqlite3")
        assert library.path == tmp_path / "lib.sqlite3"


def test_postgresql_writers_queue_as_sqlite_writers_do(postgres_url):
    """A write transaction waits for the one before it to end (as BEGIN IMMEDIATE makes SQLite's),
    while readers go on reading."""
    with open_library(postgres_url) as library:
        first_in, release, second_in = threading.Event(), threading.Event(), threading.Event()
        order: list[str] = []

        def first() -> None:
            with library.writer.begin():
                order.append("first")
                first_in.set()
                release.wait(10)
                order.append("first ends")

        def second() -> None:
            assert first_in.wait(10)
            with library.writer.begin():
                order.append("second")
                second_in.set()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        assert first_in.wait(10)
        assert not second_in.wait(0.5), "the second writer waits"
        with library.engine.connect() as conn:  # a reader does not
            assert conn.execute(text("SELECT count(*) FROM tracks")).scalar() == 0
        release.set()
        for thread in threads:
            thread.join(10)
        assert order == ["first", "first ends", "second"]


def test_a_postgresql_writer_gives_up_after_the_busy_timeout(postgres_url, monkeypatch):
    """As on SQLite ("database is locked" after the busy timeout), a writer does not wait forever."""
    from sqlalchemy.exc import OperationalError

    from desktop_app.library import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    with open_library(postgres_url) as library:
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with library.writer.begin():
                holding.set()
                release.wait(10)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            assert holding.wait(10)
            started = time.monotonic()
            with pytest.raises(OperationalError, match="lock timeout"):
                with library.writer.begin():
                    pass
            assert time.monotonic() - started < 5
        finally:
            release.set()
            thread.join(10)
        with library.writer.begin() as conn:  # free again
            assert conn.execute(text("SELECT count(*) FROM tracks")).scalar() == 0


def test_the_cli_scans_into_and_lists_a_postgresql_library(postgres_url, tmp_path, cli_env):
    music = tmp_path / "music"
    write_audio(music / "ok.flac", title="Ça va", artist="Zoë", genre="Pop")
    command = [sys.executable, "-m", "desktop_app"]
    scanned = subprocess.run(
        [*command, "scan", str(music), "--db", postgres_url, "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert scanned.returncode == 0, scanned.stderr
    assert json.loads(scanned.stdout)["added"] == 1
    listed = subprocess.run(
        [*command, "tracks", "--json"],
        env={**cli_env, "GENRESCOPE_DB": postgres_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    [line] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (line["title"], line["artist"], line["tag_genre"]) == ("Ça va", "Zoë", "Pop")


def test_the_cli_reports_a_bad_url_without_a_traceback(cli_env):
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "tracks", "--db", "postgresql://alice@nas.local"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "names no database" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60


def test_the_window_is_not_started_on_a_bad_url(capsys):
    from desktop_app.cli import main

    assert main(["--db", "mysql://root@localhost/music"]) == 2
    assert "mysql:// libraries are not supported" in capsys.readouterr().err


def test_without_server_binaries_the_reason_is_given(monkeypatch):
    """The `postgres_server` fixture turns this into a failure (pytest.fail), never a skip."""
    from tests import postgres_server

    monkeypatch.setattr(postgres_server.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(postgres_server.shutil, "which", lambda name: None)
    with pytest.raises(postgres_server.PostgresUnavailable, match="install the Debian package 'postgresql'"):
        postgres_server.server_binaries()
