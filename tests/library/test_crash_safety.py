"""kill -9 at random moments: the database stays intact, nothing committed is lost, the next run
finishes the work, and no half-written file is left where the user looks.

The moments are drawn from a seeded generator (the seed is in every failure message); each
command is killed 20 times during `scan` and during `classify`. A classify start costs about
4 s (torch, the 488 MB model), so its runs kill once analyses are being committed, except every
fourth, which dies during start-up, model loading or the model's registration.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from desktop_app.inference.int8 import TEMP_PREFIX as INT8_TEMP_PREFIX
from desktop_app.inference.int8 import load_ranges
from desktop_app.inference.model_store import MANIFEST, TEMP_PREFIX, import_model, installed_model
from desktop_app.inference.precision_check import TEMP_PREFIX as VERDICT_TEMP_PREFIX
from desktop_app.inference.precision_check import calibration_path, load_verdict, verdict_path
from desktop_app.library.database import open_library
from desktop_app.library.playlist_formats import read_playlist
from desktop_app.temp_files import MIN_AGE_SECONDS
from tests.audio_files import write_audio
from tests.generated_library import insert_analyses, insert_model, insert_tracks
from tests.inference_fixtures import random_checkpoint, tmp_path  # noqa: F401 (fixtures)

GENRESCOPE = [sys.executable, "-m", "desktop_app"]
KILLS = 20
SEED = int(os.environ.get("GENRESCOPE_KILL_SEED", "20260601"))


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*GENRESCOPE, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False if it finished by itself first.

    Whatever it started (the scanner's forkserver, workers, resource tracker) must end with it.
    """
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready():
            try:
                descendants = psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                descendants = []
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            _, alive = psutil.wait_procs(descendants, timeout=15)
            assert not alive, f"{[p.pid for p in alive]} outlived the killed {proc.args[3]}"
            return True
        assert time.monotonic() < deadline, "the command neither finished nor reached the kill point"
        time.sleep(0.01)
    return False


def after(seconds: float) -> Callable[[], bool]:
    moment = time.monotonic() + seconds
    return lambda: time.monotonic() >= moment


