"""Playlist files: M3U8, PLS and XSPF, read and written without the library or Qt.

`write_playlist` saves atomically (a temporary file in the same folder, then ``os.replace``), so
a player reading the playlist, or a crash mid-export, never sees half a file.
"""

from __future__ import annotations

import codecs
import glob
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from desktop_app.errors import LibraryError
from desktop_app.library.playlist_formats.entries import PlaylistItem, ReadEntry
from desktop_app.library.playlist_formats.locations import Location, playlist_location
from desktop_app.library.playlist_formats.m3u import read_m3u, write_m3u8
from desktop_app.library.playlist_formats.pls import read_pls, write_pls
from desktop_app.library.playlist_formats.xspf import XspfError, read_xspf, write_xspf
from desktop_app.temp_files import claimed_temp, remove_abandoned

FormatName = Literal["m3u8", "pls", "xspf"]


@dataclass(frozen=True)
class PlaylistFormat:
    name: FormatName
    label: str
    extension: str
    write: Callable[[Sequence[PlaylistItem], str], str]


FORMATS: dict[FormatName, PlaylistFormat] = {
    "m3u8": PlaylistFormat("m3u8", "M3U8 playlist", ".m3u8", write_m3u8),
    "pls": PlaylistFormat("pls", "PLS playlist", ".pls", write_pls),
    "xspf": PlaylistFormat("xspf", "XSPF playlist", ".xspf", write_xspf),
}
READERS: dict[str, Callable[[str, str], list[ReadEntry]]] = {
    ".m3u": read_m3u,
    ".m3u8": read_m3u,
    ".pls": read_pls,
    ".xspf": read_xspf,
}
IMPORT_PATTERNS = "*.m3u *.m3u8 *.pls *.xspf"


class PlaylistFileError(LibraryError, ValueError):
    """A playlist file that cannot be read: unknown extension or broken content."""


def write_playlist(path: str | os.PathLike[str], fmt: FormatName, items: Sequence[PlaylistItem], title: str) -> None:
    """Write the playlist file atomically, UTF-8, "\\n" line ends; a temporary file that an
    earlier, killed export of the same name left is deleted."""
    target = Path(path)
    content = FORMATS[fmt].write(items, title).encode("utf-8")
    prefix = f".{target.name}."
    remove_abandoned(target.parent, f"{glob.escape(prefix)}*.tmp")
    with claimed_temp(target.parent, prefix, ".tmp") as (fd, temp):
        with open(fd, "wb", closefd=False) as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)


# UTF-32 first: its little-endian mark begins with UTF-16's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode(data: bytes, suffix: str) -> str:
    """UTF-8 (the .m3u8, .pls and .xspf norm); UTF-16 or UTF-32 when a byte order mark says so
    (Windows Notepad's "Unicode"); an old .m3u may be Latin-1 / Windows-1252. Binary data is
    refused instead of being read as hundreds of garbage entries."""
    for mark, codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise PlaylistFileError(f"it starts as {codec.upper()} text but is not valid {codec.upper()}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if suffix == ".xspf":
            raise PlaylistFileError("an XSPF file must be UTF-8") from None
        text = data.decode("cp1252", errors="replace")
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        raise PlaylistFileError("it holds binary data, not the text of a playlist")
    return text


def read_playlist(path: str | os.PathLike[str]) -> list[ReadEntry]:
    """The entries of an M3U, M3U8, PLS or XSPF file, chosen by its extension."""
    source = Path(path)
    suffix = source.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise PlaylistFileError(f"{source.name}: not a playlist this app reads ({IMPORT_PATTERNS})")
    try:
        return reader(_decode(source.read_bytes(), suffix), str(source.parent.absolute()))
    except (XspfError, PlaylistFileError) as exc:
        raise PlaylistFileError(f"{source.name}: {exc}") from None


__all__ = [
    "FORMATS",
    "IMPORT_PATTERNS",
    "FormatName",
    "Location",
    "PlaylistFileError",
    "PlaylistFormat",
    "PlaylistItem",
    "ReadEntry",
    "playlist_location",
    "read_playlist",
    "write_playlist",
]
