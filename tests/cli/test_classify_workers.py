"""`genrescope classify` workers sharing a library, as real processes on SQLite and PostgreSQL: one
is killed with SIGKILL mid-batch, its claims outlive it, and another worker takes its tracks over
once their lease has expired, finishing every track with one analysis each."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from desktop_app.analysis.claimed_work import DEFAULT_LEASE_SECONDS
from desktop_app.cli import main
from desktop_app.cli.analysis_commands import LEASE_SECONDS
from desktop_app.library.database import open_library
from desktop_app.library.models import Analysis, Track, WorkClaim
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

TRACKS = 40
LEASE = "3"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_workers_tracks_are_finished_by_another_once_its_lease_expires(tmp_path, cli_env, backend, request):
    db = str(tmp_path / "lib.sqlite3") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    for i in range(TRACKS):
        write_audio(tmp_path / "music" / f"{i:02d}.wav", seconds=3.5, sr=16000, freq=100.0 + 20 * i)
    library = open_library(db)
    try:
        Scanner(library).scan([tmp_path / "music"])
        with library.engine.connect() as conn:
            everything = sorted(conn.execute(select(Track.id)).scalars())
        command = [sys.executable, "-m", "desktop_app", "classify", "--db", db, "--model", "musicnn-msd",
                   "--lease-seconds", LEASE, "--json"]

        victim = subprocess.Popen(command, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while _analysed(library) == set() and victim.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            victim.send_signal(signal.SIGKILL)
        finally:
            victim.kill()
            victim.communicate(timeout=60)
        assert victim.returncode == -signal.SIGKILL
        before = _analysed(library)
        with library.engine.connect() as conn:
            orphaned = set(conn.execute(select(WorkClaim.track_id)).scalars())
        assert before and orphaned, "killed mid-batch: some tracks stored, some still claimed"
        assert before.isdisjoint(orphaned) and len(before) < TRACKS

        survivor = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=600)
        assert survivor.returncode == 0, survivor.stderr
        report = json.loads(survivor.stdout)
        assert orphaned <= set(report["track_ids"]), "the killed worker's claimed tracks were taken over"
        assert sorted(report["track_ids"]) == sorted(set(everything) - before), "nothing done twice, nothing lost"
        assert report["taken_over"] == 0 and report["analysed"] == TRACKS - len(before)
        with library.engine.connect() as conn:
            rows = Counter(conn.execute(select(Analysis.track_id)).scalars())
            assert rows == dict.fromkeys(everything, 3), "three rows (two taggers, broad genres) per track"
            assert conn.execute(select(func.count()).select_from(WorkClaim)).scalar_one() == 0
    finally:
        library.close()


def _analysed(library) -> set[int]:
    with library.engine.connect() as conn:
        return set(conn.execute(select(Analysis.track_id).distinct()).scalars())


@pytest.mark.parametrize("given", ["0", "-5", "soon"])
def test_a_lease_must_be_a_positive_number_of_seconds(capsys, given):
    with pytest.raises(SystemExit) as stopped:
        main(["classify", "--lease-seconds", given])
    assert stopped.value.code == 2 and "--lease-seconds" in capsys.readouterr().err
    assert LEASE_SECONDS == DEFAULT_LEASE_SECONDS, "the CLI's default is the passes' own"
