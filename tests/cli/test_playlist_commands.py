"""`genrescope playlist …` as a person runs it: real processes on a scanned, analysed library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.library.database import open_library
from tests.playlist_support import analyse, make_songs

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "lib.sqlite3"
    with open_library(path) as library:
        songs = make_songs(library, tmp_path / "music")
        a, b, c, d = songs.ids
        analyse(library, {a: ("Soft_rock", 0.9), b: ("Soft_rock", 0.45), c: ("Opera", 0.8), d: ("Soft_rock", 0.7)})
    return path, songs


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(GENRESCOPE + args, env=env, capture_output=True, text=True, timeout=300)


def run_json(args: list[str], env: dict[str, str]):
    done = run([*args, "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_json_lines(args: list[str], env: dict[str, str]) -> list:
    done = run([*args, "--json"], env)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_create_list_show_export_and_delete_as_json(db, cli_env, tmp_path):
    path, songs = db
    a, b, c, d = songs.ids
    opt = ["--db", str(path)]
    created = run_json(["playlist", "create", "Soft", "--genre", "soft rock", "--min-confidence", "0.5", *opt], cli_env)
    assert created == {"id": created["id"], "name": "Soft", "kind": "manual", "genre": "Soft_rock",
                       "model": "ccmusic", "min_confidence": 0.5, "tracks": 2}
    smart = run_json(["playlist", "create", "Soft smart", "--genre", "SOFT_ROCK", "--smart", *opt], cli_env)
    assert (smart["kind"], smart["tracks"], smart["min_confidence"]) == ("smart", 3, 0.4)

    listed = run_json_lines(["playlist", "list", *opt], cli_env)
    assert [(p["name"], p["kind"], p["tracks"]) for p in listed] == [("Soft", "manual", 2), ("Soft smart", "smart", 3)]
    assert listed[1]["rules"]["rules"][0] == {"field": "predicted", "values": ["Soft_rock"]}

    shown = run(["playlist", "show", "soft smart", *opt, "--json"], cli_env)
    assert [json.loads(line)["id"] for line in shown.stdout.splitlines()] == [a, d, b]

    out = tmp_path / "lists" / "soft.xspf"
    out.parent.mkdir()
    exported = run_json(["playlist", "export", "Soft", "--format", "xspf", "--out", str(out), "--relative", *opt],
                        cli_env)
    assert exported == {"name": "Soft", "path": str(out), "format": "xspf", "written": 2, "skipped_unavailable": 0,
                        "absolute_fallbacks": 0}
    assert "../music/" in out.read_text(encoding="utf-8")

    assert run_json(["playlist", "delete", "SOFT", *opt], cli_env) == {"deleted": "Soft"}
    assert [p["name"] for p in run_json_lines(["playlist", "list", *opt], cli_env)] == ["Soft smart"]


def test_export_genres_writes_one_file_per_genre_with_tracks(db, cli_env, tmp_path):
    path, songs = db
    out = tmp_path / "genres"
    result = run_json(["playlist", "export-genres", "--model", "ccmusic", "--format", "m3u8", "--out-dir", str(out),
                       "--min-confidence", "0.6", "--db", str(path)], cli_env)
    assert [(p["name"], Path(p["path"]).name, p["written"]) for p in result["playlists"]] == [
        ("Opera", "Opera.m3u8", 1), ("Soft rock", "Soft rock.m3u8", 2)]
    assert sorted(f.name for f in out.iterdir()) == ["Opera.m3u8", "Soft rock.m3u8"]
    lines = (out / "Soft rock.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["#EXTM3U", "#PLAYLIST:Soft rock", "#EXTINF:1,Zoë Keating - Ça va 100% bien"]


def test_import_reports_what_it_could_not_find(db, cli_env, tmp_path):
    path, songs = db
    pls = tmp_path / "mix.pls"
    pls.write_text(f"[playlist]\nFile1={songs.paths[2]}\nFile2=missing.flac\nNumberOfEntries=2\nVersion=2\n",
                   encoding="utf-8")
    result = run_json(["playlist", "import", str(pls), "--name", "Mix", "--db", str(path)], cli_env)
    assert {k: result[k] for k in ("name", "entries", "added", "scanned")} == {
        "name": "Mix", "entries": 2, "added": 1, "scanned": 0}
    assert result["not_found"] == [{"entry": "missing.flac", "reason": f"no such file: {tmp_path / 'missing.flac'}"}]
    text = run(["playlist", "import", str(pls), "--db", str(path)], cli_env)
    assert text.returncode == 0
    assert "Imported 1 of 2 entries into playlist 'mix (2)'" in text.stdout  # names ignore case
    assert "missing.flac: no such file" in text.stderr


def test_mistakes_get_a_clear_message_and_a_failing_exit_code(db, cli_env, tmp_path):
    path, _songs = db
    opt = ["--db", str(path)]
    unknown = run(["playlist", "create", "X", "--genre", "soft rok", *opt], cli_env)
    assert unknown.returncode == 2 and "Did you mean: 'Soft rock'" in unknown.stderr
    assert run(["playlist", "create", "X", "--genre", "Opera", "--min-confidence", "80", *opt], cli_env).returncode == 2
    missing = run(["playlist", "export", "Nope", "--out", str(tmp_path / "x.pls"), *opt], cli_env)
    assert missing.returncode == 1 and "no playlist named 'Nope'" in missing.stderr
    run(["playlist", "create", "X", "--genre", "Opera", *opt], cli_env)
    taken = run(["playlist", "create", "x", "--genre", "Opera", *opt], cli_env)
    assert taken.returncode == 1 and "exists already" in taken.stderr
    no_format = run(["playlist", "export", "X", "--out", str(tmp_path / "x.txt"), *opt], cli_env)
    assert no_format.returncode == 2 and "--format" in no_format.stderr
