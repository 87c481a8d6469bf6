"""The scanner's worker task, in a module light enough for worker processes to import quickly.

Each file gets a time limit: mutagen is pure Python and parses some hostile tags in quadratic
time (an ID3 tag of 200,000 tiny frames, 4 MB, takes 14 s; a 16 MB one minutes), so one bad file
must not stall a whole scan. The limit is a SIGALRM timer, which needs the main thread of a
process: it applies in the scanner's worker processes (the default) and in a command-line
program's own thread, not to reading on other threads.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType

from desktop_app.library.tags import FileInfo, read_file_info
from desktop_app.library.walk import FoundFile

FILE_SECONDS = 10.0
"""Per-file limit: ordinary files take milliseconds, a 50 MB cover picture 0.2 s."""


class _TimedOut(BaseException):
    """Raised into mutagen by the timer; a BaseException so that no ``except Exception`` keeps it."""


def _expire(_signum: int, _frame: FrameType | None) -> None:
    raise _TimedOut


def _can_time() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def read_chunk(files: Sequence[FoundFile], seconds: float | None = FILE_SECONDS) -> list[FileInfo]:
    """Worker entry point: one task reads a chunk of files, each within ``seconds`` if it can."""
    if seconds is None or not _can_time():
        return [_read(f, None) for f in files]
    previous = signal.signal(signal.SIGALRM, _expire)
    try:
        return [_read(f, seconds) for f in files]
    finally:
        signal.signal(signal.SIGALRM, previous)


def _read(f: FoundFile, seconds: float | None) -> FileInfo:
    if f.problem:
        return FileInfo(path=f.path, size=f.size, mtime=f.mtime, error=f.problem)
    if seconds is None:
        return read_file_info(f.path, f.size, f.mtime)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return read_file_info(f.path, f.size, f.mtime)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimedOut:
        reason = f"reading its tags took longer than {seconds:g} s (damaged or hostile file); skipped"
        return FileInfo(path=f.path, size=f.size, mtime=f.mtime, error=reason)


def start_reader(parent_pid: int, niceness: int = 0) -> None:
    """Pool initializer: `exit_with` ``parent_pid``, at ``niceness`` (0: the scanner's own priority).

    The window's scans read at a lower priority: a 10,000-file drop keeps both cores busy, and
    the GUI thread then waited tens of milliseconds for a core at a time. A reader shares nothing
    with the window (its own process, its own GIL), so it only ever yields spare CPU to it.
    """
    if niceness > 0:
        try:
            os.nice(niceness)
        except OSError:  # not allowed here: read at the usual priority
            pass
    exit_with(parent_pid)


def exit_with(parent_pid: int) -> None:
    """Pool initializer: end this worker when the scanning process is gone, kill -9 included.

    Workers are forked by the forkserver, not by the scanner, and hold their task queue's both
    ends, so they never see the scanner die: each killed scan left its workers, the forkserver and
    the resource tracker waiting forever. A thread watches the scanner instead.
    """
    threading.Thread(target=_exit_after, args=(parent_pid,), name="exit-with-parent", daemon=True).start()


def _exit_after(pid: int) -> None:
    try:
        watched = os.pidfd_open(pid)  # Linux: readable once the process has ended
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # elsewhere: ask once a second
        while _alive(pid):
            time.sleep(1.0)
        os._exit(0)
    select.select([watched], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's (its pid was reused)
        return False
    return True
