"""Where a playlist entry points: paths made relative to the playlist's folder, URIs, and back.

One helper for every format, so M3U8, PLS and XSPF agree on when a path can be relative. A path
stays absolute when it cannot be reached from the playlist's folder without leaving its drive:
on Windows another drive letter, on POSIX another file system (a playlist on a USB stick pointing
at the internal disk), since moving either would break a relative path.
"""

from __future__ import annotations

import ntpath
import os
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from types import ModuleType
from urllib.parse import quote, unquote, urlsplit

_SAFE = "/!$&'()*+,;=:@-._~"  # RFC 3986 pchar and "/": everything else is percent-encoded


@dataclass(frozen=True)
class Location:
    """An entry's path as written in a playlist; ``relative`` says whether it is relative."""

    text: str
    relative: bool


def _device(path: str) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _same_file_system(path: str, folder: str) -> bool:
    # A missing file counts as being where its nearest existing folder is.
    probe = path
    while _device(probe) is None and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    mine, theirs = _device(probe), _device(folder)
    return mine is None or theirs is None or mine == theirs


def playlist_location(path: str, playlist_dir: str, relative: bool, flavour: ModuleType = os.path) -> Location:
    """How to write ``path`` (absolute) in a playlist saved in ``playlist_dir``.

    ``flavour`` is ``os.path``, or ``ntpath``/``posixpath`` to reason about another system's
    paths (tests use ``ntpath`` for drive letters). Relative paths use "/" on every system: all
    three formats' readers accept it, Windows ones included.
    """
    if not relative:
        return Location(path, False)
    try:
        text = flavour.relpath(path, playlist_dir)
    except ValueError:  # Windows: another drive
        return Location(path, False)
    if flavour is os.path and not _same_file_system(path, playlist_dir):
        return Location(path, False)
    text = text.replace("\\", "/") if flavour is ntpath else text
    return Location(text, True)


def is_uri(text: str) -> bool:
    """True for "file:///…", "http://…"; False for paths, "C:\\…" included."""
    scheme = urlsplit(text).scheme
    return len(scheme) > 1 and "://" in text[: len(scheme) + 3]


def location_uri(location: Location) -> str:
    """The location as a URI reference: file:// for absolute paths, percent-encoded either way."""
    if location.relative:
        return quote(location.text, safe=_SAFE)
    if ntpath.splitdrive(location.text)[0]:
        return "file:///" + quote(PureWindowsPath(location.text).as_posix(), safe=_SAFE)
    return "file://" + quote(PurePosixPath(location.text).as_posix(), safe=_SAFE)


def resolve_location(text: str, playlist_dir: str) -> str | None:
    """The absolute local path an entry names, relative ones against the playlist's folder.

    None for URLs that are not local files (http, …). Windows-style separators are tried as "/"
    when the written path does not exist here, so a playlist made on Windows still imports.
    """
    if is_uri(text):
        parts = urlsplit(text)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        return os.path.normpath(unquote(parts.path))
    candidates = [text]
    if "\\" in text and not ntpath.splitdrive(text)[0]:
        candidates.append(text.replace("\\", "/"))
    if "%" in text:  # some programs percent-encode plain paths too
        candidates.append(unquote(text))
    resolved = [os.path.normpath(os.path.join(playlist_dir, c)) for c in candidates]
    return next((p for p in resolved if os.path.exists(p)), resolved[0])


def resolve_uri_reference(text: str, playlist_dir: str) -> str | None:
    """An XSPF ``location`` (always a URI reference) as an absolute local path, or None."""
    if is_uri(text):
        return resolve_location(text, playlist_dir)
    return os.path.normpath(os.path.join(playlist_dir, unquote(text)))
