"""The track table model over a 100,000-track database: windowed rows, SQL sorting, coalesced reloads."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui import track_table_model
from desktop_app.gui.paged_rows import MAX_CACHED_PAGES, PAGE_SIZE
from desktop_app.gui.track_table_model import (
    COLUMN_INDEX,
    TRACK_ID_ROLE,
    TrackTableModel,
    format_duration,
)
from desktop_app.gui.workers import JobRunner
from desktop_app.library.browse import ModelInfo, Scope
from desktop_app.library.search import parse_search
from tests.generated_library import insert_analyses, insert_model, insert_tracks, track_row

N = 100_000


@pytest.fixture(scope="module")
def big_library(tmp_path_factory):
    from desktop_app.library.database import open_library

    library = open_library(tmp_path_factory.mktemp("big") / "library.sqlite3")
    insert_tracks(library, N)
    model = insert_model(library)
    insert_analyses(library, model, range(1, N // 2 + 1))
    yield library, model
    library.close()


@pytest.fixture
def table(qtbot, big_library):
    library, _ = big_library
    jobs = JobRunner()
    model = TrackTableModel(library, jobs, LibraryEvents())
    with qtbot.waitSignal(model.reloaded, timeout=20_000):
        model.request_reload()
    yield model
    jobs.shutdown()


def _text(model, row, key):
    return model.data(model.index(row, COLUMN_INDEX[key]))


def test_row_count_without_loading_rows(table):
    assert table.rowCount() == N
    assert table.cached_row_count() == 0, "nothing is read until a row is shown"
    assert _text(table, 0, "artist") == "Artist 000"
    assert table.cached_row_count() == PAGE_SIZE
    for row in range(0, N, N // 100):
        table.data(table.index(row, 0))
    assert table.cached_row_count() <= MAX_CACHED_PAGES * PAGE_SIZE
    last = table.data(table.index(N - 1, 0))
    assert last.startswith("Song ")


def test_columns_and_formats(table):
    row = table.row_of(1)
    assert _text(table, row, "title") == "Song 000000"
    assert _text(table, row, "duration") == format_duration(track_row(0)["duration"])
    assert _text(table, row, "tag_genre") == "Rock"
    assert _text(table, row, "predicted") == "", "no model chosen: no predictions"
    assert table.data(table.index(row, 0), TRACK_ID_ROLE) == 1
    assert format_duration(65) == "1:05" and format_duration(3725) == "1:02:05" and format_duration(None) == ""


def test_sorting_happens_in_sql(qtbot, table):
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.sort(COLUMN_INDEX["title"], Qt.SortOrder.DescendingOrder)
    assert _text(table, 0, "title") == f"Song {N - 1:06d}"
    assert _text(table, N - 1, "title") == "Song 000000"
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.sort(COLUMN_INDEX["duration"], Qt.SortOrder.AscendingOrder)
    durations = [table.row(r).duration for r in range(0, N, 997)]
    assert durations == sorted(durations)


def test_test_model_predictions_are_labelled(qtbot, table, big_library):
    _, model_id = big_library
    info = ModelInfo(model_id, "ab" * 32, "TEST weights", "test")
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.set_model_info(info)
    row = table.row_of(1)  # genre index id % 16 = 1
    assert _text(table, row, "predicted") == "Opera [test]"
    assert table.headerData(COLUMN_INDEX["predicted"], Qt.Orientation.Horizontal) == "CCMusic (TEST)"
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.set_view(replace(table.view, scope=Scope("predicted", "Opera")))
    assert table.rowCount() == len([t for t in range(1, N // 2 + 1) if t % 16 == 1])


def test_search_and_scope(qtbot, table):
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.set_view(replace(table.view, search=parse_search("artist:007 year:1967")))
    assert table.rowCount() == len([i for i in range(N) if i % 50 == 7 and i % 60 == 7])
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.set_view(replace(table.view, search=parse_search(""), scope=Scope("artist", "Artist 001")))
    assert table.rowCount() == N // 50


def test_a_burst_of_requests_causes_few_reloads(qtbot, table):
    reloads = []
    table.reloaded.connect(lambda: reloads.append(1))
    for _ in range(500):
        table.request_reload()
    qtbot.waitUntil(lambda: not table.is_reloading, timeout=20_000)
    assert 1 <= len(reloads) <= 2
    assert table.resets == 0, "the first list is appended to the empty one; an unchanged list only refreshes rows"


def test_view_shows_the_model(qtbot, table):
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(table)
    view.resize(800, 400)
    view.show()
    view.scrollToBottom()
    qtbot.waitUntil(lambda: view.rowAt(view.viewport().height() - 5) == N - 1 or view.rowAt(5) > N - 100)
    assert table.cached_row_count() <= MAX_CACHED_PAGES * PAGE_SIZE


def test_a_row_is_draggable_and_its_flags_are_built_once(table):
    from PySide6.QtCore import QAbstractTableModel, QModelIndex

    index = table.index(0, 0)
    assert table.flags(index) == QAbstractTableModel.flags(table, index) | Qt.ItemFlag.ItemIsDragEnabled
    assert table.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    assert table.flags(index) is table.flags(table.index(5, 3))


@pytest.fixture
def small_table(qtbot, library):
    insert_tracks(library, 3 * PAGE_SIZE)
    model_id = insert_model(library)
    jobs = JobRunner()
    table = TrackTableModel(library, jobs, LibraryEvents())
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.set_model_info(ModelInfo(model_id, "ab" * 32, "TEST weights", "test"))
    yield table, library, model_id
    jobs.shutdown()


def test_a_reload_repaints_only_the_rows_that_changed(qtbot, small_table, monkeypatch):
    """While an analysis writes, the table reloads several times a second: rows on screen whose
    analysis did not change are not repainted, and the changed ones are read on the worker."""
    table, library, model_id = small_table
    shown = [table.row(r) for r in range(PAGE_SIZE + 20, PAGE_SIZE + 40)]  # rows on screen: page 1
    assert all(row is not None and row.predicted is None for row in shown)
    changed: list[tuple[int, int]] = []
    resets = table.resets
    table.dataChanged.connect(lambda first, last: changed.append((first.row(), last.row())))
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.request_reload()
    assert changed == [] and table.resets == resets, "nothing changed: nothing repainted"

    track_id = table.track_id(PAGE_SIZE + 30)
    insert_analyses(library, model_id, range(track_id, track_id + 1))
    fetched: list[int] = []  # pages read on the GUI thread
    original = track_table_model.track_rows

    def track_rows(conn, ids, model):
        if threading.current_thread() is threading.main_thread():
            fetched.append(len(ids))
        return original(conn, ids, model)

    monkeypatch.setattr(track_table_model, "track_rows", track_rows)
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.request_reload()
    assert changed == [(PAGE_SIZE + 30, PAGE_SIZE + 30)]
    assert table.row(PAGE_SIZE + 30).predicted is not None
    assert fetched == [], "the page on screen was read again on the worker"
    assert table.row(0) is not None and fetched == [PAGE_SIZE], "a page not on screen is read when shown"


def test_a_resort_keeps_the_selected_tracks_and_the_current_one(qtbot, small_table):
    """The track table (`KeptSelection`): after a reset that moves every row, the same tracks are
    selected and current, on their new rows."""
    from desktop_app.gui.track_table_view import TrackTable

    table, _library, _model_id = small_table
    view = TrackTable(table)
    qtbot.addWidget(view)
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.sort(COLUMN_INDEX["title"], Qt.SortOrder.AscendingOrder)
    chosen = table.track_ids([3, 10, 500])
    select = view.selectionModel()
    for row in (3, 10, 500):
        select.setCurrentIndex(table.index(row, 0), select.SelectionFlag.Select | select.SelectionFlag.Rows)
    assert sorted(view.selected_track_ids()) == sorted(chosen) and view.current_track_id() == chosen[-1]
    with qtbot.waitSignal(table.reloaded, timeout=20_000):
        table.sort(COLUMN_INDEX["title"], Qt.SortOrder.DescendingOrder)
    assert table.track_ids([3, 10, 500]) != chosen, "the rows moved"
    assert sorted(view.selected_track_ids()) == sorted(chosen), "the same tracks are selected"
    assert view.current_track_id() == chosen[-1]


def test_an_empty_table_says_why_and_offers_music_only_for_an_empty_library():
    from desktop_app.gui.track_table_view import EMPTY_LIBRARY, empty_text
    from desktop_app.library.browse import TrackView

    assert empty_text(TrackView()) == (EMPTY_LIBRARY, True)
    assert empty_text(TrackView(scope=Scope("predicted", "Punk"))) == ("No tracks here.", False)
    searched = TrackView(scope=Scope("predicted", "Punk"), search=parse_search("zither"))
    assert empty_text(searched) == ("No track matches the search.", False)
