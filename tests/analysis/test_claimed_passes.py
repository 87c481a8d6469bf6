"""Passes that share a library (`claimed_work`), on SQLite and PostgreSQL, with the built-in tagger
on short generated tracks: two passes at once never analyse a track twice, a live claim is left to
its worker (and waited for), an expired one is taken over, and a result whose claim was taken
over is not stored."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from desktop_app.analysis.tag_library import register_tagger_models, tag_tracks
from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.inference.registry import open_tagger
from desktop_app.library import analyses as store
from desktop_app.library import claims
from desktop_app.library.models import Analysis, Track, WorkClaim
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

TRACKS = 12


@pytest.fixture(scope="module")
def tagger():
    return open_tagger("cpu")


@pytest.fixture
def track_ids(library, tmp_path) -> list[int]:
    for i in range(TRACKS):
        write_audio(tmp_path / "music" / f"{i:02d}.wav", seconds=3.5, sr=16000, freq=120.0 + 45 * i)
    Scanner(library).scan([tmp_path / "music"])
    with library.engine.connect() as conn:
        return list(conn.execute(select(Track.id).order_by(Track.id)).scalars())


def _broad_model(library, tagger) -> int:
    with library.writer.begin() as conn:
        return register_tagger_models(conn, tagger)[BROAD_MODEL]


def _rows_per_track(library) -> Counter:
    """How many analyses each track has, over all three models (three each when tagged once)."""
    with library.engine.connect() as conn:
        return Counter(conn.execute(select(Analysis.track_id)).scalars())


def _claims_left(library) -> int:
    with library.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(WorkClaim)).scalar_one()


def test_two_passes_at_once_share_the_tracks_and_analyse_each_once(library, track_ids, tagger):
    summaries = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        summaries.append(tag_tracks(library, tagger, lease_seconds=5))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(summaries) == 2
    stored = [track_id for summary in summaries for track_id in summary.track_ids]
    assert sorted(stored) == track_ids, "every track stored by one pass, none by both"
    assert sum(s.analysed for s in summaries) == TRACKS and all(s.taken_over == 0 for s in summaries)
    assert summaries[0].worker != summaries[1].worker and all(s.track_ids for s in summaries), "both worked"
    assert _rows_per_track(library) == dict.fromkeys(track_ids, 3)
    assert _claims_left(library) == 0


def test_a_live_claim_is_left_to_its_worker_and_waited_for(library, track_ids, tagger):
    model = _broad_model(library, tagger)
    held = track_ids[5]
    with library.writer.begin() as conn:
        assert claims.claim(conn, model, "other", 60, 1, [held])
    rest_done = threading.Event()
    done: list[int] = []

    def on_result(track_id: int, _record) -> None:
        done.append(track_id)
        if len(done) == TRACKS - 1:
            rest_done.set()

    summaries = []
    worker = threading.Thread(target=lambda: summaries.append(tag_tracks(library, tagger, on_result=on_result)))
    started = time.monotonic()
    worker.start()
    assert rest_done.wait(timeout=120)
    time.sleep(0.5)
    assert worker.is_alive(), "the pass waits while another worker holds a track"
    with library.writer.begin() as conn:  # the other worker finishes its track
        assert claims.finish(conn, model, held, "other")
        store.save_analyses(conn, model, [(held, store.AnalysisRecord(top1="other's"))])
    worker.join(timeout=30)
    assert not worker.is_alive() and time.monotonic() - started < 60, "done before the other's lease ended"
    (summary,) = summaries
    assert held not in summary.track_ids and sorted(summary.track_ids + [held]) == track_ids
    with library.engine.connect() as conn:
        assert store.analysis_of(conn, held, model).top1 == "other's"


def test_an_expired_claim_is_taken_over(library, track_ids, tagger):
    model = _broad_model(library, tagger)
    dead = track_ids[:3]
    with library.writer.begin() as conn:
        assert len(claims.claim(conn, model, "dead", 1.0, 3, dead)) == 3
    summary = tag_tracks(library, tagger, lease_seconds=5)
    assert sorted(summary.track_ids) == track_ids and summary.analysed == TRACKS
    assert _rows_per_track(library) == dict.fromkeys(track_ids, 3)
    assert _claims_left(library) == 0


def test_a_result_whose_claim_was_taken_over_is_not_stored(library, track_ids, tagger):
    stolen: list[int] = []

    def steal(track_id: int, _record) -> None:
        # After the first result, a "thief" takes every other claim this pass holds, as a worker
        # does once a slow worker's lease has expired.
        if not stolen:
            with library.writer.begin() as conn:
                taken = conn.execute(
                    update(WorkClaim).where(WorkClaim.worker != "thief").values(worker="thief").returning(WorkClaim.track_id)
                )
                stolen.extend(taken.scalars())

    summary = tag_tracks(library, tagger, on_result=steal, lease_seconds=1.0)
    assert stolen and summary.taken_over == len(stolen), "each stolen track's result was dropped"
    # The thief never finished them: its claims expired and the pass took the tracks back.
    assert sorted(summary.track_ids) == track_ids and summary.analysed == TRACKS
    assert _rows_per_track(library) == dict.fromkeys(track_ids, 3)
    assert _claims_left(library) == 0


def test_cancelling_gives_back_the_claims_in_flight(library, track_ids, tagger):
    done: list[int] = []
    summary = tag_tracks(library, tagger, should_cancel=lambda: bool(done), on_result=lambda t, _r: done.append(t))
    assert summary.cancelled and summary.analysed >= 1
    assert _claims_left(library) == 0
    rest = tag_tracks(library, tagger)
    assert sorted(summary.track_ids + rest.track_ids) == track_ids

