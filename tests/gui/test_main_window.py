"""The main window: opens without a model, takes drops, counts genres, searches, remembers settings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from desktop_app.genres.ccmusic import GENRES
from desktop_app.gui.library_intake import local_paths
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.track_table_model import COLUMN_INDEX
from desktop_app.library.browse import Scope
from tests.audio_files import write_audio
from tests.generated_library import confidence_of, insert_analyses, insert_model, insert_tracks, predicted_index
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)


@pytest.fixture
def make_window(qtbot, library):
    windows: list[MainWindow] = []

    def make(settings: AppSettings | None = None) -> MainWindow:
        window = MainWindow(library, settings or AppSettings())
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def _ccmusic() -> AppSettings:
    """Settings that browse CCMusic genres (the generated libraries hold CCMusic analyses)."""
    settings = AppSettings()
    settings.taxonomy = "ccmusic"
    return settings


def _idle(window: MainWindow) -> bool:
    return window.is_idle()


def _mime(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) if not str(p).startswith("http") else QUrl(str(p)) for p in paths])
    return mime


def _drop(window: MainWindow, mime: QMimeData) -> QDropEvent:
    point = QPointF(window.width() / 2, window.height() / 2)
    with warnings.catch_warnings():  # the QPoint form is deprecated in 6.12, the only one before it
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(point.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window accepts dragged files"
    drop = QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def _no_dialogs() -> bool:
    return QApplication.activeModalWidget() is None and not any(
        isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_opens_with_broad_genres_and_offers_ccmusic_where_it_is_asked_for(qtbot, make_window):
    window = make_window()
    qtbot.waitUntil(lambda: _idle(window))
    assert not window.banner.isVisible(), "the built-in tagger needs no install"
    assert window.model_label.text().startswith("Broad genre (from MusiCNN tags) · sha256 ")
    assert window.table_model.rowCount() == 0
    items = [window.sidebar.topLevelItem(i) for i in range(window.sidebar.topLevelItemCount())]
    assert [item.text(0) for item in items if not item.isHidden()] == [
        "All tracks", "Broad genre", "Genre tags", "Artists", "Albums"], "Missing files only when some are"
    assert window.sidebar.item_for(Scope("predicted", "Hip_hop")).text(0) == "Hip-hop"
    assert window.playlists.isVisible(), "playlists have their own pane under the sidebar"
    shortcuts = {a.text(): a.shortcut().toString() for m in window.menus.by_name.values() for a in m.actions()}
    assert shortcuts["&Open folder…"] == "Ctrl+O" and shortcuts["&Find"] == "Ctrl+F"
    assert shortcuts["Analyse &selection"] == "Ctrl+R" and shortcuts["&Quit"] == "Ctrl+Q"
    assert shortcuts["Play/Pause"] == "Space"
    assert shortcuts["Show Broad genre genres"] == "Ctrl+1" and shortcuts["Show CCMusic genres"] == "Ctrl+2"
    assert shortcuts["Show My genres"] == "Ctrl+3"
    actions = {a.text(): a for m in window.menus.by_name.values() for a in m.actions()}
    actions["Show My genres"].trigger()  # the menu (and its shortcut) switch, not only the box
    assert window.settings.taxonomy == "my-genres" and actions["Show My genres"].isChecked()
    actions["Show Broad genre genres"].trigger()
    assert window.settings.taxonomy == "broad-genre"
    qtbot.waitUntil(lambda: _idle(window))

    window.taxonomy_box.setCurrentIndex(window.taxonomy_box.findData("ccmusic"))
    qtbot.waitUntil(lambda: _idle(window))
    assert window.settings.taxonomy == "ccmusic" and window.settings.low_confidence == 0.4
    assert window.banner.isVisible() and window.banner.state == "missing"
    assert window.banner.install_button.isVisible() and window.banner.import_button.isVisible()
    assert "The CCMusic model is not installed" in window.banner.message.text()
    assert window.model_label.text() == "No CCMusic model"
    assert window.sidebar.item_for(Scope("predicted", "Soft_rock")).parent().text(0) == "CCMusic"
    assert window.sidebar.item_for(Scope("predicted", "Soft_rock")).text(0) == "Soft rock"
    assert window.sidebar.item_for(Scope("predicted", "Hip_hop")) is None
    window.set_taxonomy("broad-genre")
    assert not window.banner.isVisible() and window.settings.low_confidence == 0.2


def test_dropped_folder_is_scanned_selected_and_broken_files_reported(qtbot, make_window, tmp_path):
    music = tmp_path / "drop"
    write_audio(music / "b-second.flac", seconds=1, title="Second", artist="Ann", genre="Jazz")
    write_audio(music / "a-first.wav", seconds=1, title="First", artist="Bob", genre="Rock; Pop")
    write_audio(music / "sub" / "c-third.ogg", seconds=1, title="Third", artist="Cy")
    (music / "broken.mp3").write_bytes(b"this is not audio")
    (music / "notes.txt").write_text("ignored: not an audio file name")
    stray = tmp_path / "readme.txt"
    stray.write_text("dropped on its own")
    window = make_window()
    qtbot.waitUntil(lambda: _idle(window))
    said: list[str] = []
    original = window.set_status
    window.set_status = lambda text: said.append(text) or original(text)  # the tagger's line follows

    drop = _drop(window, _mime(music, stray, "http://example.com/song.mp3"))
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 3 and _idle(window), timeout=20_000)
    qtbot.waitUntil(lambda: window.table.pending_select is None)

    status = next(text for text in said if "tracks ready" in text)
    assert "drop and 1 more: 3 tracks ready" in status and "broken.mp3" in status and "2 could not be read" in status
    problems = "\n".join(window.problems.lines())
    assert "broken.mp3" in problems and "readme.txt" in problems and "http://example.com/song.mp3" in problems
    assert window.problems_button.isVisible() and "3 problems" in window.problems_button.text()
    assert _no_dialogs()

    current = window.table.selectionModel().currentIndex()
    assert window.table_model.row(current.row()).title == "First", "the first dropped track (path order) is selected"
    assert window.detail.current_track().title == "First"
    assert window.detail.current_track().tag_genres == ["Rock", "Pop"]
    qtbot.waitUntil(lambda: window.sidebar.item_for(Scope("tag_genre", "Jazz")) is not None)
    assert window.sidebar.item_for(Scope("all")).text(1) == "3"
    # The built-in tagger analyses what was dropped at once, with nothing installed.
    qtbot.waitUntil(lambda: not window.analysis.busy and _idle(window)
                    and window.sidebar.item_for(Scope("not_analysed")).text(1) == "0", timeout=60_000)


def test_drop_outside_the_current_view_switches_to_all_tracks(qtbot, make_window, tmp_path):
    write_audio(tmp_path / "one" / "x.wav", title="Xylophone")
    write_audio(tmp_path / "two" / "y.wav", title="Yodel")
    window = make_window()
    window.intake.add_paths([str(tmp_path / "one")])
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1 and _idle(window), timeout=20_000)
    window.search.setText("xylo")
    qtbot.waitUntil(lambda: window.table_model.view.search.words == ("xylo",) and _idle(window))
    window.intake.add_paths([str(tmp_path / "two")])
    qtbot.waitUntil(lambda: window.table.pending_select is None and _idle(window), timeout=20_000)
    assert window.search.text() == "" and window.table_model.rowCount() == 2
    assert window.detail.current_track().title == "Yodel"


def test_an_empty_library_shows_the_way_in_and_an_empty_search_says_so(qtbot, make_window, tmp_path, monkeypatch):
    """A newcomer's first window: the empty table says the library is empty and offers Open folder…
    (here the folder dialog answers with a real folder of music: only the OS dialog is stood in for);
    the tracks arrive and the hint goes; a search that finds nothing says so, without the offer."""
    write_audio(tmp_path / "music" / "x.wav", title="Xylophone")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args, **_kw: str(tmp_path / "music"))
    window = make_window()
    hint = window.table.empty_hint
    qtbot.waitUntil(lambda: hint.isVisible(), timeout=20_000)
    assert hint.text.text().startswith("<b>Your library is empty.</b>") and hint.open_folder.isVisible()
    assert hint.text.height() >= 3 * hint.text.fontMetrics().height(), "every line of it shows"
    assert not window.detail.broad_view.isVisible(), "no track: no 'Not analysed' either"
    qtbot.mouseClick(hint.open_folder, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1 and _idle(window), timeout=20_000)
    assert not hint.isVisible()
    window.search.setText("zither")
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 0 and _idle(window) and hint.isVisible())
    assert hint.text.text() == "<b>No track matches the search.</b>" and not hint.add_files.isVisible()


N = 5000


@pytest.fixture
def analysed_library(library):
    insert_tracks(library, N)
    model = insert_model(library, origin="test")
    insert_analyses(library, model, range(1, N // 2 + 1))
    return library, model


def test_sidebar_counts_predicted_genres_from_the_database(qtbot, make_window, analysed_library):
    window = make_window(_ccmusic())
    qtbot.waitUntil(lambda: _idle(window) and window.sidebar.item_for(Scope("artist", "Artist 000")) is not None,
                    timeout=20_000)
    analysed = range(1, N // 2 + 1)
    for genre in GENRES:
        expected = sum(1 for t in analysed if predicted_index(t) == genre.index)
        assert window.sidebar.item_for(Scope("predicted", genre.key)).text(1) == f"{expected:,}"
    assert window.sidebar.item_for(Scope("not_analysed")).text(1) == f"{N - N // 2:,}"
    low = sum(1 for t in analysed if confidence_of(t) < window.settings.low_confidence)
    assert window.sidebar.item_for(Scope("low_confidence")).text(1) == f"{low:,}"
    assert window.sidebar.item_for(Scope("all")).text(1) == f"{N:,}"
    assert window.sidebar.item_for(Scope("tag_genre", "Jazz")).text(1) == f"{N // 5:,}"
    assert "TEST model" in window.sidebar._predicted.text(0), "test predictions are labelled"

    window.sidebar.select_scope(Scope("predicted", "Opera"))
    expected = sum(1 for t in analysed if predicted_index(t) == 1)
    qtbot.waitUntil(lambda: window.table_model.rowCount() == expected and _idle(window))
    first = window.table_model.index(0, COLUMN_INDEX["predicted"])
    assert window.table_model.data(first) == "Opera [test]"


def test_search_box_and_sorting(qtbot, make_window, analysed_library):
    window = make_window()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == N and _idle(window), timeout=20_000)
    window.menus.find.trigger()
    qtbot.keyClicks(window.search, 'artist:"Artist 007" year:1967')
    expected = [i for i in range(N) if i % 50 == 7 and i % 60 == 7]
    qtbot.waitUntil(lambda: window.table_model.rowCount() == len(expected) and _idle(window))
    window.search.clear()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == N and _idle(window))
    window.table.sortByColumn(COLUMN_INDEX["title"], Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: window.table_model.view.sort == "title" and _idle(window))
    assert window.table_model.row(0).title == f"Song {N - 1:06d}"


def test_settings_round_trip(tmp_path):
    path = tmp_path / "settings.ini"
    settings = AppSettings(path)
    assert (settings.library_folders, settings.rescan_on_start, settings.device) == ([], True, "auto")
    settings.library_folders = ["/music/a", "/music/b", "/music/a"]
    settings.rescan_on_start = False
    settings.device = "cuda"
    settings.low_confidence = 0.55
    settings.sync()
    again = AppSettings(path)
    assert again.library_folders == ["/music/a", "/music/b"]
    assert again.rescan_on_start is False and again.device == "cuda" and again.low_confidence == 0.55
    again.library_folders = ["/only"]
    assert AppSettings(path).library_folders == ["/only"]
    with pytest.raises(ValueError):
        again.device = "tpu"


def test_window_layout_is_restored(qtbot, make_window):
    first = make_window()
    first.resize(790, 560)  # within the offscreen screen (800 x 600): restoring clamps to the screen
    first.splitter.setSizes([200, 240, 330])
    sizes = first.splitter.sizes()
    first.table.setColumnWidth(COLUMN_INDEX["album"], 333)
    first.close()
    second = make_window()
    assert second.size() == first.size()
    assert second.splitter.sizes() == sizes
    assert second.table.columnWidth(COLUMN_INDEX["album"]) == 333


def test_threshold_setting_changes_low_confidence(qtbot, make_window, analysed_library):
    window = make_window(_ccmusic())
    qtbot.waitUntil(lambda: _idle(window) and window.sidebar.item_for(Scope("low_confidence")).text(1) != "",
                    timeout=20_000)
    window.settings.low_confidence = 0.75
    window.apply_settings()
    analysed = range(1, N // 2 + 1)
    expected = sum(1 for t in analysed if confidence_of(t) < 0.75)
    qtbot.waitUntil(lambda: window.sidebar.item_for(Scope("low_confidence")).text(1) == f"{expected:,}")
    assert window.sidebar.item_for(Scope("low_confidence")).text(0) == "Low confidence (< 75%)"


def test_local_paths_from_urls():
    paths, others = local_paths([QUrl.fromLocalFile("/a b/c.mp3"), QUrl("https://x.org/y.mp3")])
    assert paths == ["/a b/c.mp3"] and others == ["https://x.org/y.mp3"]


def test_dropped_tracks_are_analysed_with_a_test_model_and_labelled(qtbot, make_window, tmp_path, random_checkpoint):
    from desktop_app.inference import model_store

    model_store.import_model(random_checkpoint.path, origin="test")
    for i, name in enumerate(["one.wav", "two.flac"]):
        write_audio(tmp_path / "songs" / name, seconds=2, freq=220.0 * (i + 1), title=name)
    window = make_window(_ccmusic())
    assert window.analysis.has_model
    window.intake.add_paths([str(tmp_path / "songs")])
    qtbot.waitUntil(lambda: window.sidebar.item_for(Scope("not_analysed")).text(1) == "0" and _idle(window)
                    and not window.analysis.busy, timeout=120_000)
    assert window.model_info is not None and window.model_info.is_test
    assert window.banner.state == "test", "random weights are never presented as real"
    assert window.model_label.text().startswith("TEST CCMusic VGG19_BN CQT · sha256 ")
    predicted = [window.table_model.data(window.table_model.index(r, COLUMN_INDEX["predicted"])) for r in range(2)]
    assert all(text.endswith(" [test]") for text in predicted)
    counted = sum(int(window.sidebar.item_for(Scope("predicted", g.key)).text(1)) for g in GENRES)
    assert counted == 2
    assert "with TEST weights" in window.status_text.text()
    shown = window.detail.current_track()
    assert shown.title == "one.wav" and shown.analysis.model_origin == "test"
    assert len(shown.analysis.probabilities) == len(GENRES)
    assert set(shown.analyses) == {"ccmusic", "musicnn-msd", "musicnn-mtt", "broad-genre"}, "the tagger ran first"
    assert "Built-in tagger tagged 2 tracks, CCMusic analysed 2" in window.status_text.text()

    window.table.selectAll()
    window.menus.analyse.trigger()
    qtbot.waitUntil(lambda: not window.analysis.busy)
    assert window.status_text.text() == "Nothing to analyse: the models have analysed those tracks already."


def test_next_and_previous_follow_the_table(qtbot, make_window, analysed_library):
    window = make_window()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == N and _idle(window), timeout=20_000)
    window.table.selectRow(0)
    first = window.detail.current_track().id
    window.detail.player.request_next()
    assert window.table.currentIndex().row() == 1
    assert window.detail.current_track().id == window.table_model.track_id(1) != first
    window.detail.player.request_previous()
    assert window.table.currentIndex().row() == 0 and window.detail.current_track().id == first


def test_a_thousand_files_dropped_one_by_one(qtbot, make_window, tmp_path):
    files = [write_audio(tmp_path / "many" / f"{i:04d}.wav", seconds=1 if i == 0 else 0.05, title=f"Many {i:04d}")
             for i in range(1200)]  # the first is selected and shown: long enough for a spectrogram
    window = make_window()
    _drop(window, _mime(*files))
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1200 and _idle(window), timeout=120_000)
    qtbot.waitUntil(lambda: window.table.pending_select is None)
    assert window.detail.current_track().title == "Many 0000"
    assert "1,200 tracks ready" in window.status_text.text()
    assert window.table_model.resets <= window.table_model.started_generation


def test_open_folder_remembers_it_and_start_up_rescans_it(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    folder = tmp_path / "library"
    write_audio(folder / "one.wav", title="One")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    window = make_window()
    window.menus.open_folder.trigger()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1 and _idle(window), timeout=20_000)
    assert window.settings.library_folders == [str(folder)]
    window.close()

    write_audio(folder / "two.wav", title="Two")
    again = make_window()
    again.start_up()
    qtbot.waitUntil(lambda: again.table_model.rowCount() == 2 and _idle(again), timeout=20_000)
    again.settings.rescan_on_start = False
    write_audio(folder / "three.wav", title="Three")
    third = make_window()
    third.start_up()
    qtbot.waitUntil(lambda: _idle(third))
    assert third.table_model.rowCount() == 2 and not third.scans.busy


def test_settings_dialog_edits_the_settings(qtbot, tmp_path):
    from desktop_app.gui.settings_dialog import SettingsDialog
    from desktop_app.gui.workers import JobRunner

    settings = AppSettings(tmp_path / "settings.ini")
    settings.library_folders = ["/music/a", "/music/b"]
    jobs = JobRunner()
    dialog = SettingsDialog(settings, jobs)
    qtbot.addWidget(dialog)
    dialog.folders.setCurrentRow(0)
    dialog.folders.item(0).setSelected(True)
    dialog._remove_folder()
    dialog.rescan.setChecked(False)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.threshold.setValue(65)
    dialog.apply()
    again = AppSettings(tmp_path / "settings.ini")
    assert again.library_folders == ["/music/b"] and again.rescan_on_start is False
    assert again.device == "cpu" and again.low_confidence == 0.65
    jobs.shutdown()


def test_cancel_stops_the_analysis_queue(qtbot, make_window, tmp_path, random_checkpoint):
    from desktop_app.inference import model_store

    model_store.import_model(random_checkpoint.path, origin="test")
    for i in range(12):
        write_audio(tmp_path / "songs" / f"{i:02d}.wav", seconds=2, freq=110.0 * (i + 1))
    window = make_window()
    progress = []
    window.analysis.progress.connect(lambda p: progress.append(p.done))
    window.intake.add_paths([str(tmp_path / "songs")])
    qtbot.waitUntil(lambda: any(done >= 1 for done in progress), timeout=120_000)
    window.menus.cancel.trigger()
    qtbot.waitUntil(lambda: not window.analysis.busy, timeout=60_000)
    assert window.status_text.text().startswith("Analysis stopped.")
    qtbot.waitUntil(lambda: _idle(window))
    analysed = 12 - int(window.sidebar.item_for(Scope("not_analysed")).text(1))
    assert 1 <= analysed < 12
    assert not window.progress.isVisible()


def test_a_dropped_folder_of_real_music_gets_broad_genres_with_nothing_installed(qtbot, make_window, tmp_path):
    """The newcomer's first minutes: no model installed, a folder dropped, real broad genres appear."""
    import shutil

    from tests.real_music import RECORDINGS, recording_path

    music = tmp_path / "music"
    music.mkdir()
    for recording in RECORDINGS:
        if recording.key in ("armygeddon", "solarwolf"):
            shutil.copy(recording_path(recording), music / f"{recording.key}.ogg")
    window = make_window()
    _drop(window, _mime(music))
    qtbot.waitUntil(lambda: _idle(window) and not window.analysis.busy
                    and window.sidebar.item_for(Scope("not_analysed")).text(1) == "0", timeout=300_000)
    assert window.model_info is not None and window.model_info.name == "broad-genre"
    assert window.sidebar.item_for(Scope("predicted", "Metal")).text(1) == "1"
    electronic = [window.sidebar.item_for(Scope("predicted", key)).text(1) for key in ("Dance", "Electronic")]
    assert sorted(electronic) == ["0", "1"]
    assert not window.banner.isVisible()
    rows = {Path(window.table_model.row(r).path).name: r for r in range(window.table_model.rowCount())}
    metal_row = rows["armygeddon.ogg"]
    assert window.table_model.data(window.table_model.index(metal_row, COLUMN_INDEX["predicted"])) == "Metal"
    assert window.table_model.headerData(COLUMN_INDEX["predicted"], Qt.Orientation.Horizontal) == "Broad genre"
    assert "Built-in tagger tagged 2 tracks" in window.status_text.text()


