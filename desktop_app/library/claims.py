"""Leases on work: which worker is analysing which track for which model, and until when.

Several workers may analyse one library at once: `genrescope classify` on several machines against
a PostgreSQL library, or the window and a `classify` on one SQLite file. Each claims a few tracks
(`claim`) before analysing them, in a writer transaction; writers queue (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL: `database`), so two workers never claim the same free
track. A claim is a lease: it expires unless its worker renews it (`renew`), so the tracks of a
worker that died (killed, its machine switched off) become free again. A worker stores an
analysis in the transaction that calls `finish`, which deletes the claim and says whether it was
still the worker's: when it had expired and another worker took the track over, the late result
is dropped instead of being stored a second time.

Times are the database's clock: PostgreSQL's (in UTC) for a server, this machine's for a SQLite
file (whose workers all run here), so machines whose clocks disagree still agree on when a lease ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, delete, func, select, update

from desktop_app.library.analyses import unanalysed
from desktop_app.library.models import Track, WorkClaim
from desktop_app.library.portable import upsert

claims = WorkClaim.__table__
tracks = Track.__table__


def database_now(conn: Connection) -> datetime:
    """The database's current UTC time (naive, as the library stores times)."""
    if conn.dialect.name == "postgresql":
        # clock_timestamp, not now(): now() is when the transaction began, before it queued for the lock.
        return conn.execute(select(func.timezone("UTC", func.clock_timestamp()))).scalar_one()
    return datetime.now(timezone.utc).replace(tzinfo=None)


def claim(
    conn: Connection,
    model_id: int,
    worker: str,
    lease_seconds: float,
    count: int,
    track_ids: Sequence[int] | None = None,
) -> list[tuple[int, str]]:
    """Claim up to ``count`` tracks (of ``track_ids``, else any) that this model has not analysed and
    that no one holds a live claim on, in id order; returns their (id, path).

    Call it in a writer transaction (``library.writer.begin()``), which makes the choice and the
    claim one step. Expired claims are taken over.
    """
    now = database_now(conn)
    live = select(claims.c.track_id).where(claims.c.model_id == model_id, claims.c.expires_at > now)
    query = unanalysed(model_id, track_ids).where(tracks.c.id.not_in(live)).order_by(tracks.c.id).limit(count)
    found = [(row.id, row.path) for row in conn.execute(query)]
    if found:
        expires = now + timedelta(seconds=lease_seconds)
        rows = [
            {"track_id": track_id, "model_id": model_id, "worker": worker, "claimed_at": now, "expires_at": expires}
            for track_id, _path in found
        ]
        statement = upsert(conn, claims)
        taken = {name: statement.excluded[name] for name in ("worker", "claimed_at", "expires_at")}
        conn.execute(statement.on_conflict_do_update(index_elements=["track_id", "model_id"], set_=taken), rows)
    return found


def renew(conn: Connection, model_id: int, worker: str, lease_seconds: float) -> int:
    """Extend every claim this worker still holds for this model by a whole lease; how many it holds."""
    expires = database_now(conn) + timedelta(seconds=lease_seconds)
    result = conn.execute(
        update(claims).where(claims.c.model_id == model_id, claims.c.worker == worker).values(expires_at=expires)
    )
    return result.rowcount


def finish(conn: Connection, model_id: int, track_id: int, worker: str) -> bool:
    """Drop this worker's claim on the track; False when it no longer held one (it expired and
    another worker took it over), when the caller must not store its result."""
    result = conn.execute(
        delete(claims).where(claims.c.track_id == track_id, claims.c.model_id == model_id, claims.c.worker == worker)
    )
    return result.rowcount == 1


def release(conn: Connection, model_id: int, worker: str) -> int:
    """Give up every claim this worker holds for this model (it stops early); how many there were."""
    return conn.execute(delete(claims).where(claims.c.model_id == model_id, claims.c.worker == worker)).rowcount


def held_elsewhere(
    conn: Connection, model_id: int, worker: str, track_ids: Sequence[int] | None = None
) -> float | None:
    """Seconds until the first of other workers' claims on tracks still to analyse (of ``track_ids``,
    else any) expires (zero or less: one has expired already); None when they hold none."""
    pending = unanalysed(model_id, track_ids).with_only_columns(tracks.c.id)
    earliest = conn.execute(
        select(func.min(claims.c.expires_at)).where(
            claims.c.model_id == model_id, claims.c.worker != worker, claims.c.track_id.in_(pending)
        )
    ).scalar()
    if earliest is None:
        return None
    return (earliest - database_now(conn)).total_seconds()
