"""Fixtures shared by the whole suite."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

# Qt needs no display for the tests; without this, a GUI test on a machine with no screen aborts
# the whole run instead of failing.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    """After each test, collect its garbage here, on the main thread.

    A finished test leaves Qt objects in reference cycles (windows, queues with thread pools, media
    players). Left to chance, the cyclic GC destroys them on whichever thread next allocates, often
    a worker running Python (the analysis queue now runs at every window start): a QThreadPool
    destroyed there waits for its own threads, and a QtMultimedia object destroyed beside a
    player's stop() deadlocked the suite once (GIL held by stop(), Qt mutex held by FFmpeg's thread
    waiting for the GIL). The app freezes its long-lived objects for the same reason.
    """
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user data folder, database or model."""
    data = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("GENRESCOPE_DATA_DIR", str(data))
    monkeypatch.delenv("GENRESCOPE_DB", raising=False)
    monkeypatch.delenv("GENRESCOPE_WEIGHTS", raising=False)
    monkeypatch.delenv("GENRESCOPE_PRECISION", raising=False)
    return data


BOTH_BACKENDS = ("tests.library.", "tests.analysis.")
"""Packages whose tests of the `library` fixture run on SQLite and on PostgreSQL (the library layer
and what analyses it); elsewhere (the window's tests among them) `library` is SQLite. A test that
is about SQLite itself is marked ``sqlite_only``."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite; its `library` is never PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "library_backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if metafunc.module.__name__.startswith(BOTH_BACKENDS):
        metafunc.parametrize("library_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def library_backend(request: pytest.FixtureRequest) -> str:
    """Which database the `library` fixture is: ``sqlite``, or ``postgresql`` where parametrised."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of this test run (tests/postgres_server.py); a test that needs it fails,
    not skips, when it cannot start."""
    from tests.postgres_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pulse_server():
    """A PulseAudio server of this test run with a null sink to play into (tests/pulse_server.py); a
    test that needs it fails, not skips, when it cannot start."""
    from tests.pulse_server import PulseServer, PulseUnavailable

    try:
        server = PulseServer().start()
    except PulseUnavailable as exc:
        pytest.fail(f"cannot start the test PulseAudio server: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest):
    """The URL of a new, empty PostgreSQL database of its own for this test, dropped afterwards."""
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def library(tmp_path: Path, library_backend: str, request: pytest.FixtureRequest):
    from desktop_app.library.database import open_library

    location = tmp_path / "library.sqlite3"
    if library_backend == "postgresql":
        location = request.getfixturevalue("postgres_url")
    lib = open_library(location)
    yield lib
    lib.close()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `genrescope` in a subprocess against this test's own data folder."""
    env = dict(os.environ)
    env["GENRESCOPE_DATA_DIR"] = str(tmp_path / "cli-data")
    env.pop("GENRESCOPE_DB", None)
    env.pop("GENRESCOPE_WEIGHTS", None)
    return env


@pytest.fixture(scope="session")
def tagged_real_library(tmp_path_factory: pytest.TempPathFactory):
    """(library path, clips): tests/real_library.py's clips scanned and tagged by the built-in tagger,
    once per run. Tests that change the library work on a copy (`copy_library`)."""
    from desktop_app.analysis.tag_library import tag_tracks
    from desktop_app.inference.registry import open_tagger
    from desktop_app.library.database import open_library
    from desktop_app.library.scanner import Scanner
    from tests.real_library import write_clips

    root = tmp_path_factory.mktemp("real-library")
    clips = write_clips(root / "music")
    db = root / "library.sqlite3"
    library = open_library(db)
    try:
        Scanner(library).scan([root / "music"])
        summary = tag_tracks(library, open_tagger("cpu"))
        assert (summary.analysed, summary.failed) == (len(clips), 0), summary.error_files
    finally:
        library.close()
    return db, clips
