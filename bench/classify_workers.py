"""Several `genrescope classify` workers on one PostgreSQL library at once. Prints JSON.

    .venv/bin/python bench/classify_workers.py [--tracks 300] [--seconds 4] [--workers 1,2,4]
                                               [--kill-workers 3] [--lease 10]

A throwaway PostgreSQL cluster (tests/postgres_server.py) holds a library of generated tracks
(tones of ``--seconds``, scanned once into a template database that every run copies). For each
worker count, that many ``genrescope classify --model musicnn-msd`` processes (the built-in
tagger: both MusiCNN networks and the broad genres, CPU) analyse a fresh copy at once. Reported:

- ``tracks_per_s_wall``: tracks over the time from starting the processes to the last exit
  (with each process' start: Python, torch, the weights);
- ``tracks_per_s_analysing``: tracks over the time from the first stored analysis to the last;
- ``duplicates``: checked three ways, each must be 0. A trigger the bench adds to the copy logs
  every insert or update of an analysis row, so a (track, model) stored twice shows even though
  the second store would replace the first row (``stored_twice``); the workers' JSON lists the
  tracks each stored (``reported_twice``: a track in two lists); and every track must end with
  exactly three rows (``wrong_row_counts``) and no claim left (``claims_left``).

Then ``--kill-workers`` workers start with a ``--lease`` of a few seconds; once a quarter of the
tracks are stored, the bench kills one with SIGKILL mid-batch and records the tracks it held.
The others finish: the report says when the killed worker's tracks were stored (seconds after the
kill: about the lease, less the time since its last renewal), by whom, and the same duplicate checks.

The coordination's own cost is measured apart from the networks (``coordination``): a claim of 8
tracks, then a finish-and-store transaction per track, against storing the same rows without
claims, in milliseconds per track, on the same server.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from desktop_app.library import analyses as store  # noqa: E402
from desktop_app.library import claims  # noqa: E402
from desktop_app.library.database import open_library  # noqa: E402
from desktop_app.library.models import Analysis, Track, WorkClaim  # noqa: E402
from desktop_app.library.scanner import Scanner  # noqa: E402
from tests.audio_files import write_audio  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402

AUDIT = """
CREATE TABLE bench_stores (track_id integer, model_id integer, op text, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION bench_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_stores (track_id, model_id, op) VALUES (NEW.track_id, NEW.model_id, TG_OP);
    RETURN NEW;
END $$;
CREATE TRIGGER bench_audit AFTER INSERT OR UPDATE ON analyses FOR EACH ROW EXECUTE FUNCTION bench_audit();
"""
ROWS_PER_TRACK = 3  # musicnn-msd, musicnn-mtt, broad-genre


def build_template(server: PostgresServer, music: Path, tracks: int, seconds: float) -> str:
    for i in range(tracks):
        write_audio(music / f"{i // 50:02d}" / f"{i:04d}.wav", seconds=seconds, freq=80.0 + 3.0 * i)
    name = server.create_database()
    with open_library(server.url(name)) as library:
        Scanner(library).scan([music])
        with library.writer.begin() as conn:
            conn.exec_driver_sql(AUDIT)
    return name


def start_workers(url: str, count: int, lease: float, data_dir: Path) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "GENRESCOPE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "desktop_app", "classify", "--db", url, "--model", "musicnn-msd",
               "--lease-seconds", str(lease), "--json"]
    return [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]


def finish(workers: list[subprocess.Popen[str]]) -> list[dict]:
    """The JSON reports of the workers that exited normally (a killed one has none)."""
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=3600)
        if worker.returncode == 0:
            reports.append(json.loads(out))
        elif worker.returncode != -signal.SIGKILL:
            raise RuntimeError(f"a worker failed ({worker.returncode}):\n{err}")
    return reports


def audit(url: str, tracks: int, reports: list[dict]) -> dict:
    """The duplicate checks (all must be 0) and the first and last store times."""
    with open_library(url) as library, library.engine.connect() as conn:
        stored_twice = conn.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM bench_stores GROUP BY track_id, model_id HAVING count(*) > 1) t"
        )).scalar_one()
        rows = Counter(conn.execute(select(Analysis.track_id)).scalars())
        everything = list(conn.execute(select(Track.id)).scalars())
        claims_left = conn.execute(select(func.count()).select_from(WorkClaim)).scalar_one()
        first, last = conn.execute(text("SELECT min(at), max(at) FROM bench_stores")).one()
    listed = Counter(track_id for report in reports for track_id in report["track_ids"])
    return {
        "stored_twice": stored_twice,
        "reported_twice": sum(1 for n in listed.values() if n > 1),
        "wrong_row_counts": sum(1 for t in everything if rows.get(t, 0) != ROWS_PER_TRACK),
        "claims_left": claims_left,
        "tracks": len(everything),
        "analysing_seconds": (last - first).total_seconds(),
        "first_store": first,
    }


def run_workers(server: PostgresServer, template: str, count: int, lease: float, tracks: int, work: Path) -> dict:
    url = server.url(server.create_database(template))
    started = time.perf_counter()
    reports = finish(start_workers(url, count, lease, work / f"data-{count}"))
    wall = time.perf_counter() - started
    checks = audit(url, tracks, reports)
    checks.pop("first_store")
    return {
        "workers": count,
        "tracks_per_s_wall": round(tracks / wall, 2),
        "tracks_per_s_analysing": round(tracks / checks["analysing_seconds"], 2),
        "wall_seconds": round(wall, 2),
        "analysing_seconds": round(checks.pop("analysing_seconds"), 2),
        "tracks_per_worker": sorted((r["analysed"] + r["failed"] for r in reports), reverse=True),
        "taken_over": sum(r["taken_over"] for r in reports),
        "duplicates": checks,
    }


def run_kill(server: PostgresServer, template: str, count: int, lease: float, tracks: int, work: Path) -> dict:
    url = server.url(server.create_database(template))
    workers = start_workers(url, count, lease, work / "data-kill")
    victim = workers[0]
    host = socket.gethostname()
    with open_library(url) as library:
        while True:
            with library.engine.connect() as conn:
                stored = conn.execute(text("SELECT count(DISTINCT track_id) FROM bench_stores")).scalar_one()
                held = set(conn.execute(
                    select(WorkClaim.track_id).where(WorkClaim.worker.like(f"{host}:{victim.pid}:%"))
                ).scalars())
            if stored >= tracks // 4 and held:
                break
            if victim.poll() is not None:
                raise RuntimeError("the worker to kill finished first: use more tracks")
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        with library.engine.connect() as conn:
            killed_at = conn.execute(select(func.timezone("UTC", func.clock_timestamp()))).scalar_one()
            stored_at_kill = conn.execute(text("SELECT count(DISTINCT track_id) FROM bench_stores")).scalar_one()
        reports = finish(workers)
        with library.engine.connect() as conn:
            taken = conn.execute(text(
                "SELECT track_id, min(at AT TIME ZONE 'UTC') FROM bench_stores WHERE track_id = ANY(:held) "
                "GROUP BY track_id"
            ), {"held": sorted(held)}).all()
    checks = audit(url, tracks, reports)
    checks.pop("first_store")
    checks.pop("analysing_seconds")
    after = sorted((at - killed_at).total_seconds() for _track, at in taken)
    survivors = {track_id for report in reports for track_id in report["track_ids"]}
    return {
        "workers": count,
        "lease_seconds": lease,
        "killed_after_tracks_stored": stored_at_kill,
        "tracks_held_by_the_killed_worker": len(held),
        "held_tracks_stored_after_kill_seconds": [round(min(after), 2), round(max(after), 2)] if after else None,
        "held_tracks_all_stored": len(taken) == len(held),
        "held_tracks_stored_by_survivors": held <= survivors,
        "tracks_per_survivor": [r["analysed"] + r["failed"] for r in reports],
        "stored_by_the_killed_worker": tracks - len(survivors),
        "taken_over": sum(r["taken_over"] for r in reports),
        "duplicates": checks,
    }


def coordination(server: PostgresServer, template: str, rounds: int = 200) -> dict:
    """Milliseconds per track of the claimed path (claim 8, then finish + store each in its own
    transaction) and of storing alone, as one worker does, on the same server (``rounds`` tracks,
    or the library's, if fewer)."""
    url = server.url(server.create_database(template))
    record = store.AnalysisRecord(top1="x", confidence=0.5, probabilities=[0.5, 0.5], device="cpu", seconds=0.1)
    results = {}
    with open_library(url) as library:
        for claimed in (False, True):
            with library.writer.begin() as conn:
                model = store.register_model(conn, f"{int(claimed):064d}", "bench", "test", ["x", "y"], name="bench")
            started = time.perf_counter()
            done = 0
            while True:
                if claimed:
                    with library.writer.begin() as conn:
                        batch = [t for t, _ in claims.claim(conn, model, "bench", 60, 8)]
                else:
                    with library.engine.connect() as conn:
                        batch = [t for t, _ in store.tracks_to_analyse(conn, model, limit=8)]
                if not batch or done >= rounds:
                    break
                for track_id in batch:
                    with library.writer.begin() as conn:
                        if claimed:
                            assert claims.finish(conn, model, track_id, "bench")
                        store.save_analyses(conn, model, [(track_id, record)])
                done += len(batch)
            results["claimed" if claimed else "unclaimed"] = (time.perf_counter() - started) * 1000 / done
    return {
        "ms_per_track_claimed": round(results["claimed"], 3),
        "ms_per_track_without_claims": round(results["unclaimed"], 3),
        "tracks": done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each generated track")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--kill-workers", type=int, default=3, help="workers in the run where one is killed")
    parser.add_argument("--lease", type=float, default=10.0, help="--lease-seconds of the killed-worker run")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="genrescope-workers-") as folder:
            work = Path(folder)
            template = build_template(server, work / "music", args.tracks, args.seconds)
            report = {
                "machine": {"cpus": os.cpu_count(), "platform": sys.platform},
                "tracks": args.tracks,
                "track_seconds": args.seconds,
                "model": "built-in tagger (musicnn-msd + musicnn-mtt + broad genres), CPU",
                "coordination": coordination(server, template),
                "runs": [
                    run_workers(server, template, int(n), 120.0, args.tracks, work) for n in args.workers.split(",")
                ],
                "killed_worker": run_kill(server, template, args.kill_workers, args.lease, args.tracks, work),
            }
    finally:
        server.stop()
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
