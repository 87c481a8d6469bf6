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


def test_remove_says_what_would_go_then_removes_with_yes_and_leaves_the_files(tmp_path, cli_env):
    music = tmp_path / "music"
    for name in ("a", "b"):
        write_audio(music / "keep" / f"{name}.wav", title=name)
        write_audio(music / "podcasts" / f"{name}.wav", title=name)
    db = ["--db", str(tmp_path / "lib.sqlite3")]
    assert run(["scan", str(music), *db], cli_env).returncode == 0

    def paths() -> list[str]:
        return sorted(json.loads(line)["path"] for line in run(["tracks", *db, "--json"], cli_env).stdout.splitlines())

    dry = run(["remove", str(music / "podcasts"), *db], cli_env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Would remove 2 tracks with 0 analyses and 0 playlist entries") and "--yes" in dry.stdout
    assert len(paths()) == 4, "without --yes nothing goes"
    done = run(["remove", str(music / "podcasts"), "--yes", "--json", *db], cli_env)
    assert json.loads(done.stdout) == {"removed": True, "tracks": 2, "analyses": 0, "playlist_entries": 0}
    assert paths() == [str(music / "keep" / "a.wav"), str(music / "keep" / "b.wav")]
    assert (music / "podcasts" / "a.wav").is_file(), "the files are untouched"

    (music / "keep" / "b.wav").unlink()
    assert run(["scan", str(music / "keep"), *db], cli_env).returncode == 0  # the whole of music: podcasts again
    missing = run(["remove", "--missing", "--yes", *db], cli_env)
    assert missing.stdout.startswith("Removed 1 track with 0 analyses and 0 playlist entries from the library")
    assert paths() == [str(music / "keep" / "a.wav")]
    assert run(["remove", str(tmp_path / "elsewhere"), *db], cli_env).stdout == "No tracks in the library there.\n"
    refused = run(["remove", *db], cli_env)
    assert refused.returncode == 2 and "--missing" in refused.stderr


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
