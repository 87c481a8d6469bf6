"""`classify_tracks`, the CCMusic pass over the library, on its own: real files, a real library, the
exact architecture with random weights (plumbing, not accuracy): stored rows, failures with their
reason, progress per track, `limit`, a re-run that does nothing, and cancellation that keeps what
was finished."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.analysis.classify_library import classify_tracks
from desktop_app.analysis.passes import PassProgress
from desktop_app.inference.checkpoint import load_checkpoint
from desktop_app.inference.engine import GenreClassifier
from desktop_app.library.models import Analysis, Track
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)


@pytest.fixture
def classifier(random_checkpoint):
    return GenreClassifier(load_checkpoint(random_checkpoint.path), origin="test", device="cpu")


@pytest.fixture
def scanned(library, tmp_path):
    for i in range(3):
        write_audio(tmp_path / "music" / f"song{i}.wav", seconds=12.0, freq=110.0 * (i + 2))
    Scanner(library).scan([tmp_path / "music"])
    with library.engine.connect() as conn:
        return [row.id for row in conn.execute(select(Track.id).order_by(Track.path))]


def _rows(library) -> list:
    with library.engine.connect() as conn:
        return conn.execute(select(Analysis).order_by(Analysis.track_id)).all()


def test_every_track_gets_a_row_with_progress_and_a_rerun_does_nothing(library, scanned, classifier):
    seen: list[PassProgress] = []
    results: list[int] = []
    summary = classify_tracks(library, classifier, progress=seen.append, on_result=lambda t, _r: results.append(t))
    assert (summary.analysed, summary.failed, summary.cancelled) == (3, 0, False)
    assert summary.models == {"ccmusic": classifier.identity.sha256} and summary.model_origin == "test"
    rows = _rows(library)
    assert [r.track_id for r in rows] == scanned and sorted(results) == scanned
    assert all(r.top1 and 0 < r.confidence <= 1 and len(r.probabilities) == 16 for r in rows)
    assert all(r.window_count == len(r.window_probabilities) >= 1 and r.error is None for r in rows)
    assert [p.track_id for p in seen if p.track_id is not None] == scanned and seen[-1].done == seen[-1].total == 3
    again = classify_tracks(library, classifier, track_ids=scanned)
    assert (again.analysed, again.already_done) == (0, 3)


def test_limit_and_a_file_gone_since_the_scan(library, scanned, classifier, tmp_path):
    (tmp_path / "music" / "song1.wav").unlink()
    first = classify_tracks(library, classifier, limit=2)
    assert (first.analysed, first.failed) == (1, 1)
    assert first.error_files[0]["path"].endswith("song1.wav") and first.error_files[0]["reason"]
    failed = next(r for r in _rows(library) if r.track_id == scanned[1])
    assert failed.error and failed.top1 is None
    rest = classify_tracks(library, classifier)
    assert (rest.analysed, rest.failed) == (1, 0), "the failed track is not retried on every run"


def test_cancel_keeps_what_was_finished(library, scanned, classifier):
    done: list[int] = []
    summary = classify_tracks(library, classifier, should_cancel=lambda: len(done) >= 1,
                              on_result=lambda t, _r: done.append(t))
    assert summary.cancelled and 1 <= summary.analysed < 3
    assert [r.track_id for r in _rows(library)] == done[: len(_rows(library))]
