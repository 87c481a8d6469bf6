"""PLS version 2: an INI-like [playlist] section with FileN, TitleN, LengthN, NumberOfEntries, Version."""

from __future__ import annotations

import re
from collections.abc import Sequence

from desktop_app.library.playlist_formats.entries import PlaylistItem, ReadEntry
from desktop_app.library.playlist_formats.locations import resolve_location

_KEY = re.compile(r"^(?P<key>file|title|length)(?P<n>\d+)$", re.IGNORECASE)


def write_pls(items: Sequence[PlaylistItem], title: str) -> str:
    """The playlist's own title has no PLS key; players name it after the file."""
    del title
    lines = ["[playlist]"]
    for n, item in enumerate(items, start=1):
        seconds = round(item.duration) if item.duration is not None else -1
        lines += [
            f"File{n}={item.location.text}",
            f"Title{n}={' '.join(item.display_title.split())}",
            f"Length{n}={seconds}",
        ]
    lines += [f"NumberOfEntries={len(items)}", "Version=2"]
    return "\n".join(lines) + "\n"


def read_pls(text: str, playlist_dir: str) -> list[ReadEntry]:
    """Entries in the order of their numbers (not of the lines); keys are matched case-insensitively."""
    fields: dict[int, dict[str, str]] = {}
    for raw in text.lstrip("\ufeff").splitlines():
        key, sep, value = raw.rstrip("\r\n").partition("=")
        match = _KEY.match(key.strip()) if sep else None
        if match:
            fields.setdefault(int(match["n"]), {})[match["key"].lower()] = value
    entries: list[ReadEntry] = []
    for n in sorted(fields):
        entry = fields[n]
        if "file" not in entry:
            continue
        try:
            length: float | None = float(entry.get("length", "-1"))
        except ValueError:
            length = None
        written = entry["file"]
        entries.append(
            ReadEntry(
                written,
                resolve_location(written, playlist_dir),
                entry.get("title") or None,
                length if length is not None and length >= 0 else None,
            )
        )
    return entries
