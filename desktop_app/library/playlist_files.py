"""Exporting library playlists to M3U8/PLS/XSPF files and importing such files as manual playlists.

The formats themselves live in `playlist_formats`; this module decides what goes in: which
tracks (missing files skipped and counted unless kept), relative or absolute paths (falling back
to absolute, and counting it, when a path cannot be relative), and on import which entries are
library tracks, which files must be scanned in first, and which cannot be found at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.library.database import Library
from desktop_app.library.models import Track
from desktop_app.library.playlist_formats import (
    FORMATS,
    FormatName,
    PlaylistItem,
    playlist_location,
    read_playlist,
    write_playlist,
)
from desktop_app.library.playlists import (
    ID_BATCH,
    PlaylistInfo,
    PlaylistTrack,
    create_playlist,
    genre_track_ids,
    playlist_track_ids,
    tracks_by_id,
    unique_name,
)
from desktop_app.library.smart_rules import ModelIds
from desktop_app.wording import plural

tracks = Track.__table__


@dataclass
class ExportResult:
    """What an export wrote; ``absolute_fallbacks`` counts paths asked relative but written absolute."""

    path: str
    format: FormatName
    written: int = 0
    skipped_unavailable: int = 0
    absolute_fallbacks: int = 0
    name: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "format": self.format,
            "written": self.written,
            "skipped_unavailable": self.skipped_unavailable,
            "absolute_fallbacks": self.absolute_fallbacks,
        }

    def describe(self) -> str:
        text = f"{plural(self.written, 'track')} written to {self.path}"
        if self.skipped_unavailable:
            text += f"; {self.skipped_unavailable:,} missing file(s) skipped"
        if self.absolute_fallbacks:
            text += (
                f"; {self.absolute_fallbacks:,} path(s) written absolute because they are on another "
                "drive than the playlist"
            )
        return text


def export_tracks(
    items: Sequence[PlaylistTrack],
    out: str | os.PathLike[str],
    fmt: FormatName,
    *,
    title: str,
    local_path: Callable[[str], str],
    relative: bool = False,
    keep_unavailable: bool = False,
) -> ExportResult:
    """Write these tracks as a playlist file (atomically), each at ``local_path(stored path)``: where
    this machine finds it (`Library.paths`), so the file plays here."""
    target = Path(out).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = str(target.parent)
    result = ExportResult(str(target), fmt, name=title)
    written: list[PlaylistItem] = []
    for track in items:
        if not track.available and not keep_unavailable:
            result.skipped_unavailable += 1
            continue
        location = playlist_location(local_path(track.path), folder, relative)
        result.absolute_fallbacks += relative and not location.relative
        written.append(PlaylistItem(location, track.title, track.artist, track.album, track.duration))
    write_playlist(target, fmt, written, title)
    result.written = len(written)
    return result


def export_playlist(
    library: Library,
    playlist: PlaylistInfo,
    out: str | os.PathLike[str],
    fmt: FormatName,
    *,
    models: ModelIds,
    relative: bool = False,
    keep_unavailable: bool = False,
) -> ExportResult:
    with library.engine.connect() as conn:
        items = tracks_by_id(conn, playlist_track_ids(conn, playlist, models))
    return export_tracks(
        items,
        out,
        fmt,
        title=playlist.name,
        local_path=library.paths.to_local,
        relative=relative,
        keep_unavailable=keep_unavailable,
    )


def safe_file_name(name: str) -> str:
    """A file name for a playlist title on any system: no / \\ : * ? " < > | nor control characters."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned or "playlist"


