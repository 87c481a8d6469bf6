"""The library's record of genres written into files: batches and their files' before and after.

Plain Core statements over `tag_batches` and `tag_writes` (migration 0010), in the transactions
`tag_writes` opens. A batch's files are recorded, with their old values, in one durable commit
before the first file is written (`durable_transaction`): after a crash or a power cut the library
still knows what every file held, so an undo works after a restart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from desktop_app.library.database import Library
from desktop_app.library.models import TagBatch, TagWrite
from desktop_app.library.track_store import utc_now

batches = TagBatch.__table__
writes = TagWrite.__table__

PENDING, WRITTEN, SKIPPED, NOT_WRITTEN, UNDOING, UNDONE = (
    "pending",
    "written",
    "skipped",
    "not_written",
    "undoing",
    "undone",
)


@dataclass(frozen=True, slots=True)
class WriteEntry:
    """One file of a batch as recorded (see `TagWrite` for the states)."""

    batch_id: int
    position: int
    track_id: int | None
    path: str
    genre: str
    confidence: float | None
    old_values: tuple[str, ...]
    new_values: tuple[str, ...]
    old_size: int | None
    old_mtime: float | None
    new_size: int | None
    new_mtime: float | None
    state: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch as the undo list shows it: when, from what, and how many files in each state."""

    id: int
    source: str
    mode: str
    min_confidence: float | None
    created_at: datetime
    finished_at: datetime | None
    cancelled: bool
    states: dict[str, int]

    @property
    def undoable(self) -> int:
        return self.states.get(WRITTEN, 0)


@contextmanager
def durable_transaction(library: Library) -> Iterator[Connection]:
    """A write transaction that is on disk when the block ends. PostgreSQL's commits are; SQLite's
    WAL at ``synchronous = NORMAL`` (the library's setting, `database`) may lose the last commits in
    a power cut, so this one commit is made at FULL."""
    with library.writer.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA synchronous = FULL")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite:
                raw.execute("PRAGMA synchronous = NORMAL")  # type: ignore[union-attr]


def start_batch(
    conn: Connection, source: str, mode: str, min_confidence: float | None, entries: Sequence[dict[str, object]]
) -> int:
    """A new batch with its files, all ``pending``; each entry holds `TagWrite`'s columns but the
    batch, position and state. Returns the batch's id."""
    batch_id = conn.execute(
        insert(batches)
        .values(source=source, mode=mode, min_confidence=min_confidence, created_at=utc_now(), cancelled=False)
        .returning(batches.c.id)
    ).scalar_one()
    if entries:
        rows = [{**entry, "batch_id": batch_id, "position": i, "state": PENDING} for i, entry in enumerate(entries)]
        conn.execute(insert(writes), rows)
    return int(batch_id)


def set_state(
    conn: Connection,
    entry: WriteEntry,
    state: str,
    reason: str | None = None,
    size: int | None = None,
    mtime: float | None = None,
) -> None:
    """Move one file to ``state``; ``size`` and ``mtime`` (the file as Genrescope left it) when given."""
    values: dict[str, object] = {"state": state, "reason": reason}
    if size is not None:
        values.update(new_size=size, new_mtime=mtime)
    conn.execute(
        update(writes).where(writes.c.batch_id == entry.batch_id, writes.c.position == entry.position).values(**values)
    )


def follow_file(conn: Connection, path: str, values: tuple[str, ...], size: int, mtime: float) -> None:
    """The file at ``path`` holds ``values`` again, written now by Genrescope (an undo of a later
    batch): the earlier batches that left it so see it as they left it, and may be undone in turn."""
    query = select(*_entry_columns()).where(writes.c.path == path, writes.c.state == WRITTEN)
    for row in conn.execute(query).mappings():
        entry = _entry(row)
        if entry.new_values == values:
            set_state(conn, entry, WRITTEN, entry.reason, size=size, mtime=mtime)


def set_states(conn: Connection, entries: Sequence[WriteEntry], state: str, reason: str | None = None) -> None:
    for entry in entries:
        set_state(conn, entry, state, reason)


def finish_batch(conn: Connection, batch_id: int, cancelled: bool) -> None:
    conn.execute(update(batches).where(batches.c.id == batch_id).values(finished_at=utc_now(), cancelled=cancelled))


def _entry_columns():  # -> the `tag_writes` columns of a `WriteEntry`, in its order
    return [writes.c[field.name] for field in fields(WriteEntry)]


def entries_of(conn: Connection, batch_id: int, states: Sequence[str] | None = None) -> list[WriteEntry]:
    query = select(*_entry_columns()).where(writes.c.batch_id == batch_id)
    if states is not None:
        query = query.where(writes.c.state.in_(list(states)))
    return [_entry(row) for row in conn.execute(query.order_by(writes.c.position)).mappings()]


def interrupted_entries(conn: Connection) -> list[WriteEntry]:
    """Files a crash left between states: ``pending`` or ``undoing``."""
    query = select(*_entry_columns()).where(writes.c.state.in_([PENDING, UNDOING]))
    return [_entry(row) for row in conn.execute(query.order_by(writes.c.batch_id, writes.c.position)).mappings()]


def close_unfinished(conn: Connection) -> None:
    """Batches a crash left open are finished, as cancelled."""
    conn.execute(update(batches).where(batches.c.finished_at.is_(None)).values(finished_at=utc_now(), cancelled=True))


def _entry(row: RowMapping) -> WriteEntry:
    values = dict(row)
    values["old_values"] = tuple(values["old_values"])
    values["new_values"] = tuple(values["new_values"])
    return WriteEntry(**values)


def batch_summaries(conn: Connection) -> list[BatchSummary]:
    """Every batch, the latest first."""
    counts: dict[int, dict[str, int]] = {}
    for batch_id, state, count in conn.execute(
        select(writes.c.batch_id, writes.c.state, func.count()).group_by(writes.c.batch_id, writes.c.state)
    ):
        counts.setdefault(batch_id, {})[state] = count
    rows = conn.execute(select(batches).order_by(batches.c.id.desc())).mappings()
    return [
        BatchSummary(
            id=row["id"],
            source=row["source"],
            mode=row["mode"],
            min_confidence=row["min_confidence"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            cancelled=bool(row["cancelled"]),
            states=counts.get(row["id"], {}),
        )
        for row in rows
    ]


def last_undoable_batch(conn: Connection) -> int | None:
    """The latest batch that still has files written (an undo's default)."""
    return conn.execute(select(func.max(writes.c.batch_id)).where(writes.c.state == WRITTEN)).scalar()
