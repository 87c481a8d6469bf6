"""Copying a whole library between databases (`genrescope db migrate`), on a real PostgreSQL server:
SQLite to PostgreSQL and back, every table's rows equal after, new rows get new ids, a target that
holds anything is refused, a failure midway leaves the target without any of the copied rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from desktop_app.library.database import Library, create_library_engine, open_library
from desktop_app.library.learned import save_training
from desktop_app.library.library_copy import LibraryCopyError, _verify, copy_library
from desktop_app.library.location import SqliteLocation, parse_location
from desktop_app.library.migrate import upgrade_to
from desktop_app.library.models import Base, Track
from desktop_app.library.path_mappings import set_mapping
from desktop_app.library.playlists import create_playlist
from desktop_app.library.smart_rules import Rule, SmartRules
from desktop_app.library.tags import FileInfo
from desktop_app.library.track_store import insert_tracks
from tests.generated_library import insert_analyses, insert_model, insert_tagger_embeddings
from tests.generated_library import insert_tracks as insert_generated_tracks

TRACKS = 40


def fill(library: Library) -> None:
    """Tracks with tag genres, a model's analyses, a tagger's analyses with embeddings, a learned
    model, manual and smart playlists, a path mapping."""
    insert_generated_tracks(library, TRACKS)
    model_id = insert_model(library)
    insert_analyses(library, model_id, range(1, TRACKS + 1))
    vectors = np.random.default_rng(0).normal(size=(TRACKS, 8)).astype(np.float32)
    tagger_id = insert_tagger_embeddings(library, vectors)
    with library.writer.begin() as conn:
        save_training(
            conn,
            genres=["mine", "yours"],
            source="tags",
            embedding_model_id=tagger_id,
            examples=[(1, "mine"), (2, "yours")],
            evaluation={"accuracy": 0.5},
            parameters={"weights": [[0.25, -1.5]]},
            label="My genres",
        )
        create_playlist(conn, "Manual", [3, 1, 3, 7])
        create_playlist(conn, "Smart", rules=SmartRules((Rule(field="year", minimum=1990),), limit=5))
    set_mapping(library, "/music", "/Volumes/music", machine="laptop")


def contents(library: Library) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, JSON columns as text."""
    found = {}
    with library.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [
                tuple(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in row) for row in rows
            ]
    return found


@pytest.fixture
def sqlite_library(tmp_path: Path):
    location = tmp_path / "source.sqlite3"
    library = open_library(location)
    fill(library)
    library.close()
    return SqliteLocation(location)


def new_track_id(library: Library, path: str) -> int:
    with library.writer.begin() as conn:
        insert_tracks(conn, [FileInfo(path=path, size=1, mtime=0.0)])
        return conn.execute(select(Track.id).where(Track.path == path)).scalar_one()


def test_sqlite_to_postgresql_and_back_keeps_every_row(sqlite_library, postgres_url, tmp_path):
    with open_library(sqlite_library) as source:
        expected = contents(source)
    assert all(expected[name] for name in ("tracks", "tag_genres", "embeddings", "learned_genres", "path_mappings"))

    seen = []
    report = copy_library(sqlite_library, parse_location(postgres_url), progress=seen.append, batch=7)
    assert report.tables == {name: len(rows) for name, rows in expected.items()}
    assert seen[-1].done == seen[-1].total == sum(report.tables.values()) and len(seen) > len(expected)
    with open_library(postgres_url) as target:
        assert contents(target) == expected
        assert new_track_id(target, "/music/new/one.flac") == TRACKS + 1  # the id sequence moved past the copied ids

    back = SqliteLocation(tmp_path / "back.sqlite3")
    with open_library(postgres_url) as target:
        expected_back = contents(target)
    copy_library(parse_location(postgres_url), back)
    with open_library(back) as copied:
        assert contents(copied) == expected_back
        assert new_track_id(copied, "/music/new/two.flac") == TRACKS + 2