def test_a_start_up_with_nothing_to_analyse_never_imports_torch(tmp_path, cli_env):
    """The analysis queue runs at every start; torch (and its GIL-holding import) waits for work."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QEventLoop, QTimer\n"
        "from desktop_app.gui.app import application\n"
        "app = application()\n"
        "from desktop_app.gui.main_window import MainWindow\n"
        "from desktop_app.gui.settings import AppSettings\n"
        "from desktop_app.library.database import open_library\n"
        "window = MainWindow(open_library(Path(sys.argv[1])), AppSettings())\n"
        "window.show()\n"
        "window.start_up([])\n"
        "loop = QEventLoop()\n"
        "QTimer.singleShot(1500, loop.quit)\n"
        "loop.exec()\n"
        "print('torch' in sys.modules, window.analysis.busy)\n"
        "window.close()\n"
        "window.shutdown()\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "lib.sqlite3")], env=cli_env,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split()[-2:] == ["False", "False"], done.stdout + done.stderr[-2000:]


def test_help_about_says_where_the_log_file_is(qtbot, make_window):
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

    from desktop_app.config.logs import log_path

    window = make_window()
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, read_and_close)

    QTimer.singleShot(0, read_and_close)
    actions = {a.text(): a for a in window.menus.by_name["help"].actions()}
    actions["&About Genrescope"].trigger()  # modal: returns once the box is closed
    assert len(shown) == 1 and "Log file" in shown[0] and str(log_path()) in shown[0]
