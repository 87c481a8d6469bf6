"""Writing genres into files' tags, in three steps a window or a command drives: plan, apply, undo.

`plan_tag_writes` reads each chosen file's genre field and says, per file, the values it holds and
the values it would hold, or why it is left alone (missing, read-only, changed on disk since the
scan, a format not written); nothing is written. `apply_plan` writes a plan as one batch:
every file's old values are recorded in the library (durably) before the first file is touched,
each file is replaced atomically (`file_replace`) with a copy whose genre field alone differs
(`genre_fields`), and the track's row then takes the file's new size, modification time and tags,
keeping its analyses. `undo_batch` writes the old values back the same way, leaving alone (with
the reason) any file changed since the batch wrote it.

Files are recorded by their stored paths (``tracks.path``) and opened where this machine finds
them (`Library.paths`, the per-machine path mappings of a shared library).

A crash at any moment leaves each file old or new; the next apply or undo reads the files the crash
left in between (`settle_interrupted`) and records which they are. Progress and cancelling go
through plain callables, so the window runs these on a worker thread and the command line inline.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import mutagen
from sqlalchemy import Connection, select

from desktop_app.errors import LibraryError
from desktop_app.library import tag_batches, track_store
from desktop_app.library.database import Library
from desktop_app.library.file_replace import FileReplaceError, replace_with_changed_copy
from desktop_app.library.genre_fields import GenreFieldError, as_stored, genre_field, open_for_genre, write_genre_values
from desktop_app.library.genres import split_genres
from desktop_app.library.models import Track
from desktop_app.library.tag_batches import WriteEntry
from desktop_app.library.tags import read_file_info

log = logging.getLogger(__name__)
tracks = Track.__table__

Mode = Literal["replace", "add"]
MODES: tuple[Mode, ...] = ("replace", "add")
TYPED = "typed"
"""The source of a genre the person typed, in place of a model's name."""


class TagWriteError(LibraryError):
    """A batch that cannot be written or undone as asked (no such batch, nothing to undo)."""


@dataclass(frozen=True, slots=True)
class GenreChoice:
    """The genre to write into one track's tags, and how sure its model was (None: typed)."""

    track_id: int
    genre: str
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One file that would change: its genre field's values now and after."""

    track_id: int
    path: str
    tag_kind: str
    genre: str
    confidence: float | None
    old_values: tuple[str, ...]
    new_values: tuple[str, ...]
    size: int | None
    mtime: float | None


@dataclass(frozen=True, slots=True)
class LeftAlone:
    """A file that is not written (or not undone), and why."""

    path: str
    reason: str
    track_id: int | None = None


@dataclass(frozen=True, slots=True)
class TagPlan:
    """What a batch would do; `apply_plan` does it. ``source``: the model name, or `TYPED`."""

    source: str
    mode: Mode
    min_confidence: float | None
    writes: tuple[PlannedWrite, ...]
    left_alone: tuple[LeftAlone, ...]
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class TagProgress:
    done: int
    total: int
    path: str = ""


@dataclass(slots=True)
class BatchReport:
    """What an apply or an undo did: the files changed (entries as recorded) and those left alone."""

    batch_id: int
    changed: list[WriteEntry] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)
    cancelled: bool = False


ProgressCallback = Callable[[TagProgress], object]
CancelCheck = Callable[[], bool]


def _never() -> bool:
    return False


def new_values(old: Sequence[str], genre: str, mode: Mode) -> tuple[str, ...]:
    """The genre field after writing ``genre``: only it (replace), or the old values and it when it is
    not among them yet, compared as the library splits and compares genres (add)."""
    if mode == "replace":
        return (genre,)
    present = {name.casefold() for name in split_genres(old)}
    return tuple(old) if genre.casefold() in present else (*old, genre)


