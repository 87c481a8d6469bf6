"""Path resolution: explicit argument, then environment variable, then the user data folder.

One place decides this so the CLI, the GUI and the tests agree on where the library and the
model live. The library may also be a PostgreSQL database: ``--db`` and ``GENRESCOPE_DB`` take a
``postgresql://`` URL wherever they take a path (`desktop_app.library.location`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "genrescope"
DB_ENV = "GENRESCOPE_DB"
WEIGHTS_ENV = "GENRESCOPE_WEIGHTS"
DATA_DIR_ENV = "GENRESCOPE_DATA_DIR"
_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
"""``scheme://``: a database URL, not a file (the same test as `desktop_app.library.location.is_url`,
which this layer may not import)."""


def data_dir() -> Path:
    """The user data folder (``~/.local/share/genrescope`` on Linux), or ``GENRESCOPE_DATA_DIR``."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "library.sqlite3"


def models_dir() -> Path:
    """Installed model files live here, named by their SHA-256 so two versions never collide."""
    return data_dir() / "models"


def resolve_db_path(explicit: str | os.PathLike[str] | None = None, configured: str | None = None) -> Path | str:
    """The library: ``--db`` (``explicit``), else ``GENRESCOPE_DB``, else the window's setting
    (``configured``), else the default file. A SQLite file is made absolute; a database URL is
    returned as written (``postgresql://…``; `desktop_app.library.location.parse_location` reads it)."""
    chosen = explicit or os.environ.get(DB_ENV) or configured
    if not chosen:
        return default_db_path()
    if isinstance(chosen, str) and _URL_START.match(chosen):
        return chosen
    return Path(chosen).expanduser().resolve()


def db_override(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """What overrides the window's library setting for this run: ``"--db"``, ``GENRESCOPE_DB``, or None."""
    if explicit:
        return "--db"
    return DB_ENV if os.environ.get(DB_ENV) else None


def resolve_weights_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The checkpoint named by argument or ``GENRESCOPE_WEIGHTS``; None means 'the installed model'."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return None
