"""`genrescope` with no command (or only paths) opens the window; commands stay headless."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop_app import cli
from desktop_app.gui.main_window import MainWindow
from tests.audio_files import write_audio

COMMANDS = ["scan", "tracks"]


@pytest.mark.parametrize(
    ("argv", "window"),
    [
        ([], True),
        (["song.mp3", "/music"], True),
        (["--db", "x.sqlite3"], True),
        (["--db=x.sqlite3", "./scan"], True),
        (["--db", "x.sqlite3", "scan", "/music"], False),
        (["scan", "/music"], False),
        (["tracks", "--json"], False),
        (["--help"], False),
        (["--version"], False),
    ],
)
def test_window_or_command(argv, window):
    assert cli._wants_window(argv, COMMANDS) is window


def test_paths_and_db_reach_the_window(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("desktop_app.gui.app.run", lambda paths, db: calls.append((paths, db)) or 0)
    assert cli.main(["--db", str(tmp_path / "l.sqlite3"), "a.mp3", "folder"]) == 0
    assert calls == [(["a.mp3", "folder"], str(tmp_path / "l.sqlite3"))]


def test_scan_command_still_runs_headless(tmp_path, capsys):
    write_audio(tmp_path / "m" / "a.wav")
    assert cli.main(["scan", str(tmp_path / "m"), "--db", str(tmp_path / "l.sqlite3"), "--json"]) == 0
    assert '"added": 1' in capsys.readouterr().out


def test_no_arguments_opens_the_window_with_dropped_paths(qapp, tmp_path):
    write_audio(tmp_path / "m" / "a.wav", title="Given on the command line")
    seen = {}
    deadline = time.monotonic() + 120

    def close_when_loaded() -> None:
        # Whatever happens here (an assertion, an exception, a slow load), the window closes, so
        # app.exec() returns and the test fails with a reason instead of hanging the run.
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        try:
            detail = window.detail
            loaded = detail.current_track() is not None and detail.spectrogram_view.spectrogram() is not None
            if loaded:
                seen["title"] = detail.current_track().title
            elif time.monotonic() < deadline:
                QTimer.singleShot(100, close_when_loaded)
                return
        except BaseException as error:
            seen["error"] = repr(error)
        window.close()

    QTimer.singleShot(0, close_when_loaded)
    assert cli.main([str(tmp_path / "m")]) == 0
    assert seen == {"title": "Given on the command line"}


def test_no_display_is_explained_not_a_qt_abort(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["GENRESCOPE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "desktop_app"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no display to open the window on" in done.stderr and "genrescope --help" in done.stderr


def test_the_library_is_named_in_messages_without_its_password(tmp_path):
    from desktop_app.gui.app import shown_location

    assert shown_location(tmp_path / "l.sqlite3") == str(tmp_path / "l.sqlite3")
    shown = shown_location("postgresql://ann:s3cret@db.example/music")
    assert "s3cret" not in shown and "ann" in shown and "music" in shown
    assert "s3cret" not in shown_location("postgresql://ann:s3cret@db.example")  # no database: invalid
