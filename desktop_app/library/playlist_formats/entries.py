"""What the format writers take and the readers give back, independent of the library."""

from __future__ import annotations

import os
from dataclasses import dataclass

from desktop_app.library.playlist_formats.locations import Location


@dataclass(frozen=True)
class PlaylistItem:
    """One entry to write: its location as it should appear, and what a player shows for it."""

    location: Location
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration: float | None = None
    """Seconds; None when unknown."""

    @property
    def display_title(self) -> str:
        """ "Artist - Title" (the #EXTINF convention), else whichever is known, else the file name."""
        if self.artist and self.title:
            return f"{self.artist} - {self.title}"
        return self.title or self.artist or os.path.basename(self.location.text.replace("\\", "/"))


@dataclass(frozen=True)
class ReadEntry:
    """One entry read from a playlist file.

    ``written`` is the location exactly as in the file; ``path`` the absolute local path it
    names (relative ones resolved against the playlist's folder), None for a remote URL.
    """

    written: str
    path: str | None
    title: str | None = None
    duration: float | None = None
