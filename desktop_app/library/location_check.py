"""Trying a library location without opening it: Settings' "Test connection".

Opening a library creates and migrates it; a test must not. So this reaches the location as
`database.open_library` would (same URL parsing, driver check and engine) and only reads: whether
a Genrescope library is there and how many tracks it holds, or that a new one would be made. The
failures are the ones opening reports, in the same words, with the password never in them: a
malformed URL, no driver, an unreachable server, a refused login, a missing database.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from desktop_app.library.database import create_library_engine
from desktop_app.library.location import (
    LibraryLocationError,
    PostgresLocation,
    SqliteLocation,
    parse_location,
    require_driver,
)
from desktop_app.wording import plural

CONNECT_TIMEOUT_S = 10
"""How long a test waits for a PostgreSQL server that does not answer (libpq waits forever)."""


def check_location(value: str) -> str:
    """What is at ``value`` (a path or URL), in one sentence; `LibraryLocationError` says why not."""
    location = parse_location(value.strip())
    if isinstance(location, SqliteLocation):
        return _check_sqlite(location.path.expanduser())
    return _check_postgresql(location)


def _check_sqlite(path: Path) -> str:
    if path.is_dir():
        raise LibraryLocationError(f"{path} is a folder: choose or name a library file in it")
    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), None)
        if folder is None or not os.access(folder, os.W_OK):
            raise LibraryLocationError(f"cannot create {path}: the folder {folder or path.parent} is not writable")
        return f"No library at {path} yet: a new one will be made there."
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            tracks = conn.execute("SELECT count(*) FROM tracks").fetchone()[0] if "tracks" in tables else None
    except sqlite3.DatabaseError as exc:
        raise LibraryLocationError(f"cannot open the library {path}: {exc}") from None
    if tracks is None:
        if tables:
            raise LibraryLocationError(f"{path} is a database, but not a Genrescope library")
        return f"{path} is an empty database: a new library will be made in it."
    return f"Found a Genrescope library at {path} with {plural(tracks, 'track')}."


def _check_postgresql(location: PostgresLocation) -> str:
    require_driver(location)
    tried = location
    if not any(name == "connect_timeout" for name, _value in location.options):
        tried = replace(location, options=(*location.options, ("connect_timeout", str(CONNECT_TIMEOUT_S))))
    engine = create_library_engine(tried)
    shown = str(location)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("tracks"):
                return f"Connected to {shown}: the database is empty, a new library will be made in it."
            tracks = conn.execute(text("SELECT count(*) FROM tracks")).scalar_one()
    except OperationalError as exc:
        reason = str(exc.orig).strip() if exc.orig is not None else str(exc)
        raise LibraryLocationError(f"cannot open the library {location}: {reason}") from None
    finally:
        engine.dispose()
    return f"Connected to {shown}: a Genrescope library with {plural(tracks, 'track')}."
