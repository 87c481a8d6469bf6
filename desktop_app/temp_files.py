"""Temporary files for atomic writes (temp file + rename) that a killed writer cannot leave behind.

A process killed mid-write (kill -9, power loss) leaves its temporary file: the target stays
whole, but a partial 488 MB model or a half playlist would litter the folder for good. A writer
therefore holds an exclusive lock on its temporary file while it exists (the lock dies with the
process), and the next writer in the folder deletes the temporary files nobody holds.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there, which protects it instead
    fcntl = None  # type: ignore[assignment]

MIN_AGE_SECONDS = 2.0
"""A temporary file younger than this is left alone: its writer may not have locked it yet."""


@contextmanager
def claimed_temp(folder: Path, prefix: str, suffix: str) -> Iterator[tuple[int, Path]]:
    """A new temporary file in ``folder`` and its open descriptor, locked until the block ends.

    The file is deleted on the way out unless the block renamed it; the descriptor is closed.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    temp = Path(name)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd, temp
    finally:
        temp.unlink(missing_ok=True)
        os.close(fd)


def remove_abandoned(folder: Path, pattern: str) -> list[Path]:
    """Delete the files matching ``pattern`` in ``folder`` that no living writer holds."""
    removed = []
    now = time.time()
    for path in folder.glob(pattern):
        try:
            if now - path.stat().st_mtime < MIN_AGE_SECONDS or not _unheld(path):
                continue
            path.unlink()
        except OSError:  # gone already, or in use (Windows)
            continue
        removed.append(path)
    return removed


def _unheld(path: Path) -> bool:
    if fcntl is None:
        return True
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
