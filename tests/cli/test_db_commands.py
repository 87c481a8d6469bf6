"""`genrescope db map`, `db map --list` and `db unmap` as a person runs them, on a PostgreSQL library
shared by two machines (`GENRESCOPE_MACHINE` names each): mappings stored, listed, warned about,
refused, removed, and a scan from the second machine that adds nothing. `db migrate` is tested with
the copy itself (tests/library/test_library_copy.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.audio_files import write_audio

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


def run(args: list[str], env: dict[str, str], machine: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        GENRESCOPE + args, env={**env, "GENRESCOPE_MACHINE": machine}, capture_output=True, text=True, timeout=300
    )


def test_map_list_unmap_and_a_scan_from_the_mapped_machine(tmp_path: Path, cli_env, postgres_url):
    db = ["--db", postgres_url]
    a_music = tmp_path / "a" / "music"
    write_audio(a_music / "x.flac", title="X")
    assert run(["scan", str(a_music), *db], cli_env, "a").returncode == 0
    b_music = tmp_path / "b" / "music"
    shutil.copytree(a_music, b_music)

    done = run(["db", "map", str(a_music), str(b_music) + "/", *db], cli_env, "b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"b: {a_music} -> {b_music}" and done.stderr == ""
    nowhere = run(["db", "map", "/mnt/music", "/not/mounted", *db], cli_env, "b")
    assert nowhere.returncode == 0 and "warning: /not/mounted is not a folder on this machine" in nowhere.stderr
    other = run(["db", "map", "/mnt/music", "/not/here/either", "--machine", "c", *db], cli_env, "b")
    assert other.returncode == 0 and other.stderr == ""  # another machine's folders are not checked here
    refused = run(["db", "map", "relative/music", str(b_music), *db], cli_env, "b")
    assert refused.returncode == 1 and "not an absolute folder path" in refused.stderr

    listed = run(["db", "map", "--list", "--json", *db], cli_env, "b")
    assert [json.loads(line) for line in listed.stdout.splitlines()] == [
        {"machine": "b", "library_prefix": "/mnt/music", "local_prefix": "/not/mounted"},
        {"machine": "b", "library_prefix": str(a_music), "local_prefix": str(b_music)},
        {"machine": "c", "library_prefix": "/mnt/music", "local_prefix": "/not/here/either"},
    ]
    text = run(["db", "map", "--list", "--machine", "b", *db], cli_env, "b").stdout
    assert f"b: {a_music} -> {b_music}  (this machine)" in text and "c:" not in text

    scanned = run(["scan", str(b_music), "--json", *db], cli_env, "b")
    assert json.loads(scanned.stdout)["added"] == 0 and json.loads(scanned.stdout)["unchanged"] == 1
    tracks = [json.loads(line) for line in run(["tracks", "--json", *db], cli_env, "b").stdout.splitlines()]
    assert [t["path"] for t in tracks] == [str(a_music / "x.flac")]

    assert run(["db", "unmap", "/mnt/music", *db], cli_env, "b").returncode == 0
    again = run(["db", "unmap", "/mnt/music", *db], cli_env, "b")
    assert again.returncode == 1 and "b has no mapping of /mnt/music" in again.stderr
    assert len(run(["db", "map", "--list", "--json", *db], cli_env, "b").stdout.splitlines()) == 2
