"""Path resolution: explicit argument, then environment variable, then the user data folder.

One place decides this so the CLI, the GUI and the tests agree on where the library and the
model live.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "genrescope"
DB_ENV = "GENRESCOPE_DB"
WEIGHTS_ENV = "GENRESCOPE_WEIGHTS"
DATA_DIR_ENV = "GENRESCOPE_DATA_DIR"


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


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_db_path()


def resolve_weights_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The checkpoint named by argument or ``GENRESCOPE_WEIGHTS``; None means 'the installed model'."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return None
