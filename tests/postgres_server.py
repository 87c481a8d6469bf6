"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder.

Debian's ``postgresql`` package provides the server binaries (``/usr/lib/postgresql/<version>/bin``);
the cluster is made with ``initdb`` and started with ``pg_ctl``, listens only on a Unix socket in
its folder (no TCP port, so parallel runs and a system server never collide), trusts local
connections, and is stopped and deleted at the end. ``initdb`` refuses to run as root, and CI runs
as root: then the server runs as the ``postgres`` user the package creates (``runuser``), owning
its folder. Either way the superuser role is ``postgres``, and each test gets its own database.

The cluster's collation is ICU's English (when the server has ICU), a locale in which text does
not sort by code point, as on most servers people install, so a query that assumed SQLite's
ordering fails here rather than on someone's NAS.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file (.s.PGSQL.5432) inside the cluster's own folder


class PostgresUnavailable(RuntimeError):
    """The test server could not be started; the message says why."""


def server_binaries() -> Path:
    """The newest installed server's bin folder (with initdb and pg_ctl)."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        on_path = shutil.which("initdb")
        if on_path and shutil.which("pg_ctl"):
            return Path(on_path).parent
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl): install the Debian package 'postgresql' "
            "(bash packaging/bootstrap.sh test does)"
        )
    return found[-1]


class PostgresServer:
    """One running cluster; `create_database` / `drop_database` for each test."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        # In /tmp, not $TMPDIR: the socket's path must stay short (about 100 bytes at most), and
        # when running as root the postgres user must be able to reach the folder.
        self.folder = Path(tempfile.mkdtemp(prefix="genrescope-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)
        self._started = False

    def _run(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        argv = [str(part) for part in command]
        if self._as_postgres:
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self) -> PostgresServer:
        try:
            if self._as_postgres:
                shutil.chown(self.folder, SUPERUSER, SUPERUSER)
            self.folder.chmod(0o755)  # the tests (root, or this user) connect through the socket here
            locale = ["--locale-provider=icu", "--icu-locale=en-US"] if self._has_icu() else []
            self._run(
                self.bin / "initdb",
                "--pgdata",
                self.data,
                "--username",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                *locale,
                "--no-sync",
            )
            options = (
                f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c port={PORT} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                # Not UTC, as on many servers: the library must store UTC whatever the server's zone.
                "-c timezone=America/New_York"
            )
            self._run(
                self.bin / "pg_ctl",
                "start",
                "--pgdata",
                self.data,
                "--wait",
                "--timeout=60",
                "--log",
                self.folder / "server.log",
                "-o",
                options,
            )
            self._started = True
        except BaseException as exc:
            log = self.folder / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            if isinstance(exc, PostgresUnavailable):
                raise PostgresUnavailable(f"{exc}\n{detail}".strip()) from None
            raise
        return self

    def _has_icu(self) -> bool:
        result = subprocess.run([str(self.bin / "initdb"), "--help"], capture_output=True, text=True)
        return "icu-locale" in result.stdout

    def stop(self) -> None:
        if self._started:
            try:
                self._run(self.bin / "pg_ctl", "stop", "--pgdata", self.data, "-m", "fast", "--wait")
            finally:
                self._started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The database's URL as a person writes it for a Unix socket."""
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def _admin(self):
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=PORT, user=SUPERUSER, dbname="postgres", autocommit=True)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database, or a copy of ``template`` (a database no one is connected to);
        returns its name."""
        name = f"library_{os.getpid()}_{next(self._names)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
