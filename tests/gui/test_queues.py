"""The window's two background queues on their own, with real files, a real library and real models:
`ScanQueue` (scans in order, progress, cancel) and `AnalysisQueue` (the tagger's pass then the
CCMusic network's with random weights of the exact architecture, progress, nothing twice, a model
that cannot load). The plumbing is proven here, not the accuracy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from desktop_app.gui.analysis_queue import CLASSIFYING, TAGGING, AnalysisOutcome, AnalysisProgress, AnalysisQueue
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.scan_queue import ScanOutcome, ScanQueue
from desktop_app.gui.workers import JobRunner
from desktop_app.inference.registry import CCMusicSource
from desktop_app.library.models import Analysis, GenreModel
from tests.audio_files import write_audio
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)


def _songs(folder: Path, count: int, seconds: float = 4.0) -> list[Path]:
    return [write_audio(folder / f"song{i}.wav", seconds=seconds, freq=220.0 * (i + 1)) for i in range(count)]


def test_scans_run_one_after_another_and_report_what_they_found(qtbot, library, tmp_path):
    _songs(tmp_path / "a", 3), _songs(tmp_path / "b", 2)
    (tmp_path / "b" / "broken.mp3").write_bytes(b"not audio")
    jobs = JobRunner()
    events = LibraryEvents()
    announced: list[bool] = []
    events.tracksChanged.connect(lambda: announced.append(True))
    queue = ScanQueue(library, jobs, events)
    outcomes: list[ScanOutcome] = []
    progress: list[object] = []
    queue.scanned.connect(outcomes.append)
    queue.progress.connect(progress.append)
    queue.scan([str(tmp_path / "a")], select_first=True)
    queue.scan([str(tmp_path / "b")])
    assert queue.busy
    qtbot.waitUntil(lambda: len(outcomes) == 2 and not queue.busy, timeout=60_000)
    assert [o.request.paths for o in outcomes] == [(str(tmp_path / "a"),), (str(tmp_path / "b"),)]
    assert outcomes[0].request.select_first and not outcomes[1].request.select_first
    assert (outcomes[0].result.added, outcomes[1].result.added) == (3, 3)  # the broken file is kept too
    assert len(outcomes[0].track_ids) == 3 and len(outcomes[1].track_ids) == 2, "only readable tracks"
    assert [e["path"] for e in outcomes[1].result.error_files] == [str(tmp_path / "b" / "broken.mp3")]
    assert len(announced) >= 2, "each scan told the library's views"
    jobs.shutdown()


def test_a_cancelled_scan_drops_the_queue(qtbot, library, tmp_path):
    _songs(tmp_path / "a", 2)
    jobs = JobRunner()
    queue = ScanQueue(library, jobs, LibraryEvents())
    outcomes: list[ScanOutcome] = []
    queue.scanned.connect(outcomes.append)
    queue.scan([str(tmp_path / "a")])
    queue.scan([str(tmp_path / "a")])
    queue.cancel()
    qtbot.waitUntil(lambda: not queue.busy, timeout=60_000)
    assert len(outcomes) <= 1, "the queued second scan never ran"
    jobs.shutdown()


def _scanned(qtbot, library, folder: Path) -> list[int]:
    jobs = JobRunner()
    queue = ScanQueue(library, jobs, LibraryEvents())
    outcomes: list[ScanOutcome] = []
    queue.scanned.connect(outcomes.append)
    queue.scan([str(folder)])
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    jobs.shutdown()
    return outcomes[0].track_ids


def _rows_by_model(library) -> dict[str, int]:
    with library.engine.connect() as conn:
        return dict(conn.execute(select(GenreModel.name, func.count()).join(Analysis).group_by(GenreModel.name)).all())


def test_the_tagger_pass_comes_first_then_ccmusic_and_nothing_runs_twice(qtbot, library, tmp_path, random_checkpoint):
    ids = _scanned(qtbot, library, _songs(tmp_path / "music", 3)[0].parent)
    events = LibraryEvents()
    announced: list[object] = []
    events.analysesChanged.connect(announced.append)
    queue = AnalysisQueue(library, events)
    queue.set_model(CCMusicSource(random_checkpoint.path, "test", None), "cpu")
    phases: list[str] = []
    reported: set[int] = set()
    outcomes: list[AnalysisOutcome] = []
    loaded: list[object] = []

    def on_progress(progress: AnalysisProgress) -> None:
        if not phases or phases[-1] != progress.phase:
            phases.append(progress.phase)
        reported.update(progress.track_ids)

    queue.progress.connect(on_progress)
    queue.finished.connect(outcomes.append)
    queue.modelLoaded.connect(loaded.append)
    queue.enqueue(ids)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=300_000)
    outcome = outcomes[0]
    assert phases == [TAGGING, CLASSIFYING]
    assert (outcome.tagged, outcome.analysed, outcome.failed, outcome.cancelled) == (3, 3, 0, False)
    assert outcome.model is not None and outcome.model.origin == "test" and loaded == [outcome.model]
    assert reported == set(ids)
    assert announced and announced[-1] is None, "the run's end told every view"
    assert {i for ids_ in announced[:-1] if ids_ for i in ids_} == set(ids), "each batch named its tracks"
    assert _rows_by_model(library) == {"musicnn-msd": 3, "musicnn-mtt": 3, "broad-genre": 3, "ccmusic": 3}

    outcomes.clear()
    queue.enqueue(None)  # everything not analysed yet: nothing
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    assert (outcomes[0].tagged, outcomes[0].analysed) == (0, 0)
    queue.shutdown()


def test_a_model_that_cannot_load_fails_the_queue_with_the_reason(qtbot, library, tmp_path):
    ids = _scanned(qtbot, library, _songs(tmp_path / "music", 1)[0].parent)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"PK\x03\x04 not a checkpoint")
    queue = AnalysisQueue(library, LibraryEvents())
    queue.set_model(CCMusicSource(broken, "file", None), "cpu")
    failures: list[Exception] = []
    queue.failed.connect(failures.append)
    queue.enqueue(ids)
    qtbot.waitUntil(lambda: bool(failures) and not queue.busy, timeout=300_000)
    assert str(broken) in str(failures[0]) or "broken.pt" in str(failures[0])
    assert _rows_by_model(library).get("broad-genre") == 1, "the tagger's pass was kept"
    queue.shutdown()
