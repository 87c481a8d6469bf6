""" "Similar tracks": the library tracks that sound most like the selected one, and a playlist from it.

The window tells the panel which track is selected (`show_track`); the query runs on the job pool
(the index is built there the first time, under a second for 100,000 tracks, then answers in a few
milliseconds), the latest selection wins, and the list shows each track with its similarity.
Clicking one asks the window to select it (`trackActivated`); the rows drag onto a manual playlist
like the table's. "Playlist from this track" builds a seed playlist (`analysis.similar`) of the
chosen length on a worker and announces it (`LibraryEvents.playlistsChanged` for the playlists
pane, `playlistCreated` for the window to select it). When an analysis run ends the list is asked
for again, since new embeddings may have arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.track_drag import TRACK_IDS_MIME, track_ids_mime
from desktop_app.gui.workers import CoalescingJob, JobContext, JobRunner, describe
from desktop_app.library.database import Library
from desktop_app.wording import plural

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SHOWN = 25
"""Similar tracks listed for the selection."""
DEFAULT_LENGTH = 25
NOTHING_SELECTED = "Select a track to see the tracks that sound like it."


class SimilarList(QListWidget):
    """The similar tracks; dragging rows carries their track ids, as from the table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("similarList")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # the tooltip has the whole line
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def mimeTypes(self) -> list[str]:
        return [TRACK_IDS_MIME]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        return track_ids_mime([int(item.data(ID_ROLE)) for item in items])

    def track_ids(self) -> list[int]:
        return [int(self.item(row).data(ID_ROLE)) for row in range(self.count())]


class SimilarTracksPanel(QWidget):
    """Public: `show_track`, `create_playlist`; signals for the window to act on."""

    trackActivated = Signal(int)
    playlistCreated = Signal(int)
    message = Signal(str)

    def __init__(self, library: Library, jobs: JobRunner, events: LibraryEvents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("similarPanel")
        self._library = library
        self._jobs = jobs
        self._events = events
        self._track_id: int | None = None
        self._title = QLabel("Similar tracks", objectName="similarTitle")
        self._state = QLabel(NOTHING_SELECTED, objectName="similarState", wordWrap=True)
        self.list = SimilarList(self)
        self.length = QSpinBox(self, minimum=2, maximum=500, value=DEFAULT_LENGTH, suffix=" tracks")
        self.length.setToolTip("How many tracks the playlist from this track holds, the track itself first")
        self.playlist_button = QToolButton(self, text="Playlist from this track")
        self.playlist_button.setToolTip(
            "A playlist that starts here, each track following smoothly from the last, "
            "never the same artist twice in a row"
        )
        self.playlist_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.playlist_button, 1)
        buttons.addWidget(self.length)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self._state)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._query = CoalescingJob(jobs, "similar tracks", self._work, self._show, self._failed, 0, self)
        self.list.itemClicked.connect(lambda item: self.trackActivated.emit(int(item.data(ID_ROLE))))
        self.list.itemActivated.connect(lambda item: self.trackActivated.emit(int(item.data(ID_ROLE))))
        self.playlist_button.clicked.connect(self.create_playlist)
        events.analysesChanged.connect(self._analyses_changed)

    @property
    def busy(self) -> bool:
        return self._query.pending

    def show_track(self, track_id: int | None) -> None:
        """List the tracks like this one (None: nothing selected); the query runs on a worker."""
        if track_id == self._track_id and self.list.count():
            return
        self._track_id = track_id
        self.playlist_button.setEnabled(False)
        if track_id is None:
            self.list.clear()
            self._state.setText(NOTHING_SELECTED)
            self._state.show()
            return
        self._query.request(now=True)

    def _analyses_changed(self, track_ids: list[int] | None) -> None:
        """Ask again for the shown track once an analysis run has ended (it may have brought
        embeddings): every batch would repeat a search over every embedding while tracks stream in."""
        if track_ids is None and self._track_id is not None:
            self._query.request()

    def _work(self) -> Callable[[JobContext], Any]:
        track_id, library = self._track_id, self._library

        def work(_context: JobContext) -> tuple[int | None, list, str | None]:
            from desktop_app.analysis.similar import Seed, similar_tracks
            from desktop_app.library.similarity import SimilarityError

            if track_id is None:
                return None, [], None
            try:
                return track_id, similar_tracks(library, Seed(track_id, ""), limit=SHOWN), None
            except SimilarityError as exc:
                return track_id, [], str(exc)

        return work

    def _show(self, result: tuple[int | None, list, str | None]) -> None:
        track_id, found, problem = result
        if track_id != self._track_id:
            return  # the selection moved on; its own query is on its way
        self.list.clear()
        for track in found:
            who = " – ".join(x for x in (track.artist, track.title) if x) or track.path
            item = QListWidgetItem(f"{track.similarity:.2f}  {who}")
            item.setData(ID_ROLE, track.track_id)
            item.setToolTip(f"{track.path}\nsimilarity {track.similarity:.3f} (1 = the same sound)")
            self.list.addItem(item)
        self._state.setText(_state_text(problem, len(found)))
        self._state.setVisible(bool(self._state.text()))
        self.playlist_button.setEnabled(problem is None and bool(found))

    def _failed(self, error: Exception) -> None:
        self.list.clear()
        self._state.setText(f"Could not find similar tracks: {describe(error)}")
        self._state.show()

    def create_playlist(self) -> None:
        """A seed playlist of the chosen length from the shown track, named after it, on a worker."""
        track_id, library, length = self._track_id, self._library, self.length.value()
        if track_id is None:
            return
        self.playlist_button.setEnabled(False)
        self.message.emit("Building a playlist from this track…")

        def work(_context: JobContext) -> tuple[int, str, list[int]]:
            from desktop_app.analysis.similar import create_seed_playlist

            return create_seed_playlist(library, track_id, length)

        def done(result: tuple[int, str, list[int]]) -> None:
            playlist_id, name, ids = result
            count = len(ids)
            self.playlist_button.setEnabled(True)
            self.message.emit(f"Created playlist “{name}”: {plural(count, 'track')}")
            self._events.playlistsChanged.emit()
            self.playlistCreated.emit(playlist_id)

        def failed(error: Exception) -> None:
            self.playlist_button.setEnabled(True)
            self.message.emit(f"Could not build the playlist: {describe(error)}")

        self._jobs.start(work, name="seed playlist", on_done=done, on_failed=failed)


def _state_text(problem: str | None, count: int) -> str:
    if problem is not None:
        return problem
    return "" if count else "No other track has been analysed yet."
