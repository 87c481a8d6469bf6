"""Changing an audio file so that a crash at any moment leaves it whole, old or new, never cut off.

The change is made to a copy in the file's own folder (the same file system), the copy is flushed
to disk, then renamed over the original in one atomic step, and the folder is flushed so the
rename itself survives a power cut. The copy keeps the original's permissions and, where the
process may set it, its owner; its modification time is new, so players see that it changed. A
killed writer's copy is left behind under a hidden temporary name, which the next write in that
folder removes (`temp_files`).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from desktop_app.errors import LibraryError
from desktop_app.temp_files import claimed_temp, remove_abandoned

TEMP_PREFIX = ".genrescope-"
TEMP_SUFFIX = ".tagging"
"""A killed write's copy: hidden, and with no audio extension, so no scan takes it for a track."""


class FileReplaceError(LibraryError):
    """The file could not be replaced; it is unchanged. The message says why."""


def temp_pattern() -> str:
    return f"{TEMP_PREFIX}*{TEMP_SUFFIX}"


def replace_with_changed_copy(path: str, change: Callable[[str], None]) -> os.stat_result:
    """Copy ``path``, let ``change`` edit the copy (given its path), and put the copy in the
    original's place atomically. Returns the new file's stat. A symbolic link is followed: the file
    it points to is replaced, the link stays."""
    real = os.path.realpath(path)
    folder = Path(real).parent
    remove_abandoned(folder, temp_pattern())
    before = os.stat(real)
    try:
        with claimed_temp(folder, TEMP_PREFIX, TEMP_SUFFIX) as (fd, temp):
            with open(real, "rb") as source, open(fd, "wb", closefd=False) as copy:
                shutil.copyfileobj(source, copy, 1 << 20)
            change(str(temp))
            os.fchmod(fd, stat.S_IMODE(before.st_mode))
            try:
                os.fchown(fd, before.st_uid, before.st_gid)
            except PermissionError:  # only root may give a file away: it stays the writer's
                pass
            os.fsync(fd)
            now = os.stat(real)
            if (now.st_size, now.st_mtime_ns, now.st_ino) != (before.st_size, before.st_mtime_ns, before.st_ino):
                raise FileReplaceError("another program changed the file while it was being written")
            os.replace(temp, real)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            raise FileReplaceError("it is on a read-only file system") from exc
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise FileReplaceError("its folder is not writable") from exc
        if exc.errno == errno.ENOSPC:
            raise FileReplaceError("the disk is full") from exc
        raise
    _fsync_folder(folder)
    return os.stat(real)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