def export_genre_playlists(
    library: Library,
    out_dir: str | os.PathLike[str],
    fmt: FormatName,
    *,
    model: str,
    models: ModelIds,
    min_confidence: float | None = None,
    relative: bool = False,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[ExportResult]:
    """One file per genre of ``model`` that has tracks ("Rock.m3u8"), ordered by confidence
    (``min_confidence`` None: the taxonomy's low-confidence line)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for genre in TAXONOMIES[model].labels:
        if cancelled():
            break
        with library.engine.connect() as conn:
            items = tracks_by_id(conn, genre_track_ids(conn, model, genre.key, min_confidence, models))
        if items:
            out = folder / (safe_file_name(genre.display_name) + FORMATS[fmt].extension)
            results.append(
                export_tracks(
                    items, out, fmt, title=genre.display_name, local_path=library.paths.to_local, relative=relative
                )
            )
    return results


@dataclass
class ImportResult:
    """A playlist file brought into the library as a manual playlist."""

    playlist_id: int
    name: str
    entries: int = 0
    """Entries in the file."""
    added: int = 0
    """Entries now in the playlist."""
    scanned: int = 0
    """Files that were not in the library and were scanned in."""
    not_found: list[dict[str, str]] = field(default_factory=list)
    """Entries left out: {"entry": as written, "reason": why}."""

    def as_json(self) -> dict[str, Any]:
        return {
            "playlist_id": self.playlist_id,
            "name": self.name,
            "entries": self.entries,
            "added": self.added,
            "scanned": self.scanned,
            "not_found": self.not_found,
        }

    def describe(self) -> str:
        text = f"Imported {self.added:,} of {self.entries:,} entries into playlist {self.name!r}"
        if self.scanned:
            text += f" ({self.scanned:,} new file(s) added to the library)"
        if self.not_found:
            text += f"; {len(self.not_found):,} could not be found"
        return text


def _track_ids_by_path(library: Library, paths: Sequence[str]) -> dict[str, int]:
    """The track ids of these paths of this machine's (found through its path mappings)."""
    found: dict[str, int] = {}
    local_of = {library.paths.to_library(path): path for path in dict.fromkeys(paths)}
    stored = list(local_of)
    with library.engine.connect() as conn:
        for start in range(0, len(stored), ID_BATCH):
            batch = stored[start : start + ID_BATCH]
            rows = conn.execute(select(tracks.c.path, tracks.c.id).where(tracks.c.path.in_(batch)))
            found.update((local_of[path], track_id) for path, track_id in rows)
    return found


def import_playlist(
    library: Library,
    file: str | os.PathLike[str],
    name: str | None = None,
    scan: Callable[[list[str]], list[dict[str, str]]] | None = None,
) -> ImportResult:
    """Read a playlist file into a new manual playlist, named after the file unless ``name`` is given.

    Entries that are files not yet in the library are scanned in (``scan`` gets their paths and
    returns the scanner's problems; by default a `Scanner` on this library). Remote URLs,
    missing files and files that cannot be read are reported in ``not_found``.
    """
    read = read_playlist(file)
    local = [entry.path for entry in read if entry.path is not None]
    known = _track_ids_by_path(library, local)
    new_files = [path for path in dict.fromkeys(local) if path not in known and os.path.isfile(path)]
    problems: dict[str, str] = {}
    if new_files:
        problems = {problem["path"]: problem["reason"] for problem in (scan or _scanner(library))(new_files)}
        known = _track_ids_by_path(library, local)
    track_ids: list[int] = []
    not_found: list[dict[str, str]] = []
    for entry in read:
        if entry.path is not None and entry.path in known:
            track_ids.append(known[entry.path])
            continue
        if entry.path is None:
            reason = "not a local file"
        elif not os.path.exists(entry.path):
            reason = f"no such file: {entry.path}"
        elif os.path.isdir(entry.path):  # never scanned: an entry "/" must not read the whole disk
            reason = f"a folder, not a file: {entry.path}"
        elif not os.path.isfile(entry.path):
            reason = f"not a regular file (a device, pipe or socket): {entry.path}"
        else:
            reason = problems.get(entry.path, f"could not be added to the library: {entry.path}")
        not_found.append({"entry": entry.written, "reason": reason})
    with library.writer.begin() as conn:
        title = unique_name(conn, name or Path(file).stem)
        playlist_id = create_playlist(conn, title, track_ids)
    return ImportResult(
        playlist_id, title, len(read), len(track_ids), sum(1 for path in new_files if path in known), not_found
    )


def _scanner(library: Library) -> Callable[[list[str]], list[dict[str, str]]]:
    def scan(paths: list[str]) -> list[dict[str, str]]:
        from desktop_app.library.scanner import Scanner

        return Scanner(library).scan(paths).error_files

    return scan
