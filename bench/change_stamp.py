"""The change stamp's cost (`desktop_app.library.change_stamp`), on SQLite and PostgreSQL. Prints JSON.

    .venv/bin/python bench/change_stamp.py [--tracks 100000] [--reads 200]

Builds bench/startup.py's generated library (``--tracks`` tracks, 60 % analysed by a test CCMusic
model, broad genres for all) in a temporary SQLite file and on a throwaway PostgreSQL cluster
(tests/postgres_server.py), then reads the stamp ``--reads`` times on one connection, as the
window's poller does every few seconds, and reports the median and 95th percentile in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def timings(location: Path | str, reads: int) -> dict[str, float]:
    from desktop_app.library.change_stamp import read_change_stamp
    from desktop_app.library.database import open_library

    library = open_library(location)
    try:
        spent = []
        for _ in range(reads):
            with library.engine.connect() as conn:
                started = time.perf_counter()
                read_change_stamp(conn)
                spent.append((time.perf_counter() - started) * 1000)
    finally:
        library.close()
    spent.sort()
    return {"median_ms": round(statistics.median(spent), 2), "p95_ms": round(spent[int(len(spent) * 0.95)], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    from startup import build_database

    from tests.postgres_server import PostgresServer

    work = Path(tempfile.mkdtemp(prefix="genrescope-stamp-bench-"))
    os.environ["GENRESCOPE_DATA_DIR"] = str(work / "data")
    server = PostgresServer().start()
    try:
        sqlite = work / "library.sqlite3"
        postgres = server.url(server.create_database())
        result = {"benchmark": "change_stamp", "cpus": os.cpu_count(), "tracks": args.tracks, "reads": args.reads}
        for name, location in (("sqlite", sqlite), ("postgresql", postgres)):
            build_database(location, args.tracks)
            result[name] = timings(location, args.reads)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
