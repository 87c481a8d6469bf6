"""Where a library lives: a SQLite file (the default) or a database on a PostgreSQL server.

A person writes a PostgreSQL library as libpq does, ``postgresql://user@host/dbname`` (or
``postgres://``), a Unix socket as ``postgresql://user@/dbname?host=/run/postgresql&port=5432``;
the driver is chosen for them (psycopg 3, SQLAlchemy's ``postgresql+psycopg``). Anything else is a
file path. Parsing is plain text work (no SQLAlchemy import) so ``--db`` and ``GENRESCOPE_DB`` are
checked before anything slow starts, and a mistyped URL is reported as such instead of becoming a
SQLite file with a strange name.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from desktop_app.errors import LibraryError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
"""The schemes of a PostgreSQL library: libpq's two spellings, and SQLAlchemy's with our driver."""
_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class LibraryLocationError(LibraryError, ValueError):
    """A library location that cannot be used: a malformed or unsupported URL, or no driver for it."""


@dataclass(frozen=True)
class SqliteLocation:
    """A library in one SQLite file."""

    path: Path
    backend = "sqlite"

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresLocation:
    """A library in one database on a PostgreSQL server (the URL's parts, as libpq reads them)."""

    database: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    """A host name, or the folder of the server's Unix socket (``?host=/run/postgresql``)."""
    port: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    """Other libpq parameters from the URL's query (``sslmode=require``, …), passed on unchanged."""
    backend = "postgresql"

    def sqlalchemy_url(self) -> URL:
        """The URL SQLAlchemy opens: psycopg 3 as the driver, the socket folder as a ``host`` query."""
        from sqlalchemy.engine import URL

        query = dict(self.options)
        socket = self.host is not None and self.host.startswith("/")
        if socket:
            query["host"] = self.host  # type: ignore[assignment]
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=None if socket else self.host,
            port=self.port,
            database=self.database,
            query=query,
        )

    def __str__(self) -> str:
        """The URL as a person wrote it, without the password (it is shown in messages and logs)."""
        user = f"{self.user}:***@" if self.user and self.password else (f"{self.user}@" if self.user else "")
        socket = self.host is not None and self.host.startswith("/")
        host = "" if socket or self.host is None else self.host
        port = f":{self.port}" if self.port is not None and not socket else ""
        query = list(self.options)
        if socket:
            assert self.host is not None
            query.insert(0, ("host", self.host))
            if self.port is not None:
                query.insert(1, ("port", str(self.port)))
        tail = "?" + "&".join(f"{k}={v}" for k, v in query) if query else ""
        return f"postgresql://{user}{host}{port}/{self.database}{tail}"


LibraryLocation = SqliteLocation | PostgresLocation


def is_url(text: str) -> bool:
    """Whether ``text`` is written as a URL (``scheme://…``) rather than a file path."""
    return bool(_URL_START.match(text))


def parse_location(value: str | os.PathLike[str] | LibraryLocation) -> LibraryLocation:
    """A SQLite path or a PostgreSQL URL, as typed; a path is taken as it is (not resolved)."""
    if isinstance(value, (SqliteLocation, PostgresLocation)):
        return value
    if isinstance(value, os.PathLike):
        return SqliteLocation(Path(value))
    if is_url(value):
        return parse_postgres_url(value)
    return SqliteLocation(Path(value))


def parse_postgres_url(text: str) -> PostgresLocation:
    """The parts of ``postgresql://[user[:password]@][host][:port]/dbname[?host=…&port=…&…]``."""
    scheme = text.split("://", 1)[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        raise LibraryLocationError(
            f"{scheme}:// libraries are not supported: give a file path for SQLite, "
            "or postgresql://user@host/dbname for PostgreSQL"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise LibraryLocationError(f"malformed PostgreSQL URL {hide_password(text)!r}: {exc}") from None
    if parts.fragment:
        raise LibraryLocationError(f"malformed PostgreSQL URL {hide_password(text)!r}: it has a '#' part")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise LibraryLocationError(
            f"the PostgreSQL URL {hide_password(text)!r} names no database: write postgresql://user@host/dbname"
        )
    host = unquote(parts.hostname) if parts.hostname else None
    options: list[tuple[str, str]] = []
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise LibraryLocationError(
            f"malformed PostgreSQL URL {hide_password(text)!r}: its query is not name=value&…"
        ) from None
    for name, value in query:
        if name == "host":
            host = value or None
        elif name == "port":
            if not value.isdigit() or not 0 < int(value) < 65536:
                raise LibraryLocationError(f"malformed PostgreSQL URL {hide_password(text)!r}: port {value!r}")
            port = int(value)
        elif name in ("user", "dbname", "password"):
            raise LibraryLocationError(
                f"write the {name} in the PostgreSQL URL itself (postgresql://user:password@host/dbname), "
                "not as a query parameter"
            )
        else:
            options.append((name, value))
    return PostgresLocation(
        database=database,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        host=host,
        port=port,
        options=tuple(options),
    )


def require_driver(location: LibraryLocation) -> None:
    """Raise `LibraryLocationError` if this location's database driver is not installed."""
    if isinstance(location, PostgresLocation) and importlib.util.find_spec("psycopg") is None:
        raise LibraryLocationError(
            f"the library {location} is on PostgreSQL, whose driver is not installed: "
            "install genrescope[postgres] (pip install 'genrescope[postgres]')"
        )


def hide_password(text: str) -> str:
    """``text`` with the password of a URL written in it as ``***`` (even a URL that does not parse)."""
    return re.sub(r"(://[^:/@?#]*):[^@/?#]*@", r"\1:***@", text)
