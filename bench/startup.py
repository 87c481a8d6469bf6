"""Start-up: process start to window shown, rows shown, search filter time and RSS. Prints JSON.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup.py [--tracks 100000] [--runs 3]
        [--postgres | --db postgresql://user@host/empty_database]

Two libraries, each in its own temporary data folder (``GENRESCOPE_DATA_DIR``; the user's data is
never touched): an empty one, and one of ``--tracks`` generated tracks. Both are SQLite files, or
with ``--postgres`` two databases on a throwaway PostgreSQL cluster this script starts and deletes
(tests/postgres_server.py's, on a Unix socket), or with ``--db URL`` the database at URL (which must
be empty: the script fills it, and makes the empty library in a second database beside it,
``<name>_empty``, dropped afterwards). The window gets the library as ``GENRESCOPE_DB``. Tracks are
inserted with SQLAlchemy Core bulk inserts, the same on both back ends
(realistic titles, artists, albums, tag genres; 60 % analysed by a
registered ``test`` CCMusic model with full probability rows, 1 % failed analyses; every track
given broad genres, as after the built-in tagger's pass). No CCMusic model is installed and the
tagger has nothing left to do, so nothing loads torch: the RSS is the window's own, "before the
model loads".

How it is timed. The clock starts in this process just before ``Popen``. The child is this file
with ``--child``: it creates the QApplication with ``desktop_app.gui.app.application()``, installs
a read-only event filter on it, and calls ``desktop_app.cli.main([])`` -- the ``genrescope``
entry point with no arguments, i.e. ``app.run``: open the library, build and show
``MainWindow``, freeze the GC, ``start_up``, event loop. Nothing in the app is changed or mocked.
The filter prints time stamps (``time.monotonic``, CLOCK_MONOTONIC: one clock for both
processes) when:

* ``window_shown``: the main window's first paint has completed (a zero-timer posted from its
  first paint event runs once the whole window has been painted and flushed);
* ``rows_shown``: the table's viewport has completed a paint while the model had rows;
* then, once ``MainWindow.is_idle()``, each search query goes into the search box as key events
  (``QTest.keyClicks``), twice: pasted (every key at once) and typed (one key every 120 ms, a
  fast typist). ``filter_ms`` runs from the last key to the end of the first table paint showing
  that query's result, split into ``typing_delay_ms`` (the search box's ``SEARCH_DELAY_MS``
  timer until the search is applied), ``id_query_ms`` (the id list read on a worker, back in the
  model) and ``reset_and_paint_ms``. The search is cleared between queries;
* finally RSS (and peak RSS) with a note of whether torch was imported, then the window is closed.

The first run of each library follows its generation, so the database is in the page cache
(warm start); each later run restores the window layout the previous one saved, like a second
launch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUERIES = ("night", "artist:lantern", "harbour lights", "year:1990-1999 blue")
TYPING_INTERVAL_MS = 120  # a fast typist's pace (about 100 words a minute) for the "typed" mode
CHILD_TIMEOUT_S = 120
TARGETS = {"window_shown_s": 2.0, "filter_ms": 100.0, "rss_mb": 500.0}


# --- child: the real app, observed ------------------------------------------------------------

def _emit(event: str, **values: object) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **values}), flush=True)


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MB, from /proc (no import needed)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return round(fields.get("VmRSS", 0.0), 1), round(fields.get("VmHWM", 0.0), 1)


def child(queries: list[tuple[str, str]]) -> int:
    _emit("child_started")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QEvent, QObject, QTimer

    from desktop_app.gui.app import application

    app = application()

    class Probe(QObject):
        """Watches the app's events until the window is shown, then drives the measurements."""

        def __init__(self) -> None:
            super().__init__()
            self.window = None
            self.viewport = None
            self.rows_seen = False
            self.waiting_paint: str | None = None
            self.queries = list(queries)
            self.current: dict[str, object] = {}

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            kind = event.type()
            if kind == QEvent.Type.Paint:
                if self.window is None and obj.objectName() == "mainWindow":
                    self.window = obj
                    QTimer.singleShot(0, self._window_painted)
                elif obj is self.viewport and self.window is not None:
                    QTimer.singleShot(0, self._table_painted)
            return False

        def _window_painted(self) -> None:
            _emit("window_shown", rss_mb=_rss_mb()[0])
            window = self.window
            # From now on only the table's paints matter: stop seeing every event of the app.
            app.removeEventFilter(self)
            self.viewport = window.table.viewport()
            self.viewport.installEventFilter(self)
            window.table_model.reloaded.connect(self._reloaded)
            window.search.timer.timeout.connect(self._search_applied)
            if window.table_model.rowCount() > 0:
                self.viewport.update()
            self._poll = QTimer(self)
            self._poll.timeout.connect(self._when_idle)
            self._poll.start(20)

        def _search_applied(self) -> None:
            if self.current:  # not the clearing after a query; the last application counts
                self.current["applied"] = time.monotonic()

        def _reloaded(self) -> None:
            model = self.window.table_model
            if ("typed" in self.current and model.view.search == self.current["parsed"]
                    and not model.is_reloading):
                self.current["reloaded"] = time.monotonic()
                self.current["rows"] = model.rowCount()
                self.waiting_paint = "filter"
                # A reload that found the rows already shown (typed: "nigh" then "night") repaints
                # nothing, and the result is on screen already: ask for the paint that ends the timing.
                self.viewport.update()

        def _table_painted(self) -> None:
            now = time.monotonic()
            model = self.window.table_model
            if not self.rows_seen and model.rowCount() > 0:
                self.rows_seen = True
                _emit("rows_shown", rows=model.rowCount(), rss_mb=_rss_mb()[0])
            if self.waiting_paint == "filter":
                self.waiting_paint = None
                c = self.current
                _emit("filtered", query=c["query"], mode=c["mode"], rows=c["rows"], typed=c["typed"],
                      applied=c.get("applied"),
                      reloaded=c["reloaded"], painted=now)
                self.current = {}
                self.window.search.clear()  # back to all tracks before the next query
                self._poll.start(20)

        def _when_idle(self) -> None:
            window = self.window
            if not window.is_idle() or window.search.timer.isActive() or self.current:
                return
            if not hasattr(self, "_idle_seen"):
                self._idle_seen = True
                _emit("idle", rows=window.table_model.rowCount())
            self._poll.stop()
            if self.queries and window.table_model.rowCount() > 0:
                QTimer.singleShot(300, self._type_next)  # a pause, as a person would make
            else:
                rss, peak = _rss_mb()
                _emit("done", rss_mb=rss, peak_rss_mb=peak, torch_imported="torch" in sys.modules,
                      librosa_imported="librosa" in sys.modules)
                window.close()

        def _type_next(self) -> None:
            from PySide6.QtTest import QTest

            from desktop_app.library.search import parse_search

            query, mode = self.queries.pop(0)
            self.current = {"query": query, "mode": mode, "parsed": parse_search(query)}
            search = self.window.search
            search.setFocus()
            if mode == "paste":  # every key event at once
                QTest.keyClicks(search, query)
                self.current["typed"] = time.monotonic()
                return
            def key(char: str, last: bool) -> None:
                QTest.keyClicks(search, char)
                if last:  # before control returns to the event loop, so before any result
                    self.current["typed"] = time.monotonic()

            for i, char in enumerate(query):  # one key every TYPING_INTERVAL_MS
                QTimer.singleShot(i * TYPING_INTERVAL_MS, lambda c=char, last=i == len(query) - 1: key(c, last))

    probe = Probe()
    app.installEventFilter(probe)

    def give_up() -> None:
        _emit("timeout")
        app.exit(3)

    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(give_up)
    watchdog.start(CHILD_TIMEOUT_S * 1000)
    from desktop_app.cli import main

    code = main([])
    _emit("exit", code=code)
    return code