def read_db(db: Path, query: str) -> list[tuple]:
    """Rows from a database another process may be writing (WAL: readers never wait)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def count(db: Path, table: str) -> int:
    try:
        return read_db(db, f"SELECT count(*) FROM {table}")[0][0]
    except sqlite3.OperationalError:  # not created yet, or the schema not there yet
        return 0


def assert_intact(db: Path, note: str) -> None:
    if db.exists():
        assert read_db(db, "PRAGMA integrity_check") == [("ok",)], note


def run_to_end(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([*GENRESCOPE, *args, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# --- scan ------------------------------------------------------------------------------------


def test_scan_killed_at_random_moments(tmp_path, cli_env):
    rng = random.Random(SEED)
    music = tmp_path / "music"
    template = write_audio(music / "00000.mp3", title="t", artist="a", genre="Rock; Pop")
    files = [template] + [music / f"{i:05}.mp3" for i in range(1, 2500)]
    for path in files[1:]:
        shutil.copyfile(template, path)
    started = time.monotonic()
    run_to_end(["scan", str(music), "--db", str(tmp_path / "timing.sqlite3")], cli_env)
    whole = time.monotonic() - started

    db = tmp_path / "lib.sqlite3"
    committed: set[tuple[int, str]] = set()
    kills = 0
    for run in range(KILLS):
        note = f"run {run}, seed {SEED}"
        if run % 5 == 0:  # a fresh library now and then: kills during creation and migration too
            for leftover in tmp_path.glob("lib.sqlite3*"):
                leftover.unlink()
            committed = set()
        for path in rng.sample(files, len(files) // 3):  # changed since: read and written again
            os.utime(path, (time.time(), time.time() - rng.randrange(1, 10**6)))
        kills += kill_when(start(["scan", str(music), "--db", str(db)], cli_env), after(rng.uniform(0, whole)))
        assert_intact(db, note)
        if count(db, "tracks"):
            rows = set(read_db(db, "SELECT id, path FROM tracks"))
            assert committed <= rows, f"committed tracks were lost ({note})"
            genres = read_db(db, "SELECT count(*) FROM tracks t WHERE (SELECT count(*) FROM tag_genres g "
                                 "WHERE g.track_id = t.id) != 2")
            assert genres == [(0,)], f"a track without its two genres ({note})"
            committed = rows
    assert kills >= KILLS // 2, f"only {kills} runs were killed before finishing ({SEED})"

    summary = run_to_end(["scan", str(music), "--db", str(db)], cli_env)
    assert summary["errors"] == 0 and summary["added"] + summary["updated"] + summary["unchanged"] == len(files)
    assert count(db, "tracks") == len(files) and count(db, "tag_genres") == 2 * len(files)
    assert run_to_end(["scan", str(music), "--db", str(db)], cli_env)["unchanged"] == len(files)


# --- classify --------------------------------------------------------------------------------

TRACKS = 60


def assert_models_folder(models: Path, model_file: str, note: str) -> None:
    """The model and its manifest untouched; beside them at most the precision check's verdicts
    (analyses start by checking reduced precision: int8 first where the CPU has it, whose
    calibration is kept beside its verdict), whole whenever they are there, and the temporary
    files of writes the kill interrupted (removed by a later write once abandoned)."""
    names = {p.name for p in models.iterdir()}
    assert {model_file, MANIFEST} <= names, note
    kept = set()
    for precision in ("int8", "bf16"):
        verdict = verdict_path(models, "ccmusic", "cpu", precision)
        if verdict.name in names:
            assert load_verdict(models, "ccmusic", "cpu", precision) is not None, f"a half-written verdict ({note})"
        calibration = calibration_path(models, "ccmusic", "cpu", precision)
        if calibration.name in names:
            assert load_ranges(calibration) is not None, f"a half-written calibration ({note})"
        kept |= {verdict.name, calibration.name}
    others = names - {model_file, MANIFEST} - kept
    temporary = ((VERDICT_TEMP_PREFIX, ".json"), (INT8_TEMP_PREFIX, ".pt"))
    assert all(any(n.startswith(p) and n.endswith(s) for p, s in temporary) for n in others), f"{others} ({note})"


def test_classify_killed_at_random_moments(tmp_path, cli_env, random_checkpoint):
    rng = random.Random(SEED + 1)
    models = Path(cli_env["GENRESCOPE_DATA_DIR"]) / "models"
    installed = import_model(random_checkpoint.path, root=models, origin="test")
    music = tmp_path / "music"
    for i in range(TRACKS):  # two seconds each: one window, so the runs spend little on the network
        write_audio(music / f"{i:03}.wav", seconds=2.0, freq=110.0 + 13 * i)
    db = tmp_path / "lib.sqlite3"
    run_to_end(["scan", str(music), "--db", str(db)], cli_env)
    classify = ["classify", "--model", "ccmusic", "--db", str(db)]

    committed: dict[int, tuple] = {}
    kills = 0
    for run in range(KILLS):
        note = f"run {run}, seed {SEED + 1}"
        proc = start(classify, cli_env)
        if run % 4 == 0:
            kills += kill_when(proc, after(rng.uniform(0, 4.0)))
        else:
            target = len(committed) + rng.randint(1, 3)
            arrived: list[float] = []

            def ready() -> bool:
                if not arrived and count(db, "analyses") >= target:
                    arrived.append(time.monotonic() + rng.uniform(0, 0.3))
                return bool(arrived) and time.monotonic() >= arrived[0]

            kills += kill_when(proc, ready)
        assert_intact(db, note)
        rows = {r[0]: r[1:] for r in read_db(db, "SELECT track_id, model_id, top1, probabilities, error FROM analyses")}
        assert all(rows.get(k) == v for k, v in committed.items()), f"a committed analysis changed or vanished ({note})"
        assert all(top1 is not None and error is None for _, top1, _, error in rows.values()), note
        assert count(db, "models") <= 1, note
        assert_models_folder(models, installed.path.name, note)
        committed = rows
        if len(committed) == TRACKS:
            break
    assert kills >= min(KILLS, run + 1) * 3 // 4, f"only {kills} runs were killed before finishing"

    summary = run_to_end(classify, cli_env)
    assert (summary["analysed"], summary["failed"]) == (TRACKS - len(committed), 0)
    assert count(db, "analyses") == TRACKS
    assert run_to_end(classify, cli_env)["analysed"] == 0, "nothing is analysed twice"
    assert installed_model(models) == installed


# --- the files a user keeps: the model folder and exported playlists --------------------------


def test_model_import_killed_leaves_one_whole_model_and_no_leftovers(tmp_path, cli_env, random_checkpoint):
    rng = random.Random(SEED + 2)
    models = Path(cli_env["GENRESCOPE_DATA_DIR"]) / "models"
    first = import_model(random_checkpoint.path, root=models, origin="test")
    import torch

    state = dict(random_checkpoint.state_dict)
    state["classifier.9.bias"] = state["classifier.9.bias"] + 1.0
    second = tmp_path / "second.pt"
    torch.save(state, second)
    left_behind = 0
    for run in range(6):
        proc = start(["model", "import", str(second)], cli_env)
        if run % 2:
            kill_when(proc, after(rng.uniform(0, 6.0)))
        else:  # while the copy is being written or checked
            delay = rng.uniform(0, 1.5)
            copying: list[float] = []

            def ready() -> bool:
                if not copying and any(models.glob(f"{TEMP_PREFIX}*.part")):
                    copying.append(time.monotonic() + delay)
                return bool(copying) and time.monotonic() >= copying[0]

            kill_when(proc, ready)
        model = installed_model(models)  # a whole model: its manifest, size and (at load) its hash
        assert model is not None and model.sha256 in (first.sha256, _sha_of(second)), f"run {run}"
        assert model.path.stat().st_size == model.size
        left_behind += len(list(models.glob(f"{TEMP_PREFIX}*")))
    assert left_behind, "some kill landed while a partial copy was on disk"
    time.sleep(MIN_AGE_SECONDS)  # the next import comes a moment later
    done = subprocess.run([*GENRESCOPE, "model", "import", str(second)], env=cli_env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert installed_model(models).sha256 == _sha_of(second)
    assert not list(models.glob(f"{TEMP_PREFIX}*")), "the killed imports' partial copies are gone"
    assert sorted(p.suffix for p in models.iterdir()) == [".json", ".pt"]


def _sha_of(path: Path) -> str:
    from tests.inference_fixtures import file_sha256

    return file_sha256(path)


def test_playlist_export_killed_never_leaves_half_a_playlist(tmp_path, cli_env):
    rng = random.Random(SEED + 3)
    db = tmp_path / "lib.sqlite3"
    with open_library(db) as library:
        insert_tracks(library, 40_000)
        insert_analyses(library, insert_model(library), range(1, 40_001))
    out = tmp_path / "Genres"
    export = ["playlist", "export-genres", "--format", "xspf", "--out-dir", str(out), "--min-confidence", "0",
              "--db", str(db)]
    started = time.monotonic()
    expected = {r["path"]: r["written"] for r in run_to_end(export, cli_env)["playlists"]}
    whole = time.monotonic() - started
    for run in range(10):
        kill_when(start(export, cli_env), after(rng.uniform(0, whole)))
        for path, written in expected.items():
            assert len(read_playlist(path)) == written, f"{path} is not whole after kill {run}"
    time.sleep(MIN_AGE_SECONDS)
    run_to_end(export, cli_env)
    assert sorted(str(p) for p in out.iterdir()) == sorted(expected), "no temporary files are left"



def _hold(path: str, locked, release) -> None:
    import fcntl

    with open(path, "rb") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        locked.set()
        release.wait(30)


def test_only_abandoned_temporary_files_are_removed(tmp_path):
    """What the sweep after a kill relies on: a temp whose writer is gone is removed, a temp that a
    live writer holds or that is too new to be locked yet is kept."""
    import multiprocessing

    from desktop_app.temp_files import remove_abandoned

    old = time.time() - 2 * MIN_AGE_SECONDS
    abandoned, held, fresh = (tmp_path / f".x.{name}.tmp" for name in ("abandoned", "held", "fresh"))
    for path in (abandoned, held, fresh):
        path.write_bytes(b"partial")
    for path in (abandoned, held):
        os.utime(path, (old, old))
    context = multiprocessing.get_context("fork")
    locked, release = context.Event(), context.Event()
    writer = context.Process(target=_hold, args=(str(held), locked, release))
    writer.start()
    try:
        assert locked.wait(30)
        assert remove_abandoned(tmp_path, ".x.*.tmp") == [abandoned]
        assert held.exists() and fresh.exists()
    finally:
        release.set()
        writer.join(30)
    assert remove_abandoned(tmp_path, ".x.*.tmp") == [held], "its writer is gone now"
