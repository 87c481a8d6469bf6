"""Getting music into the library from the window: drops, Open folder…, Add files…, rescans, and
what the scan found.

Dropped and chosen paths are sorted out here: files and folders go to the `ScanQueue`, playlist
files (M3U, M3U8, PLS, XSPF, which the desktop launcher's "Open with Genrescope" hands over) are
imported as playlists, and what does not exist or is not a local file goes to the Problems panel.
When a scan ends its tracks are queued for analysis, the first one is selected if the person asked
for these files, and one line says what happened. The window only forwards its drop events.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app.gui.playlists.actions import PlaylistActions
from desktop_app.gui.problems_panel import ProblemsPanel
from desktop_app.gui.scan_queue import ScanOutcome
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.workers import describe
from desktop_app.library.playlist_formats import READERS as PLAYLIST_READERS
from desktop_app.library.tags import printable_path


def local_paths(urls: list[QUrl]) -> tuple[list[str], list[str]]:
    """(local file paths, other URLs as text) from dropped URLs."""
    paths, others = [], []
    for url in urls:
        if url.isLocalFile() and url.toLocalFile():
            paths.append(_os_path(url))
        else:
            others.append(url.toString())
    return paths, others


def _os_path(url: QUrl) -> str:
    """The path as the file system spells it. A file manager percent-encodes a name's bytes;
    toLocalFile() decodes them as UTF-8 and turns a name that is not UTF-8 into one that does
    not exist, so on POSIX the bytes are decoded here, as Python names files."""
    if os.name == "nt":
        return url.toLocalFile()
    return os.fsdecode(unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded)))


def _missing_reason(path: str) -> str:
    return "broken link: what it points to does not exist" if os.path.islink(path) else "not found"


def describe_paths(paths: list[str]) -> str:
    """ "song.mp3", or "Music and 3 more": the first name as the person would recognise it."""
    return Path(printable_path(paths[0])).name + (f" and {len(paths) - 1} more" if len(paths) > 1 else "")


class LibraryIntake(QObject):
    """Adds paths to the library and reports the scans; ``message`` is one line for the status bar."""

    message = Signal(str)
    selectTrack = Signal(int)
    """The first track of a scan the person asked for: show it."""

    def __init__(
        self,
        services: AppServices,
        settings: AppSettings,
        problems: ProblemsPanel,
        playlists: PlaylistActions,
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self._scans = services.scans
        self._analysis = services.analysis
        self._settings = settings
        self._problems = problems
        self._playlists = playlists
        self._parent = dialog_parent
        self._scans.scanned.connect(self._scanned)
        self._scans.failed.connect(lambda error: self.message.emit(f"The scan stopped: {describe(error)}"))

    def drop(self, urls: list[QUrl]) -> bool:
        """Add what was dropped; whether there was anything to take."""
        paths, others = local_paths(urls)
        if not paths and not others:
            return False
        if others:
            self._problems.add(({"path": url, "reason": "not a local file"} for url in others), "drop")
        self.add_paths(paths)
        return True

    def add_paths(self, paths: list[str], *, remember: bool = False) -> None:
        """Scan files and folders into the library, select the first, queue them for analysis.

        Playlist files are imported as playlists instead. ``remember`` makes folders library
        folders (rescanned on start when the setting says so).
        """
        existing = [os.path.abspath(p) for p in paths if os.path.exists(p)]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            self._problems.add(({"path": printable_path(p), "reason": _missing_reason(p)} for p in missing), "add")
        playlist_files = [p for p in existing if os.path.isfile(p) and Path(p).suffix.lower() in PLAYLIST_READERS]
        for path in playlist_files:
            self._playlists.import_file(path)
        existing = [p for p in existing if p not in playlist_files]
        if not existing:
            if not playlist_files:
                self.message.emit(
                    "Nothing to add: " + (f"{len(missing)} path(s) not found." if missing else "no files.")
                )
            return
        if remember:
            for path in existing:
                if os.path.isdir(path):
                    self._settings.add_library_folder(path)
        self._scans.scan(existing, select_first=True)
        self.message.emit(f"Adding {describe_paths(existing)}…")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self._parent, "Open a music folder", str(Path.home()))
        if folder:
            self.add_paths([folder], remember=True)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self._parent, "Add music files", str(Path.home()))
        if files:
            self.add_paths(files)

    def rescan_library_folders(self) -> None:
        folders = self._settings.library_folders
        if not folders:
            self.message.emit("No library folders yet: use Open folder… (Ctrl+O) to add one.")
            return
        self._scans.scan(folders)
        self.message.emit("Rescanning the library folders…")

    def _scanned(self, outcome: ScanOutcome) -> None:
        result = outcome.result
        problems = self._problems.add(result.error_files, "scan")
        text = f"{describe_paths(list(outcome.request.paths))}: {len(outcome.track_ids):,} tracks ready"
        if problems:
            names = ", ".join(Path(p["path"]).name for p in result.error_files[:3])
            more = f" and {problems - 3:,} more" if problems > 3 else ""
            text += f"; {problems:,} could not be read ({names}{more}; see Problems)"
        prefix = "Scan cancelled: " if result.cancelled else ""
        self.message.emit(prefix + text + ".")
        if outcome.request.select_first and outcome.track_ids:
            self.selectTrack.emit(outcome.track_ids[0])
        if outcome.track_ids and not result.cancelled:
            self._analysis.enqueue(outcome.track_ids)
