"""kill -9 at random moments of `genrescope tag write`: every file stays whole and playable, its
audio bytes unchanged, its genre either all old or all new; `tag undo` afterwards restores every
file's genre from before the first batch.

The moments are drawn from a seeded generator (the seed is in every failure message): each run
is killed once its batch is recorded in the library, at a random moment of the writing that
follows, or (every fourth run) at any moment from its start. Each run writes a genre of its own
over files of five formats.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import time
from pathlib import Path

from desktop_app.library.file_replace import temp_pattern
from desktop_app.library.genre_fields import read_genre_field
from desktop_app.temp_files import MIN_AGE_SECONDS
from tests.library.test_crash_safety import GENRESCOPE, SEED, after, assert_intact, count, kill_when, run_to_end, start
from tests.tagged_formats import audio_payload, decodes, write_tagged

FILES = 60
RUNS = 12
KINDS = ("mp3", "flac", "ogg", "m4a", "wv")


def _digest(path: Path) -> str:
    return hashlib.sha256(audio_payload(path)).hexdigest()


def test_tag_write_killed_at_random_moments_loses_nothing(tmp_path, cli_env):
    rng = random.Random(SEED + 15)
    music = tmp_path / "music"
    files = [write_tagged(music / f"{i:03}.{KINDS[i % len(KINDS)]}", seconds=0.5, freq=200.0 + 7 * i)
             for i in range(FILES)]
    original = {path: read_genre_field(str(path)).values for path in files}
    payloads = {path: _digest(path) for path in files}
    db = tmp_path / "lib.sqlite3"
    run_to_end(["scan", str(music), "--db", str(db)], cli_env)

    phase = _writing_phase(tmp_path, music, db, cli_env)

    current = dict(original)
    kills = partial = 0
    for run in range(RUNS):
        note = f"run {run}, seed {SEED + 15}"
        genre = f"Genre {run}"
        batches = _batches(db)
        proc = start(["tag", "write", "--genre", genre, "--db", str(db)], cli_env)
        if run % 4 == 3:
            kills += kill_when(proc, after(rng.uniform(0, 1.0)))
        else:
            delay = rng.uniform(0, 0.8 * phase)
            recorded: list[float] = []

            def ready() -> bool:
                if not recorded and _batches(db) > batches:
                    recorded.append(time.monotonic() + delay)
                return bool(recorded) and time.monotonic() >= recorded[0]

            kills += kill_when(proc, ready)
        assert_intact(db, note)
        written = 0
        for path in files:
            values = read_genre_field(str(path)).values
            assert values in (current[path], (genre,)), f"{path.name} holds {values} ({note})"
            assert _digest(path) == payloads[path], f"{path.name}'s audio changed ({note})"
            assert decodes(path), f"{path.name} does not decode ({note})"
            written += values == (genre,)
            current[path] = values
        partial += 0 < written < FILES
    assert kills >= RUNS * 2 // 3, f"only {kills} runs were killed before finishing ({SEED + 15})"
    assert partial >= 3, f"only {partial} kills landed in the middle of a batch ({SEED + 15})"

    time.sleep(MIN_AGE_SECONDS)  # the killed runs' copies are old enough to be swept
    summary = run_to_end(["tag", "write", "--genre", "Last", "--db", str(db)], cli_env)
    assert len(summary["written"]) == FILES and not summary["left_alone"], summary["left_alone"]
    undone = 0
    while True:
        done = subprocess.run([*GENRESCOPE, "tag", "undo", "--db", str(db), "--json"], env=cli_env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode == 2:
            assert "nothing to undo" in done.stderr
            break
        assert done.returncode == 0, done.stderr[-3000:]
        assert not json.loads(done.stdout)["left_alone"], done.stdout
        undone += 1
    assert undone >= 2
    for path in files:
        assert read_genre_field(str(path)).values == original[path], path.name
        assert _digest(path) == payloads[path] and decodes(path)
    assert not list(music.glob(temp_pattern())), "no temporary copy is left"
    scan = run_to_end(["scan", str(music), "--db", str(db)], cli_env)
    assert scan["unchanged"] == FILES, "the library knows every file as it is"


def _batches(db: Path) -> int:
    return count(db, "tag_batches")


def _writing_phase(tmp_path: Path, music: Path, db: Path, env: dict[str, str]) -> float:
    """Seconds from a batch's record to the end of its run, on a copy of the files and library."""
    copy = tmp_path / "timing"
    shutil.copytree(music, copy / "music")
    timing_db = copy / "lib.sqlite3"
    run_to_end(["scan", str(copy / "music"), "--db", str(timing_db)], env)
    proc = start(["tag", "write", "--genre", "Timing", "--db", str(timing_db)], env)
    while proc.poll() is None and not _batches(timing_db):
        time.sleep(0.01)
    started = time.monotonic()
    assert proc.wait(120) == 0
    return time.monotonic() - started
