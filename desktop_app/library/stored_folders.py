"""The main folders of a library's stored paths: what a person maps when this machine mounts them elsewhere.

A path mapping names a folder as the library stores it (``/mnt/music``); Settings offers the
library's own folders to choose from rather than asking for one from memory. They are found by
skipping through the sorted paths (the unique index on ``tracks.path``, which compares by code
point on both databases): the first path gives a group (its first folder, or its first two under a
folder that holds mounts and homes: ``/music``, ``/mnt/nas``, ``/home/ann``), the last path of that
group bounds it, the folder the two share is offered (``/home/ann/Music``, not ``/home/ann``, when
all of ann's files are in Music), and the next path after the group starts the next one. A few
index lookups per group, however many tracks.
"""

from __future__ import annotations

import posixpath

from sqlalchemy import Connection, select

from desktop_app.library.models import Track

MOUNT_FOLDERS = frozenset({"/home", "/media", "/mnt", "/net", "/run", "/run/media", "/srv", "/Users", "/Volumes"})
"""Folders whose subfolders are separate places (mounts, homes): a group starts one level deeper."""
MOST_FOLDERS = 50
tracks = Track.__table__
_AFTER_SLASH = chr(ord("/") + 1)
"""The character after ``/``: every path inside ``folder`` sorts before ``folder + "0"``."""


def stored_folders(conn: Connection, limit: int = MOST_FOLDERS) -> list[str]:
    """The main folders of the stored (absolute) paths, sorted, at most ``limit``."""
    folders: list[str] = []
    lower = "/"  # absolute paths sort from "/" to "0", the only ones a mapping can name
    while len(folders) < limit:
        first = _path(conn, lower, _AFTER_SLASH, last=False)
        if first is None:
            return folders
        group = _group(posixpath.dirname(first))
        if group == "/":  # a file at the top: no folder to offer, on to the next path
            lower = first + "\x01"  # the next possible text (paths hold no NUL)
            continue
        upper = group + _AFTER_SLASH
        folders.append(_shared_folder(first, _path(conn, lower, upper, last=True) or first))
        lower = upper
    return folders


def _path(conn: Connection, lower: str, upper: str, *, last: bool) -> str | None:
    """The first (or ``last``) stored path from ``lower`` up to (not including) ``upper``."""
    query = select(tracks.c.path).where(tracks.c.path >= lower, tracks.c.path < upper)
    order = tracks.c.path.desc() if last else tracks.c.path.asc()
    return conn.execute(query.order_by(order).limit(1)).scalar()


def _group(folder: str) -> str:
    """The group of the files in ``folder``: its first folder, deeper while that is in `MOUNT_FOLDERS`
    (``/mnt/music`` of ``/mnt/music/A/B``, ``/music`` of ``/music/A/B``)."""
    parts = folder.split("/")  # "/mnt/music/A" → ["", "mnt", "music", "A"]
    depth = 2
    while depth < len(parts) and "/".join(parts[:depth]) in MOUNT_FOLDERS:
        depth += 1
    return "/".join(parts[:depth]) or "/"


def _shared_folder(a: str, b: str) -> str:
    """The deepest folder holding both files ``a`` and ``b``."""
    common: list[str] = []
    for x, y in zip(posixpath.dirname(a).split("/"), posixpath.dirname(b).split("/"), strict=False):
        if x != y:
            break
        common.append(x)
    return "/".join(common) or "/"
