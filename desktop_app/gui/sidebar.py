"""The left sidebar: all tracks, predicted genres, tag genres, artists, albums, with counts.

Playlists have their own pane below it (`desktop_app.gui.playlists`).

Each entry carries a `Scope` that the track table filters by. Counts arrive from a worker as a
`SidebarCounts`; entries are updated in place so expansion and selection survive a refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import TAXONOMIES, Taxonomy
from desktop_app.gui.resources import genre_palette
from desktop_app.library.browse import ModelInfo, Scope, SidebarCounts

SCOPE_ROLE = Qt.ItemDataRole.UserRole + 1
UNKNOWN = {"artist": "Unknown artist", "album": "Unknown album"}


def genre_dot(colour: QColor, size: int = 12) -> QIcon:
    """A round colour swatch: the genre's colour, always shown next to its name."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(colour)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class LibrarySidebar(QTreeWidget):
    """Emits ``scopeSelected(Scope)`` when the user picks an entry; its context menu asks for a
    playlist of a predicted genre (``genrePlaylistRequested(key)``) or of every genre, or to write
    a genre into the tags of an entry's tracks (``tagWriteRequested(scope, label)``)."""

    scopeSelected = Signal(object)
    genrePlaylistRequested = Signal(str)
    allGenrePlaylistsRequested = Signal()
    tagWriteRequested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setIndentation(14)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

        palette = genre_palette()
        self._count_brush = QBrush(QColor("#808080"))
        self._all = self._entry(None, "All tracks", Scope("all"))
        self._missing = self._entry(None, "Missing files", Scope("missing"))
        self._missing.setToolTip(
            0,
            "Tracks whose files the last scan of their folder did not find: an unplugged drive, or files "
            "moved or deleted. They keep their analyses until their files are back; Delete removes them "
            "from the library.",
        )
        self._missing.setHidden(True)
        self._predicted = self._section("Predicted genre")
        self._taxonomy: Taxonomy | None = None
        self._genres: dict[str, QTreeWidgetItem] = {}
        self._not_analysed = self._entry(
            self._predicted, "Not analysed", Scope("not_analysed"), genre_dot(palette.qcolor(None))
        )
        self._low = self._entry(
            self._predicted, "Low confidence", Scope("low_confidence"), genre_dot(QColor(palette.low_confidence))
        )
        self._tags = self._section("Genre tags")
        self._tags.setToolTip(0, "Genres as written in the files' tags")
        self._artists = self._section("Artists")
        self._albums = self._section("Albums")
        self._dynamic: dict[str, dict[str | None, QTreeWidgetItem]] = {"tag_genre": {}, "artist": {}, "album": {}}
        self._parents = {"tag_genre": self._tags, "artist": self._artists, "album": self._albums}
        self._set_taxonomy(TAXONOMIES[BROAD_MODEL])
        self._predicted.setExpanded(True)
        self._tags.setExpanded(True)
        self._all.setSelected(True)
        self.setCurrentItem(self._all)
        self.currentItemChanged.connect(self._on_current_changed)

    def _set_taxonomy(self, taxonomy: Taxonomy) -> None:
        """One entry per genre of ``taxonomy`` (broad genres or CCMusic's), before the two states."""
        if taxonomy == self._taxonomy:
            return
        self._taxonomy = taxonomy
        for item in self._genres.values():
            self._predicted.removeChild(item)
        palette = genre_palette()
        self._genres = {}
        for position, label in enumerate(taxonomy.labels):
            item = self._make_entry(
                label.display_name, Scope("predicted", label.key), genre_dot(palette.qcolor(label.key))
            )
            self._predicted.insertChild(position, item)
            self._genres[label.key] = item

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title, ""])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(0, font)
        item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
        return item

    def _entry(
        self, parent: QTreeWidgetItem | None, text: str, scope: Scope, icon: QIcon | None = None
    ) -> QTreeWidgetItem:
        item = self._make_entry(text, scope, icon)
        if parent is None:
            self.addTopLevelItem(item)
            font = QFont(self.font())
            font.setBold(True)
            item.setFont(0, font)
        else:
            parent.addChild(item)
        return item

    def _make_entry(self, text: str, scope: Scope, icon: QIcon | None = None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text, ""])
        item.setData(0, SCOPE_ROLE, scope)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, self._count_brush)
        if icon is not None:
            item.setIcon(0, icon)
        return item

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is not None and current.data(0, SCOPE_ROLE) is not None:
            self.scopeSelected.emit(current.data(0, SCOPE_ROLE))

    def current_scope(self) -> Scope:
        item = self.currentItem()
        scope = item.data(0, SCOPE_ROLE) if item is not None else None
        return scope if scope is not None else Scope("all")

    def item_for(self, scope: Scope) -> QTreeWidgetItem | None:
        if scope.kind == "all":
            return self._all
        if scope.kind == "missing":
            return self._missing
        if scope.kind == "predicted":
            return self._genres.get(scope.value or "")
        if scope.kind == "not_analysed":
            return self._not_analysed
        if scope.kind == "low_confidence":
            return self._low
        return self._dynamic.get(scope.kind, {}).get(scope.value)

    def select_scope(self, scope: Scope) -> None:
        item = self.item_for(scope) or self._all
        self.setCurrentItem(item)

    def set_counts(
        self, counts: SidebarCounts, model: ModelInfo | None, low_confidence: float, taxonomy: Taxonomy
    ) -> None:
        """Show fresh counts of ``taxonomy``'s genres by ``model`` (None: it has analysed nothing yet);
        keeps the selection, or falls back to All tracks if its entry vanished."""
        selected = self.current_scope()
        self.blockSignals(True)
        try:
            self._all.setText(1, f"{counts.total:,}")
            self._missing.setText(1, f"{counts.missing:,}")
            self._missing.setHidden(counts.missing == 0 and selected.kind != "missing")
            self._set_taxonomy(taxonomy)
            self._update_predicted(counts, model, low_confidence)
            self._update_dynamic("tag_genre", counts.tag_genres)
            self._update_dynamic("artist", counts.artists)
            self._update_dynamic("album", counts.albums)
            item = self.item_for(selected)
            self.setCurrentItem(item if item is not None else self._all)
        finally:
            self.blockSignals(False)
        if self.item_for(selected) is None:
            self.scopeSelected.emit(Scope("all"))

    def _update_predicted(self, counts: SidebarCounts, model: ModelInfo | None, low_confidence: float) -> None:
        title = self._taxonomy.title if self._taxonomy is not None else "Predicted genre"
        if model is None:
            self._predicted.setText(0, title)
            self._predicted.setToolTip(0, "No genre model has analysed this library yet.")
        elif model.is_test:
            self._predicted.setText(0, f"{title} (TEST model)")
            self._predicted.setToolTip(0, f"{model.label}. These are not real predictions.")
            self._predicted.setForeground(0, QBrush(QColor("#b45309")))
        else:
            self._predicted.setText(0, title)
            self._predicted.setToolTip(0, f"From {model.label}")
            self._predicted.setForeground(0, self._tags.foreground(0))
        for key, item in self._genres.items():
            item.setText(1, f"{counts.predicted.get(key, 0):,}")
        self._not_analysed.setText(1, f"{counts.not_analysed:,}")
        self._low.setText(0, f"Low confidence (< {low_confidence:.0%})")
        self._low.setText(1, f"{counts.low_confidence:,}")

    def _update_dynamic(self, kind: str, values: Sequence[tuple[str | None, int]]) -> None:
        items = self._dynamic[kind]
        if [value for value, _ in values] != list(items):
            self._merge_entries(kind, [value for value, _ in values])
        for value, count in values:
            text = f"{count:,}"
            item = items[value]
            if item.text(1) != text:
                item.setText(1, text)
        if kind != "tag_genre":
            self._parents[kind].setText(1, f"{len(values):,}")

    def _merge_entries(self, kind: str, values: list[str | None]) -> None:
        """Make the section's entries match ``values`` (both in SQL order) touching only what changed.

        A scan adds artists a few at a time; rebuilding 10,000 entries each time took ~200 ms.
        """
        items = self._dynamic[kind]
        parent = self._parents[kind]
        wanted = set(values)
        for value in [v for v in items if v not in wanted]:
            parent.removeChild(items.pop(value))
        kept = [v for v in values if v in items]
        if kept != list(items):  # the order changed after all: start over
            parent.takeChildren()
            items.clear()
        merged: dict[str | None, QTreeWidgetItem] = {}
        pending: list[QTreeWidgetItem] = []
        position = 0
        for value in values:
            item = items.get(value)
            if item is None:
                label = value if value is not None else UNKNOWN.get(kind, "?")
                item = self._make_entry(label, Scope(kind, value))  # type: ignore[arg-type]
                pending.append(item)
            else:
                if pending:
                    parent.insertChildren(position, pending)
                    position += len(pending)
                    pending = []
                position += 1
            merged[value] = item
        if pending:
            parent.insertChildren(position, pending)
        items.clear()
        items.update(merged)

    def _context_menu(self, point: QPoint) -> None:
        """Right-click on a predicted genre: make a playlist of it (or of every genre); on any
        entry: write a genre into its tracks' tags."""
        item = self.itemAt(point)
        scope = item.data(0, SCOPE_ROLE) if item is not None else None
        menu = QMenu(self)
        if item is not None and scope is not None and scope.kind != "missing":  # no files to write into
            label = item.text(0)
            menu.addAction("Write genre to tags…", lambda: self.tagWriteRequested.emit(scope, label))
            menu.addSeparator()
        if item is not None and scope is not None and scope.kind == "predicted":
            menu.addAction(f"Playlist from {item.text(0)}…", lambda: self.genrePlaylistRequested.emit(scope.value))
        menu.addAction("Playlists for all genres…", self.allGenrePlaylistsRequested.emit)
        menu.popup(self.viewport().mapToGlobal(point))