# --- parent: libraries and runs -----------------------------------------------------------------

FIRST = ["Anna", "Ben", "Cora", "Dario", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kaia", "Luca",
         "Mira", "Nils", "Orla", "Pavel", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Viktor", "Wren", "Yuki"]
LAST = ["Sol", "Vance", "Byrne", "Tanabe", "Okafor", "Lindqvist", "Moreau", "Castillo", "Novak", "Reyes",
        "Hartmann", "Kowalski", "Ferreira", "Lindgren", "Mbeki", "O'Hara", "Rossi", "Schulz", "Haddad", "Ito"]
BAND = ["Lanterns", "Static Bloom", "Hollow Pines", "Brass Foundry", "Night Ferries", "Paper Tigers",
        "Velvet Engines", "Northern Strings", "Dust & Diesel", "Glass Harbour", "Blue Meridian", "Neon Tide",
        "Quiet Riot Club", "Silver Arrows", "Wild Orchids", "Iron Lungs", "Golden Hour", "Black Lagoon"]
WORDS = ("love night heart blue summer rain fire light dream road river city home gold shadow wind "
         "stone glass ocean moon sun star winter storm sky paper engine harbour lights honey velvet "
         "dance song slow burn open morning coffee rust belt campfire tide neon velvet hours crush "
         "letter garden mirror silence thunder echo highway midnight sugar wild ghost little lost "
         "forever tonight yesterday tomorrow sweet broken wonder falling rising").split()
TAG_GENRES = ["Rock", "Pop", "Jazz", "Classical", "Soul", "R&B", "Folk", "Electronic", "Hip-Hop", "Indie",
              "Indie Pop", "Alternative", "Metal", "Blues", "Country", "Reggae", "Punk", "Ambient",
              "Soundtrack", "Dance", "House", "Techno", "Singer-Songwriter", "Latin", "Funk", "Chanson",
              "Opera", "Chamber", "Soft Rock", "Dance Pop", "Pop; Dance", "Rock; Pop", "Soul; R&B",
              "Jazz; Blues", "Folk; Indie", "Electronic; Ambient"]
FORMATS = [("mp3", 44100, 2, 320000), ("flac", 44100, 2, 900000), ("ogg", 44100, 2, 192000),
           ("m4a", 44100, 2, 256000), ("wav", 44100, 2, 1411000)]


def _title(rng) -> str:  # noqa: ANN001 - random.Random
    words = rng.sample(WORDS, rng.choice((1, 2, 2, 3, 3, 4)))
    return " ".join(w.capitalize() for w in words)


def build_database(location: Path | str, count: int, seed: int = 7) -> dict[str, int]:
    """``count`` tracks in albums of 8-16 by ~4-album artists; 60 % analysed, 1 % failed analyses.

    ``location`` is a SQLite path or a PostgreSQL URL; the rows go in through SQLAlchemy Core
    (executemany; SQLAlchemy batches them into multi-row inserts on PostgreSQL), in one writer
    transaction, then (PostgreSQL) vacuumed and analysed, as autovacuum soon does after a bulk load.
    """
    import random
    from datetime import datetime, timedelta

    from sqlalchemy import insert, select, text

    from desktop_app.genres.broad import BROAD_KEYS, BROAD_MODEL
    from desktop_app.genres.ccmusic import GENRE_KEYS
    from desktop_app.inference.registry import builtin_sha256
    from desktop_app.library.database import open_library
    from desktop_app.library.models import Analysis, GenreModel, TagGenre, Track

    rng = random.Random(seed)
    library = open_library(location)
    start = datetime(2024, 3, 1)
    tracks, genres, albums_made, artists_made = [], [], 0, 0
    track_id = 0
    while track_id < count:
        artists_made += 1
        if rng.random() < 0.45:
            artist = f"The {rng.choice(BAND)}" if rng.random() < 0.5 else rng.choice(BAND)
        else:
            artist = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        artist = f"{artist} {artists_made}" if rng.random() < 0.9 else artist  # mostly distinct names
        for _album in range(rng.randint(1, 7)):
            albums_made += 1
            album = _title(rng)
            year = rng.randint(1958, 2025)
            genre = rng.choice(TAG_GENRES)
            fmt, sample_rate, channels, bitrate = rng.choice(FORMATS)
            for number in range(1, rng.randint(8, 16) + 1):
                if track_id >= count:
                    break
                track_id += 1
                title = _title(rng)
                added = start + timedelta(seconds=track_id * 37)
                tracks.append({
                    "id": track_id,
                    "path": f"/home/listener/Music/{artist}/{year} - {album}/{number:02d} {title}.{fmt}",
                    "size": rng.randint(2_000_000, 60_000_000), "mtime": 1.7e9 + track_id, "format": fmt,
                    "duration": round(rng.uniform(95, 420), 2), "sample_rate": sample_rate, "channels": channels,
                    "bitrate": bitrate, "title": title, "artist": artist, "album": album, "album_artist": artist,
                    "track_number": number, "disc_number": 1, "year": year, "genre": genre, "added_at": added,
                    "scanned_at": added, "available": True, "error": None,
                })
                for position, name in enumerate(genre.split("; ")):
                    genres.append({"track_id": track_id, "position": position, "name": name})
    analysed = []
    blank = {"top1": None, "confidence": None, "majority": None, "probabilities": None,
             "window_probabilities": None, "window_count": None, "short_clip": None, "silent": None,
             "device": "cpu", "seconds": None, "analysed_at": start, "error": None}
    for tid in range(1, count + 1):
        roll = rng.random()
        if roll >= 0.61:
            continue
        if roll >= 0.60:
            analysed.append({**blank, "track_id": tid,
                             "error": "could not decode: invalid data found when processing input"})
            continue
        windows = rng.randint(8, 30)
        main = rng.randrange(len(GENRE_KEYS))
        rows = []
        for _ in range(windows):
            weights = [rng.random() ** 3 for _ in GENRE_KEYS]
            weights[main] += rng.uniform(0.5, 4)
            total = sum(weights)
            rows.append([round(w / total, 5) for w in weights])
        mean = [round(sum(column) / windows, 6) for column in zip(*rows)]
        top = max(range(len(mean)), key=mean.__getitem__)
        analysed.append({**blank, "track_id": tid, "top1": GENRE_KEYS[top], "confidence": mean[top],
                         "majority": GENRE_KEYS[top], "probabilities": mean, "window_probabilities": rows,
                         "window_count": windows, "short_clip": False, "silent": False,
                         "seconds": round(rng.uniform(0.8, 3.0), 3)})
    with library.writer.begin() as conn:
        conn.execute(insert(Track.__table__), tracks)
        conn.execute(insert(TagGenre.__table__), genres)
        model_id = conn.execute(insert(GenreModel.__table__).values(
            sha256="c0ffee" * 10 + "beef", name="ccmusic", label="TEST data (benchmark library, not a model's output)",
            origin="test", classes=list(GENRE_KEYS), first_used_at=start,
        ).returning(GenreModel.__table__.c.id)).scalar_one()
        conn.execute(insert(Analysis.__table__), [{**a, "model_id": model_id} for a in analysed])
        # The built-in tagger has finished its pass (the steady state; a library it is still
        # tagging starts the same, with the tagger's worker busy beside it): broad genres for every
        # track, without the per-patch rows, which no query here reads.
        broad_id = conn.execute(insert(GenreModel.__table__).values(
            sha256=builtin_sha256()[BROAD_MODEL], name=BROAD_MODEL, label="Broad genre (benchmark library)",
            origin="builtin", classes=list(BROAD_KEYS), first_used_at=start,
        ).returning(GenreModel.__table__.c.id)).scalar_one()
        broad_rows = []
        for tid in range(1, count + 1):
            probabilities = [round(rng.random() ** 3, 6) for _ in BROAD_KEYS]
            top = max(range(len(probabilities)), key=probabilities.__getitem__)
            broad_rows.append({**blank, "track_id": tid, "model_id": broad_id, "top1": BROAD_KEYS[top],
                               "confidence": probabilities[top], "probabilities": probabilities, "device": None})
        conn.execute(insert(Analysis.__table__), broad_rows)
        if conn.dialect.name == "postgresql":  # ids were given: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('tracks', 'id'), :n)"), {"n": count})
        analyses = conn.execute(select(Analysis.__table__.c.id).order_by(Analysis.__table__.c.id.desc()).limit(1))
        assert analyses.scalar_one() == len(analysed) + count
    if library.location.backend == "postgresql":  # what autovacuum does to a library in use, done now
        with library.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    library.close()
    size = (_postgres_size(location) if isinstance(location, str)
            else sum(p.stat().st_size for p in location.parent.glob(location.name + "*")))
    return {"tracks": count, "artists": artists_made, "albums": albums_made, "analyses": len(analysed),
            "database_mb": round(size / 1e6, 1)}


def _postgres_size(url: str) -> int:
    from sqlalchemy import text

    from desktop_app.library.database import open_library

    library = open_library(url)
    try:
        with library.engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        library.close()


def all_queries() -> list[tuple[str, str]]:
    """Each query pasted (all key events at once), then typed at TYPING_INTERVAL_MS per key."""
    return [(q, "paste") for q in QUERIES] + [(q, "typed") for q in QUERIES]


def run_once(data_dir: Path, queries: list[tuple[str, str]], db: str | None) -> dict[str, object]:
    """One start of the app on the library in ``data_dir`` (SQLite), or at ``db`` (a URL)."""
    env = dict(os.environ)
    env["GENRESCOPE_DATA_DIR"] = str(data_dir)
    env.pop("GENRESCOPE_DB", None)
    if db is not None:
        env["GENRESCOPE_DB"] = db
    env.pop("GENRESCOPE_WEIGHTS", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    done = subprocess.run([sys.executable, __file__, "--child", "--queries", json.dumps(queries)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S + 60, check=False)
    events: dict[str, dict[str, object]] = {}
    filters = []
    for line in done.stdout.splitlines():
        if line.startswith('{"event"'):
            event = json.loads(line)
            if event["event"] == "filtered":
                filters.append(event)
            else:
                events[event["event"]] = event
    if done.returncode != 0 or "done" not in events:
        raise RuntimeError(f"the app did not start or finish cleanly (exit {done.returncode}):\n{done.stderr[-3000:]}")

    def since_start(name: str) -> float | None:
        return round(events[name]["t"] - started, 3) if name in events else None

    return {
        "interpreter_started_s": since_start("child_started"),
        "window_shown_s": since_start("window_shown"),
        "rows_shown_s": since_start("rows_shown"),
        "idle_s": since_start("idle"),
        "rows": events["idle"]["rows"] if "idle" in events else None,
        "filters": [{
            "query": f["query"], "mode": f["mode"], "rows": f["rows"],
            "filter_ms": round((f["painted"] - f["typed"]) * 1000, 1),
            "filter_query_ms": round((f["painted"] - f["applied"]) * 1000, 1) if f["applied"] else None,
            "typing_delay_ms": round((f["applied"] - f["typed"]) * 1000, 1) if f["applied"] else None,
            "id_query_ms": round((f["reloaded"] - f["applied"]) * 1000, 1) if f["applied"] else None,
            "reset_and_paint_ms": round((f["painted"] - f["reloaded"]) * 1000, 1),
        } for f in filters],
        "rss_mb": events["done"]["rss_mb"],
        "peak_rss_mb": events["done"]["peak_rss_mb"],
        "rss_at_window_shown_mb": events["window_shown"]["rss_mb"],
        "torch_imported": events["done"]["torch_imported"],
        "librosa_imported": events["done"]["librosa_imported"],
    }


def median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


def measure(data_dir: Path, runs: int, queries: list[tuple[str, str]], library: dict[str, object],
            db: str | None = None) -> dict[str, object]:
    results = [run_once(data_dir, queries, db) for _ in range(runs)]
    summary: dict[str, object] = {"library": library}
    for key in ("window_shown_s", "rows_shown_s", "idle_s", "rss_mb", "peak_rss_mb", "rss_at_window_shown_mb"):
        summary[key] = median([r[key] for r in results])
    if queries:
        filters: dict[str, dict[str, dict[str, object]]] = {}
        for query, mode in queries:
            found = [f for r in results for f in r["filters"] if (f["query"], f["mode"]) == (query, mode)]
            entry: dict[str, object] = {"rows": found[0]["rows"] if found else None}
            for key in ("filter_ms", "typing_delay_ms", "id_query_ms", "reset_and_paint_ms"):
                entry[key] = median([f[key] for f in found])
            filters.setdefault(mode, {})[query] = entry
        summary["filters_median_of_runs"] = filters
        for mode, by_query in filters.items():
            summary[f"filter_ms_{mode}_worst_query"] = max(v["filter_ms"] for v in by_query.values())
    summary["torch_imported"] = any(r["torch_imported"] for r in results)
    summary["runs"] = [{k: v for k, v in r.items() if k != "filters"} for r in results]
    return summary


def _admin(url: str):  # noqa: ANN202 - a psycopg connection
    """An autocommit connection to the server of ``url`` (its own database), to create or drop another."""
    import psycopg

    from desktop_app.library.location import parse_postgres_url

    location = parse_postgres_url(url)
    return psycopg.connect(dbname=location.database, user=location.user, password=location.password,
                           host=location.host, port=location.port, autocommit=True, **dict(location.options))


def _beside(url: str, suffix: str) -> str:
    """A new database named after ``url``'s with ``suffix``, on the same server; its URL."""
    from desktop_app.library.location import parse_postgres_url

    name = parse_postgres_url(url).database
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}{suffix}"')
        conn.execute(f'CREATE DATABASE "{name}{suffix}"')
    head, _, tail = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{suffix}" + (f"?{tail}" if tail else "")


def _drop_beside(url: str, suffix: str) -> None:
    from desktop_app.library.location import parse_postgres_url

    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parse_postgres_url(url).database}{suffix}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="app starts per library (medians reported)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="the libraries on a throwaway PostgreSQL cluster (tests/postgres_server.py)")
    where.add_argument("--db", metavar="URL", help="an empty PostgreSQL database to fill (and a second one "
                       "beside it, NAME_empty, for the empty library)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--queries", default=json.dumps(all_queries()), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child([tuple(q) for q in json.loads(args.queries)])

    import shutil
    import tempfile

    sys.path.insert(0, str(ROOT))
    load_before = os.getloadavg()  # other work on the machine skews every figure below
    work = Path(tempfile.mkdtemp(prefix="genrescope-startup-bench-"))
    server = None
    try:
        os.environ["GENRESCOPE_DATA_DIR"] = str(work / "unused")  # nothing below may fall back to the real one
        empty_db: str | None = None
        big_db: Path | str = work / "big" / "library.sqlite3"
        if args.postgres:
            from tests.postgres_server import PostgresServer

            server = PostgresServer().start()
            empty_db, big_db = server.url(server.create_database()), server.url(server.create_database())
        elif args.db:
            empty_db, big_db = _beside(args.db, "_empty"), args.db
        empty = measure(work / "empty", args.runs, [], {"tracks": 0}, empty_db)
        started = time.perf_counter()
        library = build_database(big_db, args.tracks)
        library["build_seconds"] = round(time.perf_counter() - started, 1)
        large = measure(work / "big", args.runs, all_queries(), library, None if isinstance(big_db, Path) else big_db)
    finally:
        if args.db:
            _drop_beside(args.db, "_empty")
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "benchmark": "startup",
        "backend": "postgresql" if args.postgres or args.db else "sqlite",
        "cpus": os.cpu_count(),
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "runs_per_library": args.runs,
        "load_average_before": [round(v, 2) for v in load_before],
        "targets": TARGETS,
        "empty_library": empty,
        f"library_{args.tracks}": large,
        "targets_met": {
            "window_shown": max(empty["window_shown_s"], large["window_shown_s"]) <= TARGETS["window_shown_s"],
            "filter": max(large["filter_ms_paste_worst_query"], large["filter_ms_typed_worst_query"])
            <= TARGETS["filter_ms"],
            "rss": max(empty["rss_mb"], large["rss_mb"]) <= TARGETS["rss_mb"],
        },
        "method": ("child process = this file --child: QApplication via desktop_app.gui.app.application(), a "
                   "read-only event filter, then desktop_app.cli.main([]) (app.run, unchanged); times from "
                   "just before Popen; window_shown = first paint of the main window completed; filter_ms = "
                   "last key typed into the search box -> first table paint with its result, the query "
                   "pasted (all key events at once) or typed at one key per "
                   f"{TYPING_INTERVAL_MS} ms; split into typing_delay_ms (last key -> search applied), "
                   "id_query_ms (-> new id list in the model) and reset_and_paint_ms"),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
