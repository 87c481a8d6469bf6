"""Copying a whole library into another database: SQLite to a shared PostgreSQL server, or back.

Every table of the schema is copied (`Base.metadata`, parents before children, so tables added
later are copied too), ids kept, in batches. The source is only read: a SQLite file is opened
read-only, and one read transaction gives a consistent snapshot even while a window scans into it.
A source at an older schema is refused (upgrading it is opening it once with this version), so a
person's file is never changed behind their back. The target is brought to the current schema by
the usual migrations, must hold nothing yet, and receives everything in one transaction: copied
and verified (row counts, and the identifying columns of every row) before it commits, so a failure
or a failed verification leaves it empty. On PostgreSQL each id sequence is moved past the copied
ids, so the next scan's inserts do not collide with them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from desktop_app.errors import LibraryError
from desktop_app.library.database import Library, create_library_engine
from desktop_app.library.location import LibraryLocation, PostgresLocation, SqliteLocation, require_driver
from desktop_app.library.migrate import current_revision, head_revision
from desktop_app.library.models import Base

BATCH = 1000
"""Rows per insert statement (executemany)."""

SAMPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "tracks": ("path", "available"),
    "models": ("sha256", "name"),
    "analyses": ("track_id", "model_id", "top1", "error"),
    "playlists": ("name", "kind"),
    "playlist_entries": ("track_id",),
    "tag_genres": ("name",),
    "embeddings": ("dims", "vector"),
}
"""Besides its primary key, what identifies a row of these tables: compared row by row after copying."""


class LibraryCopyError(LibraryError):
    """A copy that could not be made (a bad source or target) or did not verify; nothing was kept."""


@dataclass(frozen=True, slots=True)
class CopyProgress:
    table: str
    done: int
    """Rows copied so far, all tables together."""
    total: int


@dataclass(slots=True)
class CopyReport:
    """Rows copied per table, in copying order; ``seconds`` the whole copy and its verification."""

    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {"tables": self.tables, "rows": sum(self.tables.values()), "seconds": round(self.seconds, 3)}


def copy_library(
    source: LibraryLocation,
    target: LibraryLocation,
    *,
    progress: Callable[[CopyProgress], object] | None = None,
    batch: int = BATCH,
) -> CopyReport:
    """Copy every row of ``source`` into the empty library ``target`` and verify it (see the module)."""
    if str(source) == str(target):
        raise LibraryCopyError(f"the source and the target are the same library ({source})")
    started = time.perf_counter()
    report = CopyReport()
    tables = list(Base.metadata.sorted_tables)
    reader = _read_only_engine(source)
    try:
        _copy(reader, source, target, tables, report, progress, batch)
    except SQLAlchemyError as exc:
        raise LibraryCopyError(f"the copy failed: {_reason(exc)}; nothing was written to the target") from None
    finally:
        reader.dispose()
    report.seconds = time.perf_counter() - started
    return report


def _copy(
    reader: Engine,
    source: LibraryLocation,
    target: LibraryLocation,
    tables: list[Table],
    report: CopyReport,
    progress: Callable[[CopyProgress], object] | None,
    batch: int,
) -> None:
    # One read transaction over the whole copy: every table as it was at one moment.
    with reader.connect() as read, read.begin():
        _check_source(read, source)
        counts = {table.name: read.execute(select(func.count()).select_from(table)).scalar_one() for table in tables}
        _refuse_non_empty(target)
        library = Library(target)  # the current schema, by the usual migrations
        try:
            with library.writer.begin() as write:
                done, total = 0, sum(counts.values())
                for table in tables:
                    for rows in _batches(read, table, batch):
                        _insert(write, table, rows)
                        done += len(rows)
                        if progress is not None:
                            progress(CopyProgress(table.name, done, total))
                    report.tables[table.name] = counts[table.name]
                if write.dialect.name == "postgresql":
                    _advance_sequences(write, tables)
                _verify(read, write, tables, counts)
        finally:
            library.close()


def _read_only_engine(location: LibraryLocation) -> Engine:
    """An engine that can only read ``location``; a missing SQLite file is an error, not a new library."""
    if isinstance(location, PostgresLocation):
        require_driver(location)
        return create_library_engine(location).execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    path = location.path
    if not path.is_file():
        raise LibraryCopyError(f"there is no library file at {path}")
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))

    @event.listens_for(engine, "connect")
    def _explicit_transactions(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, for one snapshot

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _check_source(conn: Connection, location: LibraryLocation) -> None:
    revision = current_revision_of(conn)
    head = head_revision(conn.engine)
    if revision is None:
        raise LibraryCopyError(f"{location} is not a Genrescope library (it has no schema version)")
    if revision != head:
        raise LibraryCopyError(
            f"{location} is at schema version {revision}, this Genrescope's is {head}: open it once with "
            f"this version (genrescope tracks --db {location}) to upgrade it, then migrate it"
        )


def current_revision_of(conn: Connection) -> str | None:
    """The schema version of an open connection's database (None: none, or not a library)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _refuse_non_empty(location: LibraryLocation) -> None:
    """Refuse a target holding any library rows, before anything (even its schema) is written."""
    if isinstance(location, SqliteLocation) and not location.path.exists():
        return
    engine = create_library_engine(location)
    try:
        if current_revision(engine) is None:
            return
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            held = {
                table.name: n
                for table in Base.metadata.sorted_tables
                if table.name in present and (n := conn.execute(select(func.count()).select_from(table)).scalar_one())
            }
    except SQLAlchemyError as exc:
        raise LibraryCopyError(f"cannot read the target library {location}: {_reason(exc)}") from None
    finally:
        engine.dispose()
    if held:
        listed = ", ".join(f"{n:,} {name}" for name, n in held.items())
        raise LibraryCopyError(
            f"the target {location} is not empty ({listed}): migrate into a new, empty database; nothing was written"
        )