def file_problem(path: str, size: int | None, mtime: float | None) -> str | None:
    """Why the file at ``path`` must not be written now, if it must not: gone, changed on disk since
    the library last saw it (``size``, ``mtime``), read-only, on a read-only file system, or with
    other hard links (replacing it would part them)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing: the file is not there any more"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if (st.st_size, st.st_mtime) != (size, mtime):
        return "changed on disk since the library last read it (size or modification time differ): scan it again first"
    folder = os.path.dirname(os.path.realpath(path))
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        return "on a read-only file system"
    if not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        return "read-only file"
    if not os.access(folder, os.W_OK):
        return "its folder is not writable (the file is replaced by a new copy there)"
    if st.st_nlink > 1:
        return "the file has other hard links, which replacing it would separate from it"
    return None


def plan_tag_writes(
    library: Library,
    choices: Sequence[GenreChoice],
    *,
    source: str,
    mode: Mode,
    min_confidence: float | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck = _never,
) -> TagPlan:
    """Read each chosen track's file and say what writing its genre would change; writes no file.
    What an interrupted batch left is settled first, so the library knows the files as they are."""
    if mode not in MODES:
        raise TagWriteError(f"unknown mode {mode!r}: replace or add")
    settle_interrupted(library)
    rows = _track_rows(library, [choice.track_id for choice in choices])
    planned: list[PlannedWrite] = []
    left: list[LeftAlone] = []
    cancelled = False
    for done, choice in enumerate(choices):
        if should_cancel():
            cancelled = True
            break
        row = rows.get(choice.track_id)
        if row is None:
            left.append(LeftAlone(f"track {choice.track_id}", "not in the library", choice.track_id))
            continue
        local = library.paths.to_local(row.path)
        if progress is not None:
            progress(TagProgress(done, len(choices), row.path))
        problem = file_problem(local, row.size, row.mtime)
        if problem is None:
            try:
                current = _genre_values(local)
            except GenreFieldError as exc:
                problem = str(exc)
        if problem is not None:
            left.append(LeftAlone(row.path, problem, choice.track_id))
            continue
        kind, old = current
        new = as_stored(kind, new_values(old, choice.genre, mode))
        if new == old:
            left.append(LeftAlone(row.path, f"already has the genre {choice.genre!r}", choice.track_id))
            continue
        planned.append(
            PlannedWrite(
                choice.track_id, row.path, kind, choice.genre, choice.confidence, old, new, row.size, row.mtime
            )
        )
    if progress is not None and not cancelled:
        progress(TagProgress(len(choices), len(choices)))
    return TagPlan(source, mode, min_confidence, tuple(planned), tuple(left), cancelled)


@dataclass(frozen=True, slots=True)
class _TrackFile:
    path: str
    size: int | None
    mtime: float | None


def _track_rows(library: Library, ids: Sequence[int]) -> dict[int, _TrackFile]:
    found: dict[int, _TrackFile] = {}
    with library.engine.connect() as conn:
        for start in range(0, len(ids), 500):
            query = select(tracks.c.id, tracks.c.path, tracks.c.size, tracks.c.mtime).where(
                tracks.c.id.in_(list(ids[start : start + 500]))
            )
            found.update({row.id: _TrackFile(row.path, row.size, row.mtime) for row in conn.execute(query)})
    return found


def _genre_values(path: str) -> tuple[str, tuple[str, ...]]:
    found = genre_field(open_for_genre(path))
    return found.kind, found.values


def apply_plan(
    library: Library,
    plan: TagPlan,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck = _never,
) -> BatchReport:
    """Write the plan's files as one batch (see the module's description); cancelling stops before
    the next file and leaves the files written so far written (undo takes them back)."""
    settle_interrupted(library)
    entries: list[dict[str, object]] = [
        {
            "track_id": w.track_id,
            "path": w.path,
            "genre": w.genre,
            "confidence": w.confidence,
            "old_values": list(w.old_values),
            "new_values": list(w.new_values),
            "old_size": w.size,
            "old_mtime": w.mtime,
        }
        for w in plan.writes
    ]
    with tag_batches.durable_transaction(library) as conn:
        batch_id = tag_batches.start_batch(conn, plan.source, plan.mode, plan.min_confidence, entries)
        recorded = tag_batches.entries_of(conn, batch_id)
    report = BatchReport(batch_id, left_alone=list(plan.left_alone))
    for done, entry in enumerate(recorded):
        if should_cancel():
            report.cancelled = True
            with library.writer.begin() as conn:
                tag_batches.set_states(conn, recorded[done:], tag_batches.NOT_WRITTEN, "cancelled before this file")
            break
        if progress is not None:
            progress(TagProgress(done, len(recorded), entry.path))
        outcome = _rewrite(library, entry, entry.old_values, entry.new_values, (entry.old_size, entry.old_mtime))
        if isinstance(outcome, WriteEntry):
            report.changed.append(outcome)
        else:
            report.left_alone.append(LeftAlone(entry.path, outcome, entry.track_id))
            with library.writer.begin() as conn:
                tag_batches.set_state(conn, entry, tag_batches.SKIPPED, outcome)
    with library.writer.begin() as conn:
        tag_batches.finish_batch(conn, batch_id, report.cancelled)
    if progress is not None and not report.cancelled:
        progress(TagProgress(len(recorded), len(recorded)))
    return report


def _rewrite(
    library: Library,
    entry: WriteEntry,
    expected: tuple[str, ...],
    values: tuple[str, ...],
    seen: tuple[int | None, float | None],
) -> WriteEntry | str:
    """Replace the file's genre field ``expected`` by ``values`` if the file is still as ``seen``
    (size, mtime), then record it: the entry as recorded then, else why not (the file is unchanged).
    The file is this machine's copy of the entry's stored path (`Library.paths`)."""
    writing_back = values == entry.old_values
    local = library.paths.to_local(entry.path)
    problem = file_problem(local, *seen)
    if problem is not None:
        return problem
    try:
        audio = open_for_genre(local)
        if genre_field(audio).values != expected:
            return "its genre tag was changed by another program since"
        if writing_back:  # durably marked before the file changes, as the batch's files were
            with tag_batches.durable_transaction(library) as conn:
                tag_batches.set_state(conn, entry, tag_batches.UNDOING)
        after = replace_with_changed_copy(local, lambda copy: write_genre_values(audio, copy, values))
    except (GenreFieldError, FileReplaceError) as exc:
        problem = str(exc)
    except (OSError, mutagen.MutagenError) as exc:
        log.exception("writing the genre of %s failed", local)
        problem = f"could not be written ({type(exc).__name__}: {exc}); the file is unchanged"
    if problem is not None:
        return problem
    state = tag_batches.UNDONE if writing_back else tag_batches.WRITTEN
    with library.writer.begin() as conn:
        _record_file(conn, entry, local, after.st_size, after.st_mtime)
        if writing_back:
            tag_batches.set_state(conn, entry, state)
            tag_batches.follow_file(conn, entry.path, values, after.st_size, after.st_mtime)
            return dataclasses.replace(entry, state=state, reason=None)
        tag_batches.set_state(conn, entry, state, size=after.st_size, mtime=after.st_mtime)
    return dataclasses.replace(entry, state=state, reason=None, new_size=after.st_size, new_mtime=after.st_mtime)


def _record_file(conn: Connection, entry: WriteEntry, local: str, size: int, mtime: float) -> None:
    """The track's row as the file (at ``local``, this machine's path) now is: new size and
    modification time, tags read again, so the next scan sees it unchanged; its analyses stay (they
    are of the audio, which did not change); its stored path stays."""
    if entry.track_id is not None:
        track_store.update_tracks(conn, [(entry.track_id, read_file_info(local, size, mtime))])


def undo_batch(
    library: Library,
    batch_id: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck = _never,
) -> BatchReport:
    """Write back the old genre values of a batch's written files (default: the latest batch with
    any). A file changed since the batch wrote it is left alone, with the reason."""
    settle_interrupted(library)
    with library.engine.connect() as conn:
        if batch_id is None:
            batch_id = tag_batches.last_undoable_batch(conn)
            if batch_id is None:
                raise TagWriteError("nothing to undo: no batch has files with genres written")
        elif not any(summary.id == batch_id for summary in tag_batches.batch_summaries(conn)):
            raise TagWriteError(f"there is no batch {batch_id}")
        entries = tag_batches.entries_of(conn, batch_id, [tag_batches.WRITTEN])
    report = BatchReport(batch_id)
    for done, entry in enumerate(entries):
        if should_cancel():
            report.cancelled = True
            break
        if progress is not None:
            progress(TagProgress(done, len(entries), entry.path))
        outcome = _rewrite(library, entry, entry.new_values, entry.old_values, (entry.new_size, entry.new_mtime))
        if isinstance(outcome, WriteEntry):
            report.changed.append(outcome)
        else:
            report.left_alone.append(LeftAlone(entry.path, outcome, entry.track_id))
            with library.writer.begin() as conn:  # back from `undoing`, if it got that far
                tag_batches.set_state(conn, entry, tag_batches.WRITTEN, f"not undone: {outcome}")
    if progress is not None and not report.cancelled:
        progress(TagProgress(len(entries), len(entries)))
    return report


def settle_interrupted(library: Library) -> int:
    """Record what became of the files a crash left ``pending`` or ``undoing``, by reading each:
    it holds the old values or the new ones (the replacement is atomic). Returns how many."""
    with library.engine.connect() as conn:
        entries = tag_batches.interrupted_entries(conn)
    for entry in entries:
        local = library.paths.to_local(entry.path)
        state, reason, after = _settled_state(entry, local)
        with library.writer.begin() as conn:
            if after is not None:
                _record_file(conn, entry, local, after.st_size, after.st_mtime)
            if after is not None and state == tag_batches.WRITTEN:
                tag_batches.set_state(conn, entry, state, reason, size=after.st_size, mtime=after.st_mtime)
            else:
                tag_batches.set_state(conn, entry, state, reason)
    with library.writer.begin() as conn:
        tag_batches.close_unfinished(conn)
    return len(entries)


def _settled_state(entry: WriteEntry, local: str) -> tuple[str, str | None, os.stat_result | None]:
    """(state, reason, the file's stat when the library's row must follow it); ``local``: where
    this machine finds the entry's file."""
    undoing = entry.state == tag_batches.UNDOING
    try:
        after = os.stat(local)
        values = _genre_values(local)[1]
    except (OSError, GenreFieldError) as exc:
        reason = f"interrupted, and the file cannot be read now: {exc}"
        return (tag_batches.WRITTEN if undoing else tag_batches.NOT_WRITTEN), reason, None
    if values == entry.new_values:
        return tag_batches.WRITTEN, None, after
    if values == entry.old_values:
        if undoing:
            return tag_batches.UNDONE, None, after
        return tag_batches.NOT_WRITTEN, "interrupted before this file was written", None
    return (
        tag_batches.WRITTEN if undoing else tag_batches.NOT_WRITTEN,
        "interrupted, and the file's genre is neither the old nor the new value now",
        None,
    )
