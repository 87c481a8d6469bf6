"""The shown track's detail: read at once on a selection, re-read on a worker when its analyses
arrive, and a stale re-read never replaces a newer read."""

from __future__ import annotations

import threading

import pytest

from desktop_app.gui import track_detail_reader
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.track_detail_reader import TrackDetailReader
from desktop_app.gui.workers import JobRunner
from desktop_app.library.browse import ModelInfo
from tests.generated_library import insert_analyses, insert_model, insert_tracks


@pytest.fixture
def reader(qtbot, library):
    insert_tracks(library, 10)
    model_id = insert_model(library)
    jobs, events = JobRunner(), LibraryEvents()
    reader = TrackDetailReader(library, jobs, events, lambda: ModelInfo(model_id, "ab" * 32, "TEST", "test"))
    refreshed: list[object] = []
    reader.refreshed.connect(refreshed.append)
    yield reader, events, refreshed, library, model_id
    jobs.shutdown()


def test_a_selection_is_read_at_once_and_its_new_analysis_on_a_worker(qtbot, reader, monkeypatch):
    reader, events, refreshed, library, model_id = reader
    shown = reader.read(3)
    assert shown is not None and shown.id == 3 and shown.analysis is None
    threads: list[threading.Thread] = []
    original = track_detail_reader.track_detail
    monkeypatch.setattr(
        track_detail_reader,
        "track_detail",
        lambda *args: threads.append(threading.current_thread()) or original(*args),
    )
    events.analysesChanged.emit([5])  # another track's: nothing to read
    events.analysesChanged.emit(None)  # a run ended: the shown track's analyses arrived as it went
    assert not reader.pending
    insert_analyses(library, model_id, range(3, 4))
    events.analysesChanged.emit([2, 3])
    qtbot.waitUntil(lambda: bool(refreshed) and not reader.pending)
    assert refreshed[0].id == 3 and refreshed[0].analysis is not None
    assert threads and threading.main_thread() not in threads, "the refresh was read on a worker"


def test_a_stale_refresh_is_dropped(qtbot, reader, monkeypatch):
    """A refresh that started before another track was selected (or the same one read again) is
    thrown away when it arrives, so it never replaces what the newer read showed."""
    reader, events, refreshed, _library, _model_id = reader
    reader.read(3)
    entered, release = threading.Event(), threading.Event()
    original = track_detail_reader.track_detail

    def slow_on_the_worker(*args):
        if threading.current_thread() is not threading.main_thread():
            entered.set()
            assert release.wait(10)
        return original(*args)

    monkeypatch.setattr(track_detail_reader, "track_detail", slow_on_the_worker)
    events.analysesChanged.emit([3])
    qtbot.waitUntil(entered.is_set)
    assert reader.read(4).id == 4  # the person selected another track meanwhile
    release.set()
    qtbot.waitUntil(lambda: not reader.pending)
    assert refreshed == [] and reader.stale == 1

    entered.clear()
    release.clear()
    events.analysesChanged.emit([4])
    qtbot.waitUntil(entered.is_set)
    reader.read(4)  # the same track read again, e.g. selected from a playlist
    release.set()
    qtbot.waitUntil(lambda: not reader.pending)
    assert refreshed == [] and reader.stale == 2
    events.analysesChanged.emit([4])
    qtbot.waitUntil(lambda: bool(refreshed) and not reader.pending)
    assert refreshed[0].id == 4 and reader.track_id == 4


def test_no_track_reads_nothing(qtbot, reader):
    reader, events, refreshed, _library, _model_id = reader
    assert reader.read(None) is None and reader.track_id is None
    events.analysesChanged.emit([1, 2, 3])
    assert not reader.pending and refreshed == []
