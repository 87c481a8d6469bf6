"""Starting the window: the QApplication, the library, the settings, the services, then the main window.

Only Qt and the library are imported here; torch and the audio code (scipy, soxr) load later, in the workers that
need them, so the window appears in well under two seconds. The background services (job pool,
scan and analysis queues, library events) are built here and handed to the window, which only
shows and drives them.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import __version__
from desktop_app.config import resolve_library
from desktop_app.config.logs import configure_logging
from desktop_app.config.paths import APP_NAME
from desktop_app.gui.resources import app_icon

APP_DISPLAY_NAME = "Genrescope"
DESKTOP_ID = "io.github.genrescope.Genrescope"
"""The .desktop file's name without ".desktop" (packaging/linux): Wayland and the taskbars match
the window to the launcher, and its icon, by it."""


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The process's QApplication, created once with the names QSettings and the desktop use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())  # every window and the About box show it
    return app


def freeze_long_lived_objects() -> None:
    """Move everything alive now (modules, Qt wrappers) out of the cyclic GC's reach.

    A full collection walks every tracked object while holding the GIL; with Qt, SQLAlchemy and
    pyqtgraph loaded that took 75-100 ms, measured as a frozen GUI during a 10,000-file scan.
    Frozen objects are never collected, which is right for what lives until exit anyway.
    """
    gc.collect()
    gc.freeze()


def display_problem() -> str | None:
    """Why no window can open here (Linux without a display), before Qt aborts with its own words."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "genrescope: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "Run it in a desktop session, or use the headless commands: genrescope --help."
    )


def shown_location(db: str | Path) -> str:
    """The library as a message names it: a path, or a URL without its password."""
    from desktop_app.library.location import LibraryLocationError, parse_location

    try:
        return str(parse_location(db))
    except LibraryLocationError:
        return "(its location is not valid)"  # the error itself says why, the password hidden


def run(paths: Sequence[str] = (), db: str | Path | None = None) -> int:
    """Open the window on the library at ``db`` (default: the usual place), add ``paths``, run."""
    configure_logging()
    problem = display_problem()
    if problem is not None and QApplication.instance() is None:
        print(problem, file=sys.stderr)
        return 2
    app = application()
    from desktop_app.config import db_override
    from desktop_app.gui.library_switch import LibraryHost
    from desktop_app.gui.settings import AppSettings
    from desktop_app.gui.smoke_check import SmokeCheck, smoke_timeout
    from desktop_app.library.database import open_library

    smoke_seconds = smoke_timeout()
    settings = AppSettings()
    db_path = resolve_library(db)  # --db, GENRESCOPE_DB, Settings, default: as the command line
    try:
        library = open_library(db_path)
    except Exception as exc:  # a damaged or newer database: say so instead of a traceback
        QMessageBox.critical(None, APP_DISPLAY_NAME, f"Cannot open the library {shown_location(db_path)}:\n{exc}")
        return 1
    host = LibraryHost(library, settings, db_override(db))
    host.window.show()
    freeze_long_lived_objects()
    host.window.start_up([str(Path(p).expanduser()) for p in paths])
    if smoke_seconds is not None:  # the packaged app's self-check (packaging/smoke_test.sh)
        SmokeCheck(host.window, smoke_seconds)
    try:
        return app.exec()
    finally:
        host.close()  # also when the loop ended without closing the window
