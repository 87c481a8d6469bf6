"""The library scanner: walk, compare with the database, read changed files in parallel, write in batches.

Unchanged files (same size and mtime) cost one stat. Tag reading runs in worker processes
(mutagen is pure Python, so threads would share one core; and there each file has a time limit,
see `reading`) while this thread writes finished batches, each in its own transaction: killing
the process loses at most the batch in flight, and the next scan picks up where this one stopped.
Files are marked missing only after a complete walk, so a cancelled scan or an unplugged drive
never wipes anything. Paths go through this machine's path mappings (`path_mappings`): a shared
library's tracks keep the paths they were first stored with, whichever machine rescans them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context

from desktop_app.library import track_store
from desktop_app.library.database import Library
from desktop_app.library.reading import FILE_SECONDS, read_chunk, start_reader
from desktop_app.library.tags import FileInfo, printable_path
from desktop_app.library.walk import FoundFile, WalkProblem, walk_audio

CHUNK = 64  # files per worker task: large enough to amortise IPC, small enough for smooth progress
WRITE_BATCH = 500  # rows per transaction


@dataclass(slots=True)
class ScanProgress:
    phase: str  # "walking", "reading" or "done"
    done: int
    total: int
    path: str = ""


@dataclass(slots=True)
class ScanResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    error_files: list[dict[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.error_files)

    def as_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
            "error_files": self.error_files,
        }


def _chunks(items: Sequence[FoundFile], size: int) -> Iterator[Sequence[FoundFile]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def make_executor(kind: str, workers: int, niceness: int = 0) -> Executor:
    """A pool for tag reading: "process" (default: faster, and each file's time is bounded; its
    processes at ``niceness``) or "thread"."""
    if kind == "thread":
        return ThreadPoolExecutor(workers)
    # forkserver: safe to start from a program that already runs threads (the GUI, Qt).
    return ProcessPoolExecutor(
        workers, mp_context=get_context("forkserver"), initializer=start_reader, initargs=(os.getpid(), niceness)
    )


class Scanner:
    def __init__(
        self,
        library: Library,
        *,
        workers: int | None = None,
        executor: str = "process",
        progress: Callable[[ScanProgress], object] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        file_seconds: float = FILE_SECONDS,
        niceness: int = 0,
    ) -> None:
        """``executor``: "process" (default), "thread", or "inline" (the calling thread, for tests
        and benchmarks). ``file_seconds``: the time limit per file where it can apply.
        ``niceness``: how much lower the reader processes run (the window's scans: below it)."""
        self.library = library
        self.workers = workers if workers is not None else max(1, os.cpu_count() or 1)
        self.executor_kind = executor
        self.file_seconds = file_seconds
        self.niceness = niceness
        self._progress = progress or (lambda _p: None)
        self._cancelled = should_cancel or (lambda: False)

    def scan(self, roots: Iterable[str | os.PathLike[str]]) -> ScanResult:
        started = time.perf_counter()
        result = ScanResult()
        root_paths = [os.path.abspath(os.fspath(r)) for r in roots]

        found: list[FoundFile] = []
        for item in walk_audio(root_paths, self._cancelled):
            if isinstance(item, WalkProblem):
                result.error_files.append({"path": item.path, "reason": item.reason})
            else:
                found.append(item)
                if len(found) % 1000 == 0:
                    self._progress(ScanProgress("walking", len(found), 0, item.path))
        walk_complete = not self._cancelled()

        # Tracks are stored as the machine that scanned them first saw them: this machine's paths
        # become stored ones through its mappings, and only tracks under the roots scanned, as this
        # machine reaches them, are judged (a root another machine mounts elsewhere is not touched).
        paths = self.library.paths
        stored = paths.to_library
        # As stored: a root whose name is not UTF-8 has its files under its escaped form.
        stored_roots = [folder for root in root_paths for folder in paths.stored_roots(printable_path(root))]
        with self.library.engine.connect() as conn:
            known = track_store.known_tracks(conn, stored_roots)

        to_read: list[FoundFile] = []
        changed_ids: dict[str, int] = {}
        restored: list[int] = []
        for f in found:
            key = stored(f.path)
            row = known.pop(key, None)
            if row is None:
                to_read.append(f)
            elif row.size != f.size or row.mtime != f.mtime:
                to_read.append(f)
                changed_ids[key] = row.id
            elif row.available:
                result.unchanged += 1
            else:
                restored.append(row.id)

        self._read_and_write(to_read, changed_ids, result)

        with self.library.writer.begin() as conn:
            track_store.set_available(conn, restored, True)
            result.updated += len(restored)
            if walk_complete and not self._cancelled():
                gone = [row.id for row in known.values() if row.available]
                track_store.set_available(conn, gone, False)
                result.missing = len(gone)
        result.cancelled = self._cancelled()
        result.seconds = time.perf_counter() - started
        self._progress(ScanProgress("done", len(to_read), len(to_read)))
        return result

    def _infos(self, files: Sequence[FoundFile]) -> Iterator[FileInfo]:
        """File infos as workers finish them, with a bounded number of chunks in flight.

        Even a handful of files goes to a worker process (about 0.1 s to start one): that is
        where a hostile file's reading time is bounded, and a GUI scan runs on a pool thread.
        """
        read = partial(read_chunk, seconds=self.file_seconds)
        if not files:
            return
        if self.executor_kind == "inline":
            for chunk in _chunks(files, CHUNK):
                if self._cancelled():
                    return
                yield from read(chunk)
            return
        workers = max(1, min(self.workers, -(-len(files) // CHUNK)))
        with make_executor(self.executor_kind, workers, self.niceness) as pool:
            pending: list[Future[list[FileInfo]]] = []
            chunks = _chunks(files, CHUNK)
            try:
                for chunk in chunks:
                    pending.append(pool.submit(read, chunk))
                    if len(pending) >= 3 * workers:
                        break
                while pending:
                    infos = pending.pop(0).result()
                    if self._cancelled():
                        return
                    next_chunk = next(chunks, None)
                    if next_chunk is not None:
                        pending.append(pool.submit(read, next_chunk))
                    yield from infos
            finally:
                for future in pending:
                    future.cancel()

    def _read_and_write(self, files: Sequence[FoundFile], changed_ids: dict[str, int], result: ScanResult) -> None:
        total = len(files)
        batch: list[FileInfo] = []

        stored = self.library.paths.to_library

        def flush() -> None:
            for info in batch:
                if info.error:  # as this machine's person finds the file
                    result.error_files.append({"path": info.path, "reason": info.error})
                info.path = stored(info.path)
            new = [info for info in batch if info.path not in changed_ids]
            changed = [(changed_ids[info.path], info) for info in batch if info.path in changed_ids]
            with self.library.writer.begin() as conn:
                track_store.insert_tracks(conn, new)
                track_store.update_tracks(conn, changed)
            result.added += len(new)
            result.updated += len(changed)
            batch.clear()

        done = 0
        for info in self._infos(files):
            batch.append(info)
            done += 1
            if len(batch) >= WRITE_BATCH:
                flush()
            if done % CHUNK == 0 or done == total:
                self._progress(ScanProgress("reading", done, total, info.path))
        if batch:
            flush()
