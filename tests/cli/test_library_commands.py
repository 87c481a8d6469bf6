"""`genrescope scan` and `genrescope tracks` as a person runs them: real processes, real files."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.audio_files import write_audio

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(GENRESCOPE + args, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def test_scan_json_summary_and_tracks_json_lines(tmp_path, cli_env):
    music = tmp_path / "music"
    write_audio(music / "ok.flac", title="Ça va", artist="Zoë", album="Été", genre="Pop")
    (music / "broken.mp3").write_bytes(b"\x00" * 100)
    db = tmp_path / "lib.sqlite3"

    done = run(["scan", str(music), "--db", str(db), "--json"], cli_env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "missing", "errors")} == {
        "added": 2, "updated": 0, "unchanged": 0, "missing": 0, "errors": 1}
    assert isinstance(summary["seconds"], float)
    assert summary["error_files"][0]["path"] == str(music / "broken.mp3")
    assert summary["error_files"][0]["reason"]

    listed = run(["tracks", "--db", str(db), "--json"], cli_env)
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [set(line) for line in lines] == [
        {"id", "path", "title", "artist", "album", "duration", "tag_genre", "available", "error", "predictions"}] * 2
    assert all(line["predictions"] == {} for line in lines), "nothing analysed yet"
    by_name = {Path(line["path"]).name: line for line in lines}
    assert (by_name["ok.flac"]["title"], by_name["ok.flac"]["artist"], by_name["ok.flac"]["tag_genre"]) == ("Ça va", "Zoë", "Pop")
    assert by_name["broken.mp3"]["error"] == summary["error_files"][0]["reason"]
    assert by_name["ok.flac"]["available"] is True


def test_database_location_comes_from_the_environment_then_the_data_folder(tmp_path, cli_env):
    music = tmp_path / "music"
    write_audio(music / "a.wav")
    env_db = tmp_path / "from-env.sqlite3"
    assert run(["scan", str(music)], {**cli_env, "GENRESCOPE_DB": str(env_db)}).returncode == 0
    assert env_db.exists()
    assert run(["scan", str(music)], cli_env).returncode == 0
    assert (Path(cli_env["GENRESCOPE_DATA_DIR"]) / "library.sqlite3").exists()


def test_no_arguments_and_version(cli_env):
    assert run(["--version"], cli_env).stdout.startswith("genrescope ")
    scan_help = run(["scan", "--help"], cli_env)
    assert "example" in scan_help.stdout and "--json" in scan_help.stdout


def test_kill_during_scan_leaves_a_consistent_database_that_the_next_scan_completes(tmp_path, cli_env):
    music = tmp_path / "music"
    first = write_audio(music / "00000.mp3", title="t", artist="a", genre="Rock; Pop")
    for i in range(1, 4000):
        shutil.copy(first, music / f"{i:05}.mp3")
    db = tmp_path / "lib.sqlite3"

    proc = subprocess.Popen(GENRESCOPE + ["scan", str(music), "--db", str(db)], env=cli_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and committed == 0:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    committed = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
            except sqlite3.OperationalError:
                pass  # schema not created yet
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < committed < 4000, "the kill must land mid-scan"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tracks, genres = conn.execute("SELECT count(*), (SELECT count(*) FROM tag_genres) FROM tracks").fetchone()
        assert genres == 2 * tracks, "a track and its genres are committed together or not at all"

    done = run(["scan", str(music), "--db", str(db), "--json"], cli_env)
    summary = json.loads(done.stdout)
    assert summary["added"] + summary["unchanged"] == 4000
    assert summary["unchanged"] == tracks
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tracks").fetchone()[0] == 4000
