"""Opening a library database, SQLite or PostgreSQL, migrated to the latest schema.

SQLite (the default): WAL mode, foreign keys on. WAL lets the GUI read while a scan writes; the
busy timeout turns brief lock contention into a wait instead of a "database is locked" error
reaching the user.

PostgreSQL (a ``postgresql://`` location, `location`): readers never wait for writers there either
(MVCC). The library's writers were written for SQLite, where one write transaction runs at a time
(``BEGIN IMMEDIATE``); some read what they then write (a playlist's next position, a free name).
So a writer transaction on PostgreSQL takes one transaction-scoped advisory lock when it begins,
the same "writers queue" rule, and releases it at commit or rollback. Readers take nothing.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.library.location import (
    LibraryLocation,
    LibraryLocationError,
    PostgresLocation,
    SqliteLocation,
    parse_location,
    require_driver,
)
from desktop_app.library.migrate import upgrade_to_head
from desktop_app.library.path_mappings import PathResolver, load_resolver, machine_name

BUSY_TIMEOUT_MS = 30_000
_WAL_RETRY_SECONDS = 0.02
_WRITER_OPTION = "genrescope_writer"
WRITER_LOCK_KEY = 0x47656E72  # "Genr": the advisory lock PostgreSQL writers queue on


def _configure_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _enter_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _enter_wal(cursor: sqlite3.Cursor) -> None:
    """Switch to WAL, waiting as long as the busy timeout while other processes hold the file.

    SQLite answers "database is locked" to ``PRAGMA journal_mode`` at once, without its busy
    handler, while another connection is switching the same new file or migrating it: several
    scans started together on a new library failed so. Retrying until the busy timeout gives the
    pragma the same patience every other statement has.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_SECONDS)


def _begin(conn: Connection) -> None:
    # Writers take the write lock when their transaction starts, so two writers queue on the busy
    # timeout instead of one failing when it tries to upgrade a read lock. Readers stay deferred:
    # in WAL mode they never wait for a writer.
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITER_OPTION) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _begin_postgresql(conn: Connection) -> None:
    # The transaction starts with these statements (psycopg is not in autocommit mode); the lock is
    # released when it ends. As SQLite's busy timeout, a writer waits at most BUSY_TIMEOUT_MS for
    # it (and for any row lock in the transaction), then fails instead of hanging.
    if conn.get_execution_options().get(_WRITER_OPTION):
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def create_library_engine(location: LibraryLocation | Path) -> Engine:
    """An engine for the library at ``location`` (a bare path is a SQLite file)."""
    if isinstance(location, Path):
        location = SqliteLocation(location)
    if isinstance(location, PostgresLocation):
        return _postgresql_engine(location)
    return _sqlite_engine(location.path)


def _configure_postgresql(dbapi_connection: Any, _record: object) -> None:
    """Each new connection: times in UTC, text without NUL characters.

    The library stores UTC times in columns without a time zone (as on SQLite); PostgreSQL would
    turn the app's UTC times into the server's or the machine's local time on the way in, so two
    machines in different zones would disagree. So the session's zone is UTC.

    PostgreSQL's text cannot hold a NUL character, which SQLite keeps and a damaged or hostile
    file's tags can contain: one such title would fail its whole scan batch. Every string sent is
    written with U+FFFD (the replacement character) in its place.
    """
    from psycopg.adapt import Dumper, PyFormat

    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()

    def without_nul(base: type[Dumper]) -> type[Dumper]:
        # psycopg's own string dumpers are C types that cannot be subclassed: this one wraps one.
        class NulFreeDumper(Dumper):
            format = base.format

            def __init__(self, cls: type, context: Any = None) -> None:
                super().__init__(cls, context)
                self._inner = base(cls, context)
                self.oid = self._inner.oid

            def dump(self, obj: str) -> Any:
                return self._inner.dump(obj.replace("\x00", "\ufffd"))

        return NulFreeDumper

    # Text last: the dumper registered last is also the one for "either format", and psycopg's is
    # the text one of unknown type, which the server casts to the column's (json, varchar, …).
    for fmt in (PyFormat.BINARY, PyFormat.TEXT):
        dbapi_connection.adapters.register_dumper(str, without_nul(dbapi_connection.adapters.get_dumper(str, fmt)))


def _postgresql_engine(location: PostgresLocation) -> Engine:
    require_driver(location)
    engine = create_engine(location.sqlalchemy_url(), pool_pre_ping=True)
    event.listen(engine, "connect", _configure_postgresql)
    event.listen(engine, "begin", _begin_postgresql)
    return engine


def _sqlite_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_connection)

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # SQLAlchemy issues BEGIN itself (below); pysqlite's implicit transactions would fight it.
        dbapi_connection.isolation_level = None

    event.listen(engine, "begin", _begin)
    return engine


class Library:
    """An open library database: the engine plus a session factory.

    ``location`` says where it is; ``path`` is the SQLite file, None for a PostgreSQL library.
    """

    def __init__(self, location: LibraryLocation | Path) -> None:
        if isinstance(location, Path):
            location = SqliteLocation(location)
        self.location: LibraryLocation = location
        self.path: Path | None = location.path if isinstance(location, SqliteLocation) else None
        self.engine = create_library_engine(location)
        self.writer = self.engine.execution_options(**{_WRITER_OPTION: True})
        """The engine for write transactions: they take the write lock when they begin."""
        # As a writer: two programs opening a new library at once would otherwise both read the
        # schema version, and the second to write would fail with "database is locked" (SQLite)
        # or on a table the first one created (PostgreSQL).
        try:
            if isinstance(location, PostgresLocation):
                self._check_server(location)
            upgrade_to_head(self.writer)
        except BaseException:
            self.engine.dispose()
            raise
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.writer, expire_on_commit=False)
        self._paths: PathResolver | None = None

    @property
    def paths(self) -> PathResolver:
        """This machine's path mappings (`path_mappings`): where it finds the stored paths' files.

        Read once and kept; `path_mappings.set_mapping` and ``remove_mapping`` on this library
        renew it, a change made by another program is seen when the library is opened again.
        """
        paths = self._paths
        if paths is None or paths.machine != machine_name():
            with self.engine.connect() as conn:
                paths = self._paths = load_resolver(conn)
        return paths

    def forget_paths(self) -> None:
        """Read the path mappings again when next asked (after they changed)."""
        self._paths = None

    def _check_server(self, location: PostgresLocation) -> None:
        """Connect once, so an unreachable server or a refused login is reported as such."""
        try:
            with self.engine.connect():
                pass
        except OperationalError as exc:
            reason = str(exc.orig).strip() if exc.orig is not None else str(exc)
            raise LibraryLocationError(f"cannot open the library {location}: {reason}") from None

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        Pass ``write=True`` for a transaction that will write, so it takes the lock up front.
        """
        factory = self._writers if write else self._readers
        with factory.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_library(location: LibraryLocation | Path | str) -> Library:
    """The library at a SQLite path or a PostgreSQL URL (`location.parse_location`)."""
    return Library(parse_location(location))
