"""How fast "more like this" answers on a 100,000-track library. Prints JSON.

    .venv/bin/python bench/similar_search.py [--tracks 100000] [--queries 200]

The library is generated (tests/generated_library.py: tracks, the tagger's analyses) with one random 200-unit
float16 embedding per track, stored as the tagger stores them. Measured on this machine:
- ``load_s``: reading every embedding from SQLite and building the index (`index_for`), once per
  change of the library's embeddings, on a worker;
- ``query_ms``: one exact nearest-neighbour query (the 10 most similar of every track) on the
  built index: median, p99 and max over ``--queries`` random tracks. Target (issue 12): ≤ 50 ms;
- ``above_ms``: the smart-playlist rule's query (every track above a similarity), median;
- ``walk_ms``: a 25-track seed playlist (`seed_walk`), median of 20;
- ``index_mb``: the index's memory.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.library.database import open_library  # noqa: E402
from desktop_app.library.similarity import index_for, seed_walk  # noqa: E402
from tests.generated_library import insert_tagger_embeddings, insert_tracks, track_row  # noqa: E402

DIMS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        library = open_library(Path(folder) / "library.sqlite3")
        insert_tracks(library, args.tracks)
        model_id = insert_tagger_embeddings(library, rng.standard_normal((args.tracks, DIMS)).astype(np.float16))
        with library.engine.connect() as conn:
            started = time.perf_counter()
            index = index_for(conn, model_id)
            load_s = time.perf_counter() - started
            started = time.perf_counter()
            again = index_for(conn, model_id)
            cached_ms = (time.perf_counter() - started) * 1000
        assert again is index and len(index) == args.tracks
        seeds = rng.integers(1, args.tracks + 1, args.queries)
        query_ms = []
        for seed in seeds:
            started = time.perf_counter()
            found = index.similar_to(int(seed), 10)
            query_ms.append((time.perf_counter() - started) * 1000)
            assert len(found) == 10
        above_ms = []
        for seed in seeds[:50]:
            started = time.perf_counter()
            index.above(int(seed), 0.2)
            above_ms.append((time.perf_counter() - started) * 1000)
        artists = {i + 1: track_row(i)["artist"] for i in range(args.tracks)}
        walk_ms = []
        for seed in seeds[:20]:
            started = time.perf_counter()
            walk = seed_walk(index, int(seed), 25, artists)
            walk_ms.append((time.perf_counter() - started) * 1000)
            assert len(walk) == 25
        library.close()
    print(json.dumps({
        "tracks": args.tracks, "dims": DIMS, "queries": args.queries,
        "load_s": round(load_s, 3), "cached_index_ms": round(cached_ms, 2),
        "query_ms": {"median": round(float(np.median(query_ms)), 2),
                     "p99": round(float(np.percentile(query_ms, 99)), 2), "max": round(float(np.max(query_ms)), 2)},
        "above_ms_median": round(float(np.median(above_ms)), 2),
        "walk_ms_median": round(float(np.median(walk_ms)), 2),
        "index_mb": round(index.vectors.nbytes / 2**20, 1),
        "target_query_ms": 50,
        "cpu": platform.processor() or platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
