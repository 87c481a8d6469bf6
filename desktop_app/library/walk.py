"""Finding audio files under the folders a person chose.

Symlinked folders are followed, each real folder once, so a link loop ends instead of spinning.
Problems met on the way (unreadable folders, names that are not UTF-8, a song name that is a
broken link or a pipe) are reported, not raised.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from desktop_app.library.formats import is_audio_name
from desktop_app.library.tags import file_name_problem, printable_path


@dataclass(slots=True, frozen=True)
class FoundFile:
    path: str
    size: int
    mtime: float
    problem: str | None = None


@dataclass(slots=True, frozen=True)
class WalkProblem:
    path: str
    reason: str


def _found(path: str, st: os.stat_result) -> FoundFile:
    problem = file_name_problem(path)
    if problem:
        return FoundFile(printable_path(path), st.st_size, st.st_mtime, problem)
    return FoundFile(path, st.st_size, st.st_mtime)


def walk_audio(
    roots: list[str], should_cancel: Callable[[], bool] = lambda: False
) -> Iterator[FoundFile | WalkProblem]:
    """Audio files under ``roots`` (folders or single files), depth first, sorted by name.

    Each path comes once, also when roots overlap (a folder and a file inside it, dropped together).
    """
    yielded: set[str] = set()
    for item in _walk_roots(roots, should_cancel):
        if item.path not in yielded:
            yielded.add(item.path)
            yield item


def _walk_roots(roots: list[str], should_cancel: Callable[[], bool]) -> Iterator[FoundFile | WalkProblem]:
    visited: set[tuple[int, int]] = set()
    for root in roots:
        try:
            st = os.stat(root)
        except OSError as exc:
            yield WalkProblem(printable_path(root), f"cannot open: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk_folder(root, visited, should_cancel)
        elif not stat.S_ISREG(st.st_mode):
            yield WalkProblem(printable_path(root), _not_a_file(root))
        elif is_audio_name(os.path.basename(root)):
            yield _found(root, st)
        else:
            yield WalkProblem(printable_path(root), "not an audio file name (unsupported extension)")


def _walk_folder(
    root: str, visited: set[tuple[int, int]], should_cancel: Callable[[], bool]
) -> Iterator[FoundFile | WalkProblem]:
    stack = [root]
    while stack and not should_cancel():
        folder = stack.pop()
        try:
            st = os.stat(folder)
            identity = (st.st_dev, st.st_ino)
            if identity in visited:
                continue
            visited.add(identity)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield WalkProblem(printable_path(folder), f"folder cannot be read: {exc.strerror or exc}")
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir():
                    subfolders.append(entry.path)
                elif is_audio_name(entry.name):
                    if entry.is_file():
                        yield _found(entry.path, entry.stat())
                    else:
                        yield WalkProblem(printable_path(entry.path), _not_a_file(entry.path))
            except OSError as exc:
                yield WalkProblem(printable_path(entry.path), f"cannot be read: {exc.strerror or exc}")
        stack.extend(reversed(subfolders))


def _not_a_file(path: str) -> str:
    """Why an audio-named entry that is neither a folder nor a regular file is not read."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "broken link: what it points to does not exist"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return "not a regular file (a pipe, socket or device)"
