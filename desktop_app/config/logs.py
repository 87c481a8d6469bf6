"""Where the window writes its log, and how: a small rotating file in the user data folder.

Background jobs and analyses that fail are reported to the person in one line (the status bar,
the Problems panel); the full traceback goes here, so a bug report can carry it. Warnings still
go to stderr as before.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desktop_app.config.paths import data_dir

LOG_NAME = "genrescope.log"
MAX_BYTES = 1_000_000
BACKUPS = 2
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    return data_dir() / LOG_NAME


def configure_logging() -> Path | None:
    """Log INFO and above to `log_path` (rotated at 1 MB, two old files kept) and warnings to stderr.

    Returns the log file, or None when it cannot be written (a read-only data folder): then the
    app still runs and logs to stderr only.
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in root.handlers):
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stderr)
    path = log_path()
    if any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return path
