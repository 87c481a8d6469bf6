"""Several programs on one library at once: scans racing each other, the window reading (and
scanning) while the command line scans, classify while a scan marks files missing. No "database
is locked" reaches anyone, no row is lost or doubled, and the database stays intact.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.audio_files import write_audio
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


def folder_of_copies(folder: Path, count: int, **tags: str) -> list[Path]:
    first = write_audio(folder / "00000.mp3", **tags)
    files = [first] + [folder / f"{i:05}.mp3" for i in range(1, count)]
    for path in files[1:]:
        shutil.copyfile(first, path)
    return files


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*GENRESCOPE, *args, "--json"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 300) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    assert "locked" not in err
    return json.loads(out)


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def test_scans_at_once_of_the_same_and_of_different_folders(tmp_path, cli_env):
    a = folder_of_copies(tmp_path / "A", 1500, title="a", genre="Rock; Pop")
    b = folder_of_copies(tmp_path / "B", 1500, title="b", genre="Jazz; Soul")
    db = str(tmp_path / "lib.sqlite3")
    for round_ in range(3):  # a new library (racing migrations), then rescans racing updates
        runs = [start(["scan", *roots, "--db", db], cli_env)
                for roots in ([str(tmp_path / "A")], [str(tmp_path / "A")], [str(tmp_path / "A"), str(tmp_path / "B")],
                              [str(tmp_path / "B")])]
        summaries = [finish(run) for run in runs]
        assert all(s["errors"] == 0 for s in summaries), round_
        assert query(db, "SELECT count(*), count(DISTINCT path) FROM tracks") == [(3000, 3000)], round_
        per_track = query(db, "SELECT count(*) FROM tracks t WHERE (SELECT count(*) FROM tag_genres g "
                              "WHERE g.track_id = t.id) != 2")
        assert per_track == [(0,)], f"every track has its two genres, once (round {round_})"
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        for path in a[::3] + b[::5]:  # edited since: the next scans update these concurrently
            path.touch()


def test_the_window_reads_and_scans_while_the_command_line_scans(qtbot, tmp_path, cli_env, caplog):
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.settings import AppSettings
    from desktop_app.library.database import open_library

    folder_of_copies(tmp_path / "cli", 4000, title="cli", genre="Rock")
    folder_of_copies(tmp_path / "gui", 1000, title="gui", genre="Pop")
    db = tmp_path / "lib.sqlite3"
    library = open_library(db)
    window = MainWindow(library, AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.show()
    statuses: list[str] = []
    show_status = window.set_status
    window.set_status = lambda text: (statuses.append(text), show_status(text))  # type: ignore[method-assign]
    caplog.set_level(logging.WARNING)

    scan = start(["scan", str(tmp_path / "cli"), "--db", str(db)], cli_env)
    reloads = 0
    window.intake.add_paths([str(tmp_path / "gui")])  # the window writes too, while the CLI writes
    while scan.poll() is None or window.scans.busy:
        window.table_model.request_reload()
        window._counts.request()
        reloads += 1
        qtbot.wait(30)
    assert finish(scan)["errors"] == 0
    qtbot.waitUntil(lambda: not window.scans.busy and not window.table_model.is_reloading, timeout=60_000)
    window.table_model.request_reload()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 5000 and not window.table_model.is_reloading,
                    timeout=60_000)
    trouble = [t for t in statuses if "locked" in t or "stopped" in t] + [
        r.getMessage() for r in caplog.records if "locked" in r.getMessage() or r.levelno >= logging.ERROR]
    assert not trouble, trouble
    assert reloads > 10, "the window kept reading during the scan"
    assert "1,000 tracks ready" in window.status_text.text()
    window.close()
    library.close()
    assert query(db, "SELECT count(*), count(DISTINCT path) FROM tracks") == [(5000, 5000)]


def test_classify_while_a_scan_marks_files_missing(tmp_path, cli_env, random_checkpoint):
    music = tmp_path / "music"
    files = [write_audio(music / f"{i:02}.wav", seconds=2.0, freq=150.0 + 17 * i) for i in range(40)]
    db = tmp_path / "lib.sqlite3"
    finish(start(["scan", str(music), "--db", str(db)], cli_env))
    env = {**cli_env, "GENRESCOPE_WEIGHTS": str(random_checkpoint.path)}
    classify = start(["classify", "--model", "ccmusic", "--db", str(db)], env)
    deadline = time.monotonic() + 120
    while query(db, "SELECT count(*) FROM analyses")[0][0] < 3:
        assert classify.poll() is None and time.monotonic() < deadline, "classify did not get going"
        time.sleep(0.02)
    parked = tmp_path / "parked"
    parked.mkdir()
    moved = files[:2] + files[-12:]  # two analysed already, the rest not yet
    for path in moved:
        shutil.move(path, parked / path.name)
    scanned = finish(start(["scan", str(music), "--db", str(db)], cli_env))
    classified = finish(classify)

    assert scanned["missing"] == len(moved)
    # Workers claim tracks in batches of available ones: a file that vanished before its batch was
    # claimed is no longer work (the scan marked it missing); one claimed already fails "file not
    # found". Either way every track still here has its analysis, and none was counted twice.
    assert query(db, "SELECT count(*) FROM tracks WHERE available "
                     "AND id NOT IN (SELECT track_id FROM analyses WHERE error IS NULL)") == [(0,)]
    assert 40 - len(moved) <= classified["analysed"] + classified["failed"] + 3 <= 40
    assert all(e["reason"] == "file not found" for e in classified["error_files"])
    assert query(db, "SELECT count(*), sum(available) FROM tracks") == [(40, 40 - len(moved))]
    analysed_before = query(db, "SELECT track_id, top1 FROM analyses WHERE error IS NULL ORDER BY track_id")
    assert query(db, "PRAGMA integrity_check") == [("ok",)]

    for path in moved:  # back again: the same rows, with their analyses
        shutil.move(parked / path.name, path)
    assert finish(start(["scan", str(music), "--db", str(db)], cli_env))["updated"] == len(moved)
    assert query(db, "SELECT count(*), sum(available) FROM tracks") == [(40, 40)]
    assert query(db, "SELECT track_id, top1 FROM analyses WHERE error IS NULL ORDER BY track_id") == analysed_before

