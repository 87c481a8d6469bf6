"""The track table's model: a window onto the database, never the whole library in Python objects.

A worker resolves the current view (sidebar scope, search, sort) to the ordered track ids; the
rows are read a page at a time when the view first asks for them (`PagedRows`, shared with the
playlist view), so a 100,000-track library opens at once and scrolls smoothly with a real scroll
bar.

Reloads are coalesced (`CoalescingJob`): while one runs, further requests fold into one more, and
two reloads start at least ``MIN_RELOAD_INTERVAL_MS`` apart, so a scan or analysis writing thousands of
rows causes a handful of updates per second at most. A new view (search, sort, sidebar) skips that
spacing: what the user asked for is read at once. When the new id list equals the old one only
the cached rows are refreshed; when it extends it, rows are appended; only otherwise is the model
reset. The model reloads itself whenever the library's tracks or analyses change (`LibraryEvents`).

A reload runs many times a second while a scan or an analysis writes, when the workers hold the
GIL most of the time and every Python call on the GUI thread waits for it: the worker also reads
again the few pages last used (the rows on screen) and says which of their rows differ, so that the
GUI thread installs them and repaints only changed rows, or nothing at all when none did.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon

from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.paged_rows import PagedRows
from desktop_app.gui.resources import genre_palette
from desktop_app.gui.sidebar import genre_dot
from desktop_app.gui.track_drag import TRACK_IDS_MIME, track_ids_mime
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner
from desktop_app.library.browse import ModelInfo, SortKey, TrackRow, TrackView, ordered_track_ids, track_rows
from desktop_app.library.database import Library

MIN_RELOAD_INTERVAL_MS = 150
REREAD_PAGES = 4
"""Pages read again on the worker at each reload: the last used, which hold the rows on screen."""

TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
GENRE_KEY_ROLE = Qt.ItemDataRole.UserRole + 2
# `data` runs for every cell in every role at each repaint: plain ints compare 10-40 times faster
# than Qt's enum members, each of whose lookups and comparisons is Python code on the GUI thread.
DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole)
DECORATION_ROLE = int(Qt.ItemDataRole.DecorationRole)
ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
FONT_ROLE = int(Qt.ItemDataRole.FontRole)
ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
ROW_FLAGS = (
    Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemNeverHasChildren
    | Qt.ItemFlag.ItemIsDragEnabled
)
"""A row's flags: QAbstractTableModel's, and rows drag onto playlists. Built once: views ask for
them thousands of times a second and each enum operation is Python code on the GUI thread."""


@dataclass(frozen=True)
class Column:
    key: SortKey
    title: str
    align_right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("title", "Title"),
    Column("artist", "Artist"),
    Column("album", "Album"),
    Column("duration", "Duration", align_right=True),
    Column("tag_genre", "Tag genre"),
    Column("predicted", "Predicted genre"),
    Column("confidence", "Confidence", align_right=True),
    Column("path", "Path"),
)
COLUMN_INDEX: dict[str, int] = {c.key: i for i, c in enumerate(COLUMNS)}


def format_duration(seconds: float | None) -> str:
    """mm:ss, or h:mm:ss from an hour on; empty when unknown."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class _Snapshot:
    view: TrackView
    ids: array[int]
    generation: int
    pages: dict[int, list[TrackRow | None]] = field(default_factory=dict)
    """The last used pages, read again, when ``ids`` keep the shown ids as their start."""
    changed: list[tuple[int, int]] = field(default_factory=list)
    """(first, last) rows of each of ``pages`` whose rows differ from the shown ones."""


