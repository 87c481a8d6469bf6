"""Learn my genres in the window: the evaluation is shown before anything is stored, Cancel stores
nothing, "Use these genres" classifies the library and switches the window to My genres; a
refusal is explained. Embeddings are made by hand (real ones: tests/analysis/test_my_genres.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.my_genres_flow import USE
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.track_table_model import COLUMN_INDEX
from desktop_app.library.browse import Scope
from desktop_app.library.models import LearnedGenres, TagGenre
from tests.generated_library import insert_tagger_embeddings, insert_tracks

N = 30


@pytest.fixture
def window(qtbot, library):
    insert_tracks(library, N)  # tag genres cycle Rock, Pop, Jazz, Classical, Soul
    rng = np.random.default_rng(0)
    with library.engine.connect() as conn:
        genre = dict(conn.execute(select(TagGenre.track_id, TagGenre.name)).all())
    centres = {name: rng.standard_normal(16) * 3 for name in set(genre.values())}
    vectors = np.stack([centres[genre[t]] + rng.standard_normal(16) * 0.3 for t in range(1, N + 1)])
    insert_tagger_embeddings(library, vectors)
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_idle() and window.table_model.rowCount() == N, timeout=20_000)
    yield window
    window.close()


def _learned(library) -> int:
    with library.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LearnedGenres)).scalar()


def _box(qtbot, window) -> QMessageBox:
    qtbot.waitUntil(lambda: window.my_genres.last_dialog is not None and window.my_genres.last_dialog.isVisible(),
                    timeout=20_000)
    return window.my_genres.last_dialog


def test_the_evaluation_comes_first_and_cancel_stores_nothing(qtbot, window, library):
    window.my_genres.start("tags")
    box = _box(qtbot, window)
    assert "5 genres learned from 30 tracks" in box.text() and "cross-validated accuracy 100%" in box.text()
    assert "precision" in box.informativeText() and "<td>Classical</td><td align=right>6</td>" in box.informativeText()
    assert _learned(library) == 0, "nothing is stored before the person accepts"
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not window.my_genres.busy)
    assert _learned(library) == 0 and window.settings.taxonomy != "my-genres"


def test_use_these_genres_classifies_and_switches_the_window(qtbot, window, library):
    window.my_genres.start("tags")
    box = _box(qtbot, window)
    next(b for b in box.buttons() if b.text() == USE).click()
    qtbot.waitUntil(lambda: window.settings.taxonomy == "my-genres" and window.is_idle() and not window.jobs.busy,
                    timeout=20_000)
    assert _learned(library) == 1
    assert window.model_info is not None and window.model_info.name == "my-genres" and window.model_info.id
    qtbot.waitUntil(lambda: window.sidebar.item_for(Scope("predicted", "Rock")) is not None, timeout=20_000)
    window.table.select_track(1)  # "Rock" in its tags
    qtbot.waitUntil(lambda: window.detail.my_genres_label.isVisible(), timeout=20_000)
    assert window.detail.my_genres_label.text().startswith("My genres — Rock 1")
    column = window.table_model.headerData(COLUMN_INDEX["predicted"], Qt.Orientation.Horizontal)
    assert "My genres" in column


def test_a_refusal_is_explained(qtbot, window):
    window.my_genres.start("playlists")
    box = _box(qtbot, window)
    assert box.windowTitle() == "Cannot learn your genres yet" and "no track has manual playlists" in box.text()
