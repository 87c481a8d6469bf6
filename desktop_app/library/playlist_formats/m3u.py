"""M3U and M3U8: the extended form (#EXTM3U, #EXTINF:<seconds>,<Artist> - <Title>), UTF-8."""

from __future__ import annotations

from collections.abc import Sequence

from desktop_app.library.playlist_formats.entries import PlaylistItem, ReadEntry
from desktop_app.library.playlist_formats.locations import resolve_location


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_m3u8(items: Sequence[PlaylistItem], title: str) -> str:
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(title)}"]
    for item in items:
        seconds = round(item.duration) if item.duration is not None else -1
        lines.append(f"#EXTINF:{seconds},{_one_line(item.display_title)}")
        text = item.location.text
        # A relative path starting with "#" would read as a comment line.
        lines.append(f"./{text}" if text.startswith("#") else text)
    return "\n".join(lines) + "\n"


def _extinf(line: str) -> tuple[float | None, str | None]:
    """``#EXTINF:123 tvg-id="x",Artist - Title`` → (123.0, "Artist - Title")."""
    info, _, title = line[len("#EXTINF:") :].partition(",")
    try:
        seconds: float | None = float(info.split()[0]) if info.split() else None
    except ValueError:
        seconds = None
    return (seconds if seconds is not None and seconds >= 0 else None), (title.strip() or None)


def read_m3u(text: str, playlist_dir: str) -> list[ReadEntry]:
    """Entries of an M3U/M3U8 file, plain or extended; comments and directives other than #EXTINF are skipped."""
    entries: list[ReadEntry] = []
    pending: tuple[float | None, str | None] = (None, None)
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
                pending = _extinf(line)
            continue
        duration, title = pending
        entries.append(ReadEntry(line, resolve_location(line, playlist_dir), title, duration))
        pending = (None, None)
    return entries
