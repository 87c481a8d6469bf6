"""The entries of one playlist as a Qt model: resolved on a worker, rows read a page at a time.

A genre playlist can hold 50,000 tracks. A worker reads the playlist, its entries in order (a
smart playlist's rules evaluated) and which of them are missing; the rows themselves are read a
page at a time when the view paints them (`PagedRows`, as the track table does). Edits — moves
by drag, tracks dropped in, Delete — go through the pane's `PlaylistWriter` and the entries are
read back afterwards, so what is shown is always what is stored. Smart playlists take no edits:
their order comes from their rules.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont
from sqlalchemy import Connection

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.paged_rows import PagedRows
from desktop_app.gui.playlists.writer import PlaylistWriter
from desktop_app.gui.track_drag import TRACK_IDS_MIME, track_ids_from, track_ids_mime
from desktop_app.gui.track_table_model import format_duration
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner, describe
from desktop_app.library.browse import TrackRow, track_rows
from desktop_app.library.database import Library
from desktop_app.library.playlists import (
    PlaylistError,
    PlaylistInfo,
    add_tracks,
    get_playlist,
    move_positions,
    playlist_track_ids,
    remove_positions,
    tracks_by_id,
)

ROWS_MIME = "application/x-genrescope-playlist-rows"
COLUMNS = ("#", "Title", "Artist", "Album", "Duration", "Predicted genre", "Confidence")
AnyIndex = QModelIndex | QPersistentModelIndex
DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)  # plain ints: see track_table_model.DISPLAY_ROLE
TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole)
ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
FONT_ROLE = int(Qt.ItemDataRole.FontRole)
ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class EntryRow:
    track_id: int
    cells: tuple[str, ...]
    available: bool


@dataclass(frozen=True)
class _Entries:
    """What the worker read: the playlist, its entries in order, which tracks are missing."""

    playlist: PlaylistInfo | None
    taxonomy: str
    models: dict[str, int]
    ids: array[int]
    missing: frozenset[int]


def _flags(*, editable: bool) -> tuple[Qt.ItemFlag, Qt.ItemFlag]:
    """(the flags of the space between rows, those of a row), built when the playlist changes:
    a view asks for them thousands of times a second, and each enum operation is Python code."""
    drop = Qt.ItemFlag.ItemIsDropEnabled if editable else Qt.ItemFlag.NoItemFlags
    return drop, Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled | drop


class PlaylistTracksModel(QAbstractTableModel):
    """One row per playlist entry (a track may appear twice); ``loaded`` fires when entries are in place."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(
        self, library: Library, jobs: JobRunner, writer: PlaylistWriter, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._writer = writer
        self._wanted: tuple[int | None, dict[str, int], str | None] = (None, {}, None)
        self._entries = _Entries(None, BROAD_MODEL, {}, array("q"), frozenset())
        self._rows: PagedRows[TrackRow] = PagedRows(self._fetch)
        self._last_row: tuple[int, EntryRow | None] | None = None
        """The row built last: a view asks for each of its cells in several roles, one after another."""
        self._flags = _flags(editable=False)
        self._load = CoalescingJob(jobs, "playlist entries", self._load_work, self._apply, self._load_failed, 0, self)

    # --- reading ------------------------------------------------------------------------------

    @property
    def playlist(self) -> PlaylistInfo | None:
        return self._entries.playlist

    @property
    def models(self) -> dict[str, int]:
        return self._entries.models

    @property
    def taxonomy(self) -> str:
        """Whose genre the Genre column shows: a smart playlist's own model, else the window's."""
        return self._entries.taxonomy

    @property
    def loading(self) -> bool:
        return self._load.pending

    @property
    def missing_count(self) -> int:
        """Entries whose file is missing (a track listed twice counts twice)."""
        missing = self._entries.missing
        return sum(1 for track_id in self._rows.ids if track_id in missing) if missing else 0

    def load(self, playlist_id: int | None, models: Mapping[str, int], taxonomy: str | None = None) -> None:
        """Read the playlist again (after an edit, a re-analysis, or to show another one); ``models``
        are the current model ids, ``taxonomy`` the genres the window shows (None: as before)."""
        self._wanted = (playlist_id, dict(models), taxonomy or self._wanted[2] or self._entries.taxonomy)
        self._load.request(now=True)

    def reload(self, models: Mapping[str, int] | None = None) -> None:
        """Read the playlist shown (or being loaded) again, with new current models if given."""
        playlist_id, old_models, taxonomy = self._wanted
        self.load(playlist_id, models if models is not None else old_models, taxonomy)

    def _load_work(self) -> Callable[[JobContext], _Entries]:
        library, (playlist_id, models, taxonomy) = self._library, self._wanted

        def work(_context: JobContext) -> _Entries:
            if playlist_id is None:
                return _Entries(None, taxonomy or BROAD_MODEL, models, array("q"), frozenset())
            with library.engine.connect() as conn:
                try:
                    playlist = get_playlist(conn, playlist_id)
                except PlaylistError:  # deleted meanwhile
                    return _Entries(None, taxonomy or BROAD_MODEL, models, array("q"), frozenset())
                shown = playlist.rules.model if playlist.rules is not None else taxonomy or BROAD_MODEL
                ids = array("q", playlist_track_ids(conn, playlist, models))
                missing = frozenset(t.id for t in tracks_by_id(conn, list(dict.fromkeys(ids))) if not t.available)
            return _Entries(playlist, shown, models, ids, missing)

        return work

    def _apply(self, entries: _Entries) -> None:
        self.beginResetModel()
        self._entries = entries
        self._rows.reset(entries.ids)
        self._last_row = None
        self._flags = _flags(editable=self.editable)
        self.endResetModel()
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        self.failed.emit(f"Could not read the playlist: {describe(error)}")

    def _fetch(self, ids: Sequence[int]) -> dict[int, TrackRow]:
        with self._library.engine.connect() as conn:
            return track_rows(conn, ids, self.models.get(self.taxonomy))

    def row(self, row: int) -> EntryRow | None:
        """Row ``row`` as shown (None past the end or for a track that left the library)."""
        last = self._last_row
        if last is not None and last[0] == row:
            return last[1]
        built = self._build_row(row)
        self._last_row = (row, built)
        return built

    def _build_row(self, row: int) -> EntryRow | None:
        track = self._rows.row(row)
        if track is None:
            return None
        confidence = f"{track.confidence:.0%}" if track.confidence is not None else ""  # as in the track table
        genre = TAXONOMIES[self.taxonomy].display_name(track.predicted) if track.predicted else ""
        return EntryRow(
            track.id,
            (
                str(row + 1),
                track.title or PurePath(track.path).name,
                track.artist or "",
                track.album or "",
                format_duration(track.duration),
                genre,
                confidence,
            ),
            track.id not in self._entries.missing,
        )

    @property
    def editable(self) -> bool:
        return self.playlist is not None and not self.playlist.is_smart

    def track_ids(self, rows: Sequence[int]) -> list[int]:
        return self._rows.track_ids(rows)

    def track_id(self, row: int) -> int | None:
        return self._rows.track_id(row)

    def row_of(self, track_id: int) -> int | None:
        """The first row of ``track_id`` (a manual playlist may list a track twice)."""
        return self._rows.row_of(track_id)

    def cached_row_count(self) -> int:
        return self._rows.cached_row_count()

    # --- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY_ROLE:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == ALIGNMENT_ROLE:
            return ALIGN_RIGHT if index.column() in (0, 4, 6) else None
        row = self.row(index.row())
        if row is None:
            return None
        if role == DISPLAY_ROLE:
            return row.cells[index.column()]
        if row.available:
            return None
        if role == TOOLTIP_ROLE:
            return "The file is missing: exports skip it unless asked to keep it"
        if role == FOREGROUND_ROLE:
            return QColor("#999999")
        if role == FONT_ROLE:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return self._flags[1] if index.isValid() else self._flags[0]

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME, TRACK_IDS_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy only: the view must never remove the dragged rows itself; a move is our own write.
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        mime = track_ids_mime(self.track_ids(rows))
        if self.playlist is not None:
            mime.setData(ROWS_MIME, json.dumps({"playlist": self.playlist.id, "rows": rows}).encode("ascii"))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        return self.editable and (data.hasFormat(ROWS_MIME) or data.hasFormat(TRACK_IDS_MIME))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        """Rows of this playlist move; tracks from elsewhere are inserted at the drop point."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        before = row if row >= 0 else parent.row() if parent.isValid() else len(self._rows)
        moved = self._own_rows(data)
        if moved is not None:
            return self.move_rows(moved, before)
        ids = track_ids_from(data)
        return bool(ids) and self._write(lambda conn, pid: add_tracks(conn, pid, ids, at=before))

    def _own_rows(self, data: QMimeData) -> list[int] | None:
        if not data.hasFormat(ROWS_MIME) or self.playlist is None:
            return None
        payload = json.loads(bytes(data.data(ROWS_MIME).data()).decode("ascii"))
        return payload["rows"] if payload.get("playlist") == self.playlist.id else None

    # --- edits --------------------------------------------------------------------------------

    def _write(self, change: Callable[[Connection, int], Any]) -> bool:
        """Queue ``change(conn, playlist_id)`` on the writer; the entries are read back after it."""
        if self.playlist is None:
            return False
        playlist_id = self.playlist.id
        self._writer.write(lambda conn: change(conn, playlist_id), done=lambda _result: self.reload())
        return True

    def move_rows(self, rows: Sequence[int], before: int) -> bool:
        return self._write(lambda conn, pid: move_positions(conn, pid, rows, before))

    def remove_rows(self, rows: Sequence[int]) -> bool:
        return bool(rows) and self._write(lambda conn, pid: remove_positions(conn, pid, rows))
