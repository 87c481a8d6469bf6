"""Pieces every subcommand shares: the --db option, progress bars, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from desktop_app.config import resolve_library
from desktop_app.library.location import LibraryLocationError, parse_location


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="DB",
        help="library database: a SQLite file, or a PostgreSQL URL such as postgresql://user@host/dbname "
        "(default: $GENRESCOPE_DB, else the library chosen in the window's Settings, else the user data folder)",
    )


def check_db_option(db: str | None) -> bool:
    """Whether the library (``--db``, ``$GENRESCOPE_DB`` or the window's choice) is a usable
    location; if not, say why on stderr."""
    try:
        parse_location(resolve_library(db))
    except LibraryLocationError as exc:
        print(f"genrescope: {exc}", file=sys.stderr)
        return False
    return True


def open_library_from(args: argparse.Namespace):  # -> Library, imported lazily for start-up speed
    from desktop_app.library.database import open_library

    try:
        return open_library(parse_location(resolve_library(args.db)))
    except LibraryLocationError as exc:  # a mistyped URL, or no driver for it: no traceback
        print(f"genrescope: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def track_line(
    track_id: int, path: str, artist: str | None, title: str | None, available: bool, error: str | None = None
) -> str:
    """One track as the listing commands print it: id, "Artist - Title" (or the path), state."""
    who = " - ".join(x for x in (artist, title) if x) or path
    state = "" if available else " [missing]"
    problem = f" [error: {error}]" if error else ""
    return f"{track_id:>6}  {who}{state}{problem}"


def print_json(obj: object) -> None:
    """One JSON value on one line. The convention of every ``--json``: a command that lists things
    prints one object per line (JSON lines), a command that reports one thing prints one object."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


class Progress:
    """A progress bar on a terminal's stderr, silent when stderr is not a terminal."""

    def __init__(self, description: str, unit: str = "file") -> None:
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            # Around the control-character filter (`terminal`): the bar's carriage returns are meant.
            self._bar = tqdm(
                desc=description,
                unit=unit,
                unit_scale=unit == "B",
                file=getattr(sys.stderr, "unfiltered", sys.stderr),
                dynamic_ncols=True,
            )

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            return
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def progress_bar(description: str, unit: str = "file") -> Iterator[Progress]:
    bar = Progress(description, unit)
    try:
        yield bar
    finally:
        bar.close()
