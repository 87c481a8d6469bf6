"""Work claims (`library.claims`) on SQLite and PostgreSQL: batches that never overlap, live claims
skipped, expired ones taken over, a late worker's result refused, renewal, and claims from many
threads at once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select

from desktop_app.library import analyses as store
from desktop_app.library import claims
from desktop_app.library.models import Track, WorkClaim
from tests.generated_library import insert_model, insert_tracks

LEASE = 30.0


def _claim(library, worker, count, lease=LEASE, track_ids=None) -> list[int]:
    with library.writer.begin() as conn:
        return [track_id for track_id, _path in claims.claim(conn, MODEL[library], worker, lease, count, track_ids)]


MODEL: dict = {}


def _setup(library, tracks=10) -> int:
    insert_tracks(library, tracks)
    MODEL[library] = insert_model(library)
    return MODEL[library]


def _held(library) -> dict[int, str]:
    with library.engine.connect() as conn:
        return {row.track_id: row.worker for row in conn.execute(select(WorkClaim.track_id, WorkClaim.worker))}


def test_workers_claim_disjoint_batches_in_id_order_and_skip_live_claims(library):
    _setup(library)
    assert _claim(library, "a", 3) == [1, 2, 3]
    assert _claim(library, "b", 3) == [4, 5, 6], "a's live claims are skipped"
    assert _claim(library, "a", 3) == [7, 8, 9], "so are a's own: they are in flight already"
    assert _claim(library, "b", 3, track_ids=[2, 5, 10]) == [10]
    assert _claim(library, "b", 3) == []
    assert _held(library) == {**dict.fromkeys([1, 2, 3, 7, 8, 9], "a"), **dict.fromkeys([4, 5, 6, 10], "b")}


def test_analysed_unavailable_and_unreadable_tracks_are_not_claimed(library):
    model = _setup(library, 5)
    with library.writer.begin() as conn:
        store.save_analyses(conn, model, [(1, store.AnalysisRecord(top1="Pop"))])
        conn.execute(Track.__table__.update().where(Track.id == 2).values(available=False))
        conn.execute(Track.__table__.update().where(Track.id == 3).values(error="cannot read"))
    assert _claim(library, "a", 8) == [4, 5]


def test_an_expired_claim_is_taken_over_and_the_late_worker_cannot_finish(library):
    model = _setup(library, 4)
    assert _claim(library, "slow", 2, lease=0.2) == [1, 2]
    assert _claim(library, "fast", 8) == [3, 4], "still live"
    time.sleep(0.4)
    assert _claim(library, "fast", 8) == [1, 2], "expired: taken over"
    with library.writer.begin() as conn:
        assert claims.finish(conn, model, 1, "slow") is False
        assert claims.renew(conn, model, "slow", LEASE) == 0, "nothing left to renew"
        assert claims.finish(conn, model, 1, "fast") is True
        assert claims.finish(conn, model, 1, "fast") is False, "a claim is finished once"
    assert _held(library) == {2: "fast", 3: "fast", 4: "fast"}


def test_renewal_keeps_a_claim_alive_past_its_first_lease(library):
    model = _setup(library, 3)
    assert _claim(library, "a", 1, lease=0.3) == [1]
    assert _claim(library, "idle", 1, lease=0.3) == [2]
    with library.writer.begin() as conn:
        assert claims.renew(conn, model, "a", LEASE) == 1
    time.sleep(0.5)
    assert _claim(library, "b", 8) == [2, 3], "a's renewed claim is live, idle's expired one is taken"
    with library.writer.begin() as conn:
        assert claims.finish(conn, model, 1, "a") is True, "expired but not taken: still the worker's"


def test_held_elsewhere_counts_other_workers_claims_on_tracks_still_to_do(library):
    model = _setup(library, 4)
    with library.engine.connect() as conn:
        assert claims.held_elsewhere(conn, model, "a") is None
    _claim(library, "a", 1)
    _claim(library, "b", 1, lease=0.3)
    with library.engine.connect() as conn:
        assert claims.held_elsewhere(conn, model, "a", track_ids=[1, 3]) is None, "b's track is out of scope"
        assert 0 < claims.held_elsewhere(conn, model, "a") <= 0.3
        assert claims.held_elsewhere(conn, model, "b") > 0.3, "a's claim, a whole lease"
    time.sleep(0.4)
    with library.engine.connect() as conn:
        assert claims.held_elsewhere(conn, model, "a") <= 0, "expired: ready to take over"
    with library.writer.begin() as conn:
        store.save_analyses(conn, model, [(2, store.AnalysisRecord(top1="Pop"))])
    with library.engine.connect() as conn:
        assert claims.held_elsewhere(conn, model, "a") is None, "b's track is analysed: nothing to wait for"


def test_release_and_deleted_tracks_drop_claims(library):
    model = _setup(library, 4)
    _claim(library, "a", 2)
    _claim(library, "b", 2)
    with library.writer.begin() as conn:
        assert claims.release(conn, model, "a") == 2
        conn.execute(delete(Track.__table__).where(Track.id == 3))
    assert _held(library) == {4: "b"}


def test_many_threads_claiming_at_once_never_share_a_track(library):
    _setup(library, 60)
    got: dict[str, list[int]] = {}
    start = threading.Barrier(4)
    everyone_holds_one = threading.Barrier(4, timeout=60)

    def work(name: str) -> None:
        mine = got.setdefault(name, [])
        start.wait()
        # Each worker's first claim is made while the others' are live, so all four hold a track
        # before any goes on; left to the scheduler, one thread may take all 60 before the others
        # run at all (CI saw it), which would prove nothing about sharing.
        mine.extend(_claim(library, name, 1))
        everyone_holds_one.wait()
        while batch := _claim(library, name, 1):
            mine.extend(batch)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [track_id for mine in got.values() for track_id in mine]
    assert sorted(everything) == list(range(1, 61)), "every track once, none twice"
    assert all(got[f"w{i}"] for i in range(4)), "the work was shared: every worker got a first track"