def _batches(conn: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    # Columns the database computes (tracks.search_text) are left to the target to compute.
    query = select(*(c for c in table.columns if c.computed is None)).order_by(*table.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=size).execute(query)
    for partition in result.mappings().partitions(size):
        yield [dict(row) for row in partition]


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    try:
        conn.execute(insert(table), rows)
    except SQLAlchemyError as exc:
        raise LibraryCopyError(
            f"copying the table {table.name} failed: {_reason(exc)}; nothing was written to the target"
        ) from None


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Move each id sequence past the largest copied id (PostgreSQL hands out ids from sequences)."""
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = conn.execute(select(func.pg_get_serial_sequence(table.name, column.name))).scalar()
        if sequence is not None:
            largest = conn.execute(select(func.max(column))).scalar()
            conn.execute(select(func.setval(sequence, largest or 1, largest is not None)))


def _verify(source: Connection, target: Connection, tables: list[Table], counts: dict[str, int]) -> None:
    """Row counts, and each row's key and identifying columns (`SAMPLE_COLUMNS`), equal on both sides."""
    differences = []
    for table in tables:
        copied = target.execute(select(func.count()).select_from(table)).scalar_one()
        if copied != counts[table.name]:
            differences.append(f"{table.name}: {counts[table.name]:,} rows in the source, {copied:,} in the target")
            continue
        columns = [*table.primary_key.columns, *(table.c[name] for name in SAMPLE_COLUMNS.get(table.name, ()))]
        query = select(*columns)
        before = {tuple(row) for row in source.execute(query)}
        after = {tuple(row) for row in target.execute(query)}
        if before != after:
            only_source, only_target = sorted(before - after, key=repr), sorted(after - before, key=repr)
            example = only_source[0] if only_source else only_target[0]
            differences.append(
                f"{table.name}: {len(only_source):,} rows differ, e.g. {example!r} "
                f"{'in the source only' if only_source else 'in the target only'}"
            )
    if differences:
        raise LibraryCopyError("the copy does not match its source, nothing was kept: " + "; ".join(differences))


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]
