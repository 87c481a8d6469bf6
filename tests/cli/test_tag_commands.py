"""`genrescope tag write` and `tag undo` on real files: the dry run prints exactly what would change
and writes nothing; a model's genres above the confidence are written; undo puts the old ones back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desktop_app.genres.taxonomy import CCMUSIC
from desktop_app.library.analyses import AnalysisRecord, register_model, save_analyses
from desktop_app.library.database import open_library
from desktop_app.library.genre_fields import read_genre_field
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GENRESCOPE, *args], env=env, capture_output=True, text=True, timeout=120)


def _library(tmp_path: Path) -> tuple[Path, list[Path]]:
    music = tmp_path / "music"
    files = [write_audio(music / sub / f"{i}.mp3", genre="Rock") for i, sub in enumerate(["a", "a", "b"])]
    db = tmp_path / "lib.sqlite3"
    with open_library(db) as library:
        Scanner(library, executor="inline").scan([music])
        with library.writer.begin() as conn:
            model = register_model(conn, "c" * 64, "test", "test", list(CCMUSIC.keys), name="ccmusic")
            key = CCMUSIC.labels[1].key
            save_analyses(conn, model, [(i, AnalysisRecord(top1=key, confidence=c)) for i, c in ((1, 0.9), (2, 0.3), (3, 0.8))])
    return db, files


def test_dry_run_then_write_then_undo(tmp_path, cli_env):
    db, files = _library(tmp_path)
    genre = CCMUSIC.labels[1].display_name
    before = [f.read_bytes() for f in files]
    args = ["tag", "write", "--db", str(db), "--genre-from", "ccmusic", "--min-confidence", "0.5",
            "--tracks", str(tmp_path / "music" / "a")]
    dry = _run(cli_env, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"{files[0]}: Rock → {genre}  (90%)",
        "1 files would be written (dry run: nothing was written), 0 left alone",
    ]
    assert [f.read_bytes() for f in files] == before, "a dry run writes nothing"

    done = _run(cli_env, *args, "--json")
    report = json.loads(done.stdout)
    assert [(w["path"], w["old"], w["new"]) for w in report["written"]] == [(str(files[0]), ["Rock"], [genre])]
    assert [read_genre_field(str(f)).values for f in files] == [(genre,), ("Rock",), ("Rock",)]
    tracks = [json.loads(line) for line in _run(cli_env, "tracks", "--db", str(db), "--json").stdout.splitlines()]
    assert [t["tag_genre"] for t in tracks] == [genre, "Rock", "Rock"]

    undone = _run(cli_env, "tag", "undo", "--db", str(db), str(report["batch_id"]))
    assert undone.returncode == 0, undone.stderr
    assert [f.read_bytes() for f in files][1:] == before[1:]
    assert read_genre_field(str(files[0])).values == ("Rock",)
    again = _run(cli_env, "tag", "undo", "--db", str(db))
    assert again.returncode == 2 and "nothing to undo" in again.stderr


def test_typed_genre_by_search_and_add_mode_and_refusals(tmp_path, cli_env):
    db, files = _library(tmp_path)
    files[2].chmod(0o444)
    done = _run(cli_env, "tag", "write", "--db", str(db), "--genre", "Film score", "--mode", "add", "--json")
    report = json.loads(done.stdout)
    assert [w["new"] for w in report["written"]] == [["Rock", "Film score"]] * 2
    assert report["left_alone"] == [{"path": str(files[2]), "reason": "read-only file"}]
    batches = [json.loads(line) for line in _run(cli_env, "tag", "batches", "--db", str(db), "--json").stdout.splitlines()]
    assert [(b["source"], b["mode"], b["files"]) for b in batches] == [("typed", "add", {"written": 2})]
    unknown = _run(cli_env, "tag", "write", "--db", str(db), "--genre-from", "my-genres")
    assert unknown.returncode == 2 and "has analysed no track yet" in unknown.stderr
