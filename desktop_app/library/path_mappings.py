"""Per-machine path mappings: one shared library, its files mounted at different folders per machine.

A shared library (on PostgreSQL) is scanned from one machine's view of the files, and ``tracks.path``
keeps that view: it is the key that identifies a track. Another machine may mount the same share
elsewhere (``/mnt/music`` here is ``/Volumes/music`` there); it says so with a mapping, stored in the
library so that every machine's mappings live with it and can be listed anywhere. A `PathResolver`
holds one machine's mappings and turns a stored path into this machine's path (`to_local`: to open
the file) and back (`to_library`: to find a file's track, so a scan there adds no duplicates).

A prefix is a folder: it matches a path on component boundaries (``/mnt/music`` covers
``/mnt/music/x.flac``, never ``/mnt/musicals``), and the longest matching prefix wins. Paths are
compared as text with ``/`` separators, as the scanner stores them.

A machine is known by its host name, or by ``GENRESCOPE_MACHINE`` when set (tests, and people
whose host name changes from network to network).
"""

from __future__ import annotations

import os
import posixpath
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select

from desktop_app.errors import LibraryError
from desktop_app.library.models import PathMapping
from desktop_app.library.portable import upsert

if TYPE_CHECKING:
    from desktop_app.library.database import Library

MACHINE_ENV = "GENRESCOPE_MACHINE"
path_mappings = PathMapping.__table__


class PathMappingError(LibraryError, ValueError):
    """A mapping that cannot be stored: a prefix that is not an absolute folder path, or ambiguous."""


@dataclass(frozen=True, slots=True)
class FolderMapping:
    """On ``machine``, stored paths under ``library_prefix`` are found under ``local_prefix``."""

    machine: str
    library_prefix: str
    local_prefix: str

    def as_json(self) -> dict[str, str]:
        return {"machine": self.machine, "library_prefix": self.library_prefix, "local_prefix": self.local_prefix}


def machine_name() -> str:
    """This machine's name in the mappings: ``$GENRESCOPE_MACHINE``, else the host name."""
    return os.environ.get(MACHINE_ENV, "").strip() or socket.gethostname()


def normal_prefix(prefix: str) -> str:
    """A folder prefix as stored: absolute, ``.`` and ``..`` and doubled or trailing ``/`` removed."""
    text = prefix.strip()
    if not text.startswith("/"):
        raise PathMappingError(f"{prefix!r} is not an absolute folder path (it must start with /)")
    normal = posixpath.normpath(text)
    return "/" if normal == "//" else normal


def is_inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it (on component boundaries: /a/bc is not in /a/b)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _moved(path: str, old: str, new: str) -> str:
    """``path`` (inside ``old``) with its ``old`` part replaced by ``new``."""
    rest = path[len(old.rstrip("/")) :]  # "" or "/…"
    return (new.rstrip("/") + rest) or "/"


class PathResolver:
    """One machine's mappings: stored paths to this machine's and back, longest prefix first."""

    def __init__(self, machine: str, mappings: Iterable[FolderMapping] = ()) -> None:
        self.machine = machine
        self.mappings = tuple(m for m in mappings if m.machine == machine)
        self._to_local = sorted(self.mappings, key=lambda m: len(m.library_prefix), reverse=True)
        self._to_library = sorted(self.mappings, key=lambda m: len(m.local_prefix), reverse=True)

    def __bool__(self) -> bool:
        return bool(self.mappings)

    def to_local(self, stored: str) -> str:
        """Where this machine finds the file stored as ``stored`` (unchanged when no mapping covers it)."""
        for mapping in self._to_local:
            if is_inside(stored, mapping.library_prefix):
                return _moved(stored, mapping.library_prefix, mapping.local_prefix)
        return stored

    def stored_roots(self, local_root: str) -> list[str]:
        """The stored folders whose files are at or under this machine's ``local_root``: its own
        stored form, and each mapped folder mounted inside it (scanning /Volumes reaches /mnt/music's
        files when /mnt/music is at /Volumes/music)."""
        inside = [m.library_prefix for m in self.mappings if is_inside(m.local_prefix, local_root)]
        return [self.to_library(local_root), *inside]

    def to_library(self, local: str) -> str:
        """The stored form of this machine's path ``local`` (unchanged when no mapping covers it)."""
        for mapping in self._to_library:
            if is_inside(local, mapping.local_prefix):
                return _moved(local, mapping.local_prefix, mapping.library_prefix)
        return local


def list_mappings(library: Library, machine: str | None = None) -> list[FolderMapping]:
    """The mappings of ``machine`` (None: every machine's), by machine and library prefix."""
    with library.engine.connect() as conn:
        return _mappings(conn, machine)


def _mappings(conn: Connection, machine: str | None) -> list[FolderMapping]:
    query = select(path_mappings.c.machine, path_mappings.c.library_prefix, path_mappings.c.local_prefix)
    if machine is not None:
        query = query.where(path_mappings.c.machine == machine)
    query = query.order_by(path_mappings.c.machine, path_mappings.c.library_prefix)
    return [FolderMapping(*row) for row in conn.execute(query)]


def load_resolver(conn: Connection, machine: str | None = None) -> PathResolver:
    """The resolver of ``machine`` (None: this machine, `machine_name`)."""
    name = machine if machine is not None else machine_name()
    return PathResolver(name, _mappings(conn, name))


def set_mapping(library: Library, library_prefix: str, local_prefix: str, machine: str | None = None) -> FolderMapping:
    """Map ``library_prefix`` to ``local_prefix`` on ``machine`` (None: this one), replacing its
    earlier mapping of that prefix. Both must be absolute folder paths; `PathMappingError` if the two
    are the same, or if another library prefix already maps to that local folder on that machine
    (a file there would belong to two stored paths)."""
    mapping = FolderMapping(
        machine if machine is not None else machine_name(), normal_prefix(library_prefix), normal_prefix(local_prefix)
    )
    if not mapping.machine.strip():
        raise PathMappingError("a mapping needs a machine name")
    if mapping.library_prefix == mapping.local_prefix:
        raise PathMappingError(f"{mapping.library_prefix} is mapped to itself: nothing to map")
    with library.writer.begin() as conn:
        _store(conn, mapping)
    library.forget_paths()
    return mapping


def _store(conn: Connection, mapping: FolderMapping) -> None:
    taken = conn.execute(
        select(path_mappings.c.library_prefix).where(
            path_mappings.c.machine == mapping.machine,
            path_mappings.c.local_prefix == mapping.local_prefix,
            path_mappings.c.library_prefix != mapping.library_prefix,
        )
    ).scalar()
    if taken is not None:
        raise PathMappingError(
            f"on {mapping.machine}, {mapping.local_prefix} is already where {taken} is: unmap {taken} first"
        )
    statement = upsert(conn, path_mappings).values(**mapping.as_json())
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[path_mappings.c.machine, path_mappings.c.library_prefix],
            set_={"local_prefix": statement.excluded.local_prefix},
        )
    )


def remove_mapping(library: Library, library_prefix: str, machine: str | None = None) -> bool:
    """Forget ``machine``'s (None: this one's) mapping of ``library_prefix``; whether there was one."""
    name = machine if machine is not None else machine_name()
    prefix = normal_prefix(library_prefix)
    with library.writer.begin() as conn:
        result = conn.execute(
            delete(path_mappings).where(path_mappings.c.machine == name, path_mappings.c.library_prefix == prefix)
        )
    library.forget_paths()
    return bool(result.rowcount)