class TrackTableModel(QAbstractTableModel):
    """Rows of the current view, fetched from the library on demand.

    ``reloaded`` fires after a new id list is in place (on reset, append or refresh).
    """

    reloaded = Signal()
    reloadFailed = Signal(object)

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._jobs = jobs
        self._view = TrackView()
        self._model: ModelInfo | None = None
        self._shown_view = self._view
        self._rows: PagedRows[TrackRow] = PagedRows(self._fetch)
        palette = genre_palette()
        self._dots: dict[str, QIcon] = {
            label.key: genre_dot(palette.qcolor(label.key), 10)
            for taxonomy in TAXONOMIES.values()
            if taxonomy.is_genre
            for label in taxonomy.labels
        }
        self._reload = CoalescingJob(
            jobs,
            "track list",
            self._reload_work,
            self._apply,
            self.reloadFailed.emit,
            MIN_RELOAD_INTERVAL_MS,
            self,
        )
        self.resets = 0
        """How many times the model was reset (the window restores selection after each)."""
        self.started_generation = 0
        """Counts reloads started; a reload numbered above a value read now sees today's data."""
        self.shown_generation = 0
        events.tracksChanged.connect(self.request_reload)
        events.analysesChanged.connect(self.request_reload)

    # --- the view ---------------------------------------------------------------------------

    @property
    def view(self) -> TrackView:
        return self._view

    @property
    def model_info(self) -> ModelInfo | None:
        return self._model

    def set_view(self, view: TrackView) -> None:
        """Show ``view`` (a search, sort or sidebar choice): read at once, not after the throttle."""
        if view != self._view:
            self._view = view
            self._reload.request(now=True)

    def set_model_info(self, model: ModelInfo | None) -> None:
        """Show the predictions of ``model`` (None: no predictions to show)."""
        self._model = model
        self.set_view(
            replace(
                self._view, model_id=model.id if model else None, taxonomy=model.name if model else self._view.taxonomy
            )
        )
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)

    def request_reload(self) -> None:
        """Re-read the view soon; many requests in a burst cause one reload, not one each."""
        self._reload.request()

    @property
    def is_reloading(self) -> bool:
        return self._reload.pending

    def _reload_work(self) -> Callable[[JobContext], _Snapshot]:
        self.started_generation += 1
        view, library, generation = self._view, self._library, self.started_generation
        # One run at a time (CoalescingJob): what is shown now is what the result is applied to.
        rows, old, recent = self._rows, self._rows.ids, self._rows.recent_pages(REREAD_PAGES)
        same_columns = view.model_id == self._shown_view.model_id

        def work(_context: JobContext) -> _Snapshot:
            with library.engine.connect() as conn:
                ids = ordered_track_ids(conn, view)
                if not (same_columns and len(ids) >= len(old) and ids[: len(old)] == old):
                    return _Snapshot(view, ids, generation)
                pages, changed = rows.reread(ids, recent, lambda page: track_rows(conn, page, view.model_id))
                return _Snapshot(view, ids, generation, pages, changed)

        return work

    def _apply(self, snapshot: _Snapshot) -> None:
        old, new = self._rows.ids, snapshot.ids
        same_columns = snapshot.view.model_id == self._shown_view.model_id
        self._shown_view = snapshot.view
        self.shown_generation = snapshot.generation
        if new == old and same_columns:
            self._rows.install(new, snapshot.pages)
            self._rows_changed(snapshot.changed)
        elif same_columns and len(new) > len(old) and new[: len(old)] == old:
            self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
            self._rows.install(new, snapshot.pages)
            self.endInsertRows()
            self._rows_changed(snapshot.changed)
        else:
            self.beginResetModel()
            self._rows.reset(new)
            self.resets += 1
            self.endResetModel()
        self.reloaded.emit()

    def _rows_changed(self, changed: list[tuple[int, int]]) -> None:
        """Repaint these rows (`PagedRows.reread`'s ranges); the pages not read again are read when
        next painted, so no row on screen is left stale and unchanged rows are not repainted."""
        for first, last in changed:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    # --- rows -------------------------------------------------------------------------------

    def track_id(self, row: int) -> int | None:
        return self._rows.track_id(row)

    def row_of(self, track_id: int) -> int | None:
        """The row showing ``track_id``."""
        return self._rows.row_of(track_id)

    def track_ids(self, rows: Sequence[int]) -> list[int]:
        return self._rows.track_ids(rows)

    def all_track_ids(self) -> array[int]:
        return self._rows.ids

    def cached_row_count(self) -> int:
        """How many rows are held in Python right now (bounded by the cache, not the library)."""
        return self._rows.cached_row_count()

    def row(self, row: int) -> TrackRow | None:
        return self._rows.row(row)

    def _fetch(self, ids: Sequence[int]) -> dict[int, TrackRow]:
        with self._library.engine.connect() as conn:
            return track_rows(conn, ids, self._shown_view.model_id)

    # --- Qt model interface -----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == DISPLAY_ROLE:
            if column.key == "predicted" and self._model is not None:
                title = TAXONOMIES[self._model.name].title
                return f"{title} (TEST)" if self._model.is_test else title
            return column.title
        if role == TOOLTIP_ROLE and column.key in ("predicted", "confidence"):
            return f"From: {self._model.label}" if self._model else "No genre model has analysed this library yet."
        if role == ALIGNMENT_ROLE and column.align_right:
            return ALIGN_RIGHT
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Rows drag onto playlists (the playlists pane and view take the track ids).
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [TRACK_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return track_ids_mime(self.track_ids(sorted({index.row() for index in indexes})))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS):
            self.set_view(
                replace(self._view, sort=COLUMNS[column].key, descending=order == Qt.SortOrder.DescendingOrder)
            )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        track = self.row(index.row())
        if track is None:
            return None
        column = COLUMNS[index.column()]
        key = column.key
        if role == DISPLAY_ROLE:
            return self._text(track, key)
        if role == TRACK_ID_ROLE:
            return track.id
        if role == GENRE_KEY_ROLE:
            return track.predicted
        if role == TOOLTIP_ROLE:
            return self._tooltip(track, key)
        if role == DECORATION_ROLE and key == "predicted" and track.predicted:
            return self._dots.get(track.predicted)
        if role == ALIGNMENT_ROLE and column.align_right:
            return ALIGN_RIGHT
        if (
            role == FOREGROUND_ROLE
            and key in ("predicted", "confidence")
            and (self._is_test_prediction(track) or track.analysis_error)
        ):
            return QColor("#8a8a8a")
        if role == FONT_ROLE and key == "predicted" and self._is_test_prediction(track):
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _is_test_prediction(self, track: TrackRow) -> bool:
        return track.predicted is not None and self._model is not None and self._model.is_test

    def _text(self, track: TrackRow, key: str) -> str:
        if key == "title":
            return track.title or PurePath(track.path).name
        if key == "duration":
            return format_duration(track.duration)
        if key == "predicted":
            if track.analysis_error:
                return "analysis failed"
            if track.predicted is None:
                return ""
            name = TAXONOMIES[self._model.name].display_name(track.predicted) if self._model else track.predicted
            return f"{name} [test]" if self._is_test_prediction(track) else name
        if key == "confidence":
            return f"{track.confidence:.0%}" if track.confidence is not None else ""
        value = getattr(track, key)
        return "" if value is None else str(value)

    def _tooltip(self, track: TrackRow, key: str) -> str | None:
        if key == "path":
            return track.path
        if key == "predicted":
            if track.analysis_error:
                return f"Could not be analysed: {track.analysis_error}"
            if self._is_test_prediction(track) and self._model is not None:
                return f"From {self._model.label}: not a real prediction."
        if key in ("title", "artist", "album", "tag_genre"):
            return self._text(track, key) or None
        return None