def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(sqlite_library, postgres_url):
    with open_library(postgres_url) as target:
        set_mapping(target, "/a", "/b", machine="m")
        before = contents(target)
    with pytest.raises(LibraryCopyError, match=r"is not empty \(1 path_mappings\).*nothing was written"):
        copy_library(sqlite_library, parse_location(postgres_url))
    with open_library(postgres_url) as target:
        assert contents(target) == before


def test_a_failure_midway_leaves_the_target_without_any_copied_row(sqlite_library, postgres_url):
    # A value SQLite keeps but PostgreSQL refuses (a device name longer than its column), in the
    # analyses: copied after the tracks, tag genres and models.
    with open_library(sqlite_library) as source, source.writer.begin() as conn:
        conn.execute(text("UPDATE analyses SET device = :device WHERE id = 5"), {"device": "x" * 40})
    with pytest.raises(LibraryCopyError, match="copying the table analyses failed.*nothing was written"):
        copy_library(sqlite_library, parse_location(postgres_url))
    with open_library(postgres_url) as target, target.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name


def test_an_interrupted_copy_leaves_nothing_either(sqlite_library, tmp_path):
    target = SqliteLocation(tmp_path / "target.sqlite3")

    def interrupt(progress) -> None:
        if progress.table == "analyses":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_library(sqlite_library, target, progress=interrupt)
    with open_library(target) as copied:
        assert all(not rows for rows in contents(copied).values())


def test_an_older_source_is_refused_and_not_changed(tmp_path):
    old = tmp_path / "old.sqlite3"
    engine = create_library_engine(old)
    upgrade_to(engine, "0006")
    engine.dispose()
    before = old.read_bytes()
    with pytest.raises(LibraryCopyError, match="is at schema version 0006.*open it once with this version"):
        copy_library(SqliteLocation(old), SqliteLocation(tmp_path / "target.sqlite3"))
    assert old.read_bytes() == before
    assert not (tmp_path / "target.sqlite3").exists()


def test_sources_that_are_not_libraries_are_refused(tmp_path):
    with pytest.raises(LibraryCopyError, match="there is no library file"):
        copy_library(SqliteLocation(tmp_path / "missing.sqlite3"), SqliteLocation(tmp_path / "t.sqlite3"))
    assert not (tmp_path / "missing.sqlite3").exists()
    same = SqliteLocation(tmp_path / "same.sqlite3")
    with pytest.raises(LibraryCopyError, match="the same library"):
        copy_library(same, same)


def test_the_command_copies_and_reports_counts(sqlite_library, postgres_url, cli_env):
    argv = [sys.executable, "-m", "desktop_app", "db", "migrate", "--from", str(sqlite_library), "--to", postgres_url]
    done = subprocess.run([*argv, "--json"], env=cli_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] is True and report["tables"]["tracks"] == TRACKS
    assert report["rows"] == sum(report["tables"].values())
    again = subprocess.run(argv, env=cli_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "is not empty" in again.stderr and again.stdout == ""


def test_verification_names_the_table_and_a_row_that_differs(sqlite_library, tmp_path):
    other = tmp_path / "other.sqlite3"
    copy_library(sqlite_library, SqliteLocation(other))
    tables = list(Base.metadata.sorted_tables)
    with open_library(sqlite_library) as source, open_library(other) as copied:
        with source.engine.connect() as read:
            counts = {t.name: read.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
            with copied.writer.begin() as write:
                write.execute(text("UPDATE tracks SET path = '/music/renamed.mp3' WHERE id = 3"))
                with pytest.raises(LibraryCopyError, match=r"tracks: 1 rows differ, e\.g\. \(3, '/music/"):
                    _verify(read, write, tables, counts)
                write.execute(text("DELETE FROM playlist_entries WHERE position = 0"))
                with pytest.raises(LibraryCopyError, match="playlist_entries: 4 rows in the source, 3 in the target"):
                    _verify(read, write, tables, counts)
