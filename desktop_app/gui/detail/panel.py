"""The detail panel of the selected track: header, spectrogram with genre timelines, transport, Top-5s.

The window calls `show_track(track_detail)` on every selection change and again when the track's
analysis arrives; the same track shown again only refreshes its texts and timelines. The panel
owns the `Player` unless one is passed in: the shown track is the loaded track, clicking the
spectrogram seeks it, and the playhead follows it.

Whatever taxonomy the window browses by, the panel shows both genre models: the broad genres
(from the built-in tagger, always there) and CCMusic's (an optional download, so its absence is
one quiet line), plus the tagger's other tags. It only draws stored results, never decodes or
runs a network on the GUI thread; explanations (Grad-CAM) are CCMusic's and follow its row
whichever taxonomy is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop_app.genres.taxonomy import MY_GENRES, MY_GENRES_MODEL
from desktop_app.gui.detail.explain_overlay import ExplainBar
from desktop_app.gui.detail.explainer import ClassifierSource, TaggerSource
from desktop_app.gui.detail.notation import format_time
from desktop_app.gui.detail.spectrogram_loader import Spectrogram, SpectrogramLoader
from desktop_app.gui.detail.spectrogram_view import SpectrogramView
from desktop_app.gui.detail.tag_line import TAG_THRESHOLD, has_tags, tag_groups, tag_line
from desktop_app.gui.detail.top5_view import Top5View
from desktop_app.gui.detail.transport import TransportBar
from desktop_app.gui.detail.verdict import (
    BROAD,
    CCMUSIC,
    DEFAULT_THRESHOLDS,
    Timeline,
    analyses_by_model,
    broad_evidence,
    learned_line,
    patch_bounds,
    source_tag,
    timeline,
)
from desktop_app.gui.playback import Player
from desktop_app.library.analyses import StoredAnalysis
from desktop_app.library.browse import TrackDetail

COMPUTING = "Computing spectrogram…"
NO_TRACK = "No track selected"
NO_CCMUSIC = "No CCMusic analysis: the optional CCMusic model is not installed or has not analysed this track."
TAGS_TITLE = "MusiCNN tags"
VERDICT_LINES = 17
"""The verdict area's least height, in lines of text: the tags line and the first Top-5."""
SIDE_BY_SIDE_WIDTH = 760
"""From this panel width on, the two Top-5s stand side by side instead of one above the other."""


class DetailPanel(QWidget):
    """Everything about one track. Public: `show_track`, `player`, `play_pause_action`, `explain`."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        player: Player | None = None,
        loader: SpectrogramLoader | None = None,
        local_path: Callable[[str], str] = str,
    ) -> None:
        """``local_path``: where this machine finds a stored path's file (the library's path mappings)."""
        super().__init__(parent)
        self.setObjectName("detailPanel")
        self._local_path = local_path
        self.player = player if player is not None else Player(self)
        self._loader = loader if loader is not None else SpectrogramLoader(self)
        self._track: TrackDetail | None = None
        self._file: str | None = None
        """Where the shown track's file was opened: this machine's path (`local_path`)."""
        self._thresholds = dict(DEFAULT_THRESHOLDS)

        # No shortcut here: the window owns the space bar and adds this action to its menu.
        self.play_pause_action = QAction("Play/Pause", self)
        self.play_pause_action.triggered.connect(self.player.toggle)

        self._title = QLabel(objectName="trackTitle", wordWrap=True)
        self._title.setTextFormat(Qt.TextFormat.RichText)
        self._status = QLabel(objectName="playbackStatus", wordWrap=True)
        self._status.setStyleSheet("color: #B00020;")
        self._status.hide()
        self.spectrogram_view = SpectrogramView()
        self.explain = ExplainBar(self.spectrogram_view)
        self.transport = TransportBar(self.player, self.play_pause_action)
        self.broad_view = Top5View(model=BROAD)
        self.ccmusic_view = Top5View(model=CCMUSIC)
        self.tags_label = QLabel(objectName="tagsLine", wordWrap=True)
        self.tags_label.setTextFormat(Qt.TextFormat.PlainText)
        rule = QFrame(frameShape=QFrame.Shape.HLine, frameShadow=QFrame.Shadow.Sunken)
        self._verdicts = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._verdicts.addWidget(self.broad_view, 1)
        self._verdicts.addWidget(self.ccmusic_view, 1)
        # Two Top-5s do not fit under the spectrogram of a panel in a laptop-sized window: they
        # scroll, the spectrogram keeps its room, and nothing is squeezed into overlapping.
        verdicts = QWidget(objectName="verdicts")
        inner = QVBoxLayout(verdicts)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.tags_label)
        self.my_genres_label = QLabel(objectName="myGenresLine", wordWrap=True)
        self.my_genres_label.setTextFormat(Qt.TextFormat.PlainText)
        self.my_genres_label.setToolTip("Your genres, learned from your own library (Analysis → Learn my genres)")
        self.my_genres_label.hide()
        inner.addWidget(self.my_genres_label)
        inner.addLayout(self._verdicts)
        inner.addStretch(1)
        self.verdict_area = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.verdict_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verdict_area.setWidget(verdicts)
        # Room for at least the broad genres' Top-5 (the model every track has) without scrolling.
        self.verdict_area.setMinimumHeight(VERDICT_LINES * self.fontMetrics().lineSpacing())

        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self.spectrogram_view, 1)
        layout.addWidget(self.explain)
        layout.addWidget(self.transport)
        layout.addWidget(self._status)
        layout.addWidget(rule)
        layout.addWidget(self.verdict_area, 1)

        self._loader.ready.connect(self._on_spectrogram)
        self._loader.failed.connect(self._on_spectrogram_failed)
        self.spectrogram_view.seekRequested.connect(self._seek)
        self.player.positionChanged.connect(self.spectrogram_view.set_playhead)
        self.player.errorOccurred.connect(self._show_status)
        self.player.sourceChanged.connect(lambda _path: self._status.hide())
        self.show_track(None)

    # Public API

    def show_track(self, track: TrackDetail | None) -> None:
        """Show ``track`` (its ``analysis``: the shown taxonomy's; ``analyses``: every model's by
        name), or nothing."""
        previous = self._track
        self._track = track
        if self._track is None:
            self._file = None
            self._title.setText(f"<i>{NO_TRACK}</i>")
            self._loader.cancel()
            self.player.load(None)
            self.spectrogram_view.show_message(NO_TRACK)
            self._show_analysis()
            return
        self._title.setText(_header_html(self._track))
        path = self._local_path(self._track.path)  # moved by a new path mapping: opened again
        if previous is not None and previous.id == self._track.id and path == self._file:
            self._show_analysis()  # e.g. its analysis just arrived
            return
        self._file = path
        self.player.load(path)
        self.transport.set_duration_hint(self._track.duration)
        self.spectrogram_view.set_playhead(0.0)
        self.spectrogram_view.show_message(COMPUTING)
        self._show_analysis()
        self._loader.request(path)  # a cached spectrogram arrives before this returns

    def current_track(self) -> TrackDetail | None:
        return self._track

    def set_classifier_source(self, source: ClassifierSource | None) -> None:
        """Explanations use this loaded classifier (the window's analysis queue); None turns them off."""
        self.explain.set_classifier_source(source)

    def set_tagger_source(self, source: TaggerSource | None) -> None:
        """The tagger's explanations use this loaded tagger (the window's analysis queue); None turns them off."""
        self.explain.set_tagger_source(source)

    def open_activation_explorer(self) -> None:
        self.explain.open_activation_explorer()

    def set_low_confidence_thresholds(self, thresholds: Mapping[str, float]) -> None:
        """Top-1 probability under which each model's headline says "Low confidence", by model name
        (``broad-genre``, ``ccmusic``): the window's settings."""
        self._thresholds.update(thresholds)
        self._show_analysis()

    # Internals

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        self._verdicts.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    def _show_analysis(self) -> None:
        analyses = analyses_by_model(self._track)
        self.broad_view.show_analysis(analyses.get(BROAD), self._thresholds[BROAD], evidence=broad_evidence(analyses))
        self.ccmusic_view.show_analysis(analyses.get(CCMUSIC), self._thresholds[CCMUSIC], absent=NO_CCMUSIC)
        for view in (self.broad_view, self.ccmusic_view):  # "Not analysed" would say something of no track
            view.setVisible(self._track is not None)
        self._show_tags(analyses)
        learned = learned_line(analyses.get(MY_GENRES_MODEL))
        self.my_genres_label.setText(f"{MY_GENRES.title} — {learned}" if learned else "")
        self.my_genres_label.setVisible(learned is not None)
        self._show_spectrogram_analyses(analyses)

    def _show_spectrogram_analyses(self, analyses: Mapping[str, StoredAnalysis]) -> None:
        spectrogram = self.spectrogram_view.spectrogram()
        self.explain.show_subject(spectrogram, analyses)
        if spectrogram is not None:
            for shown in _timelines(spectrogram, analyses):
                self.spectrogram_view.set_timeline(shown)

    def _show_tags(self, analyses: Mapping[str, StoredAnalysis]) -> None:
        self.tags_label.setVisible(has_tags(analyses))
        groups = tag_groups(analyses)
        line = tag_line(groups) or f"none above {TAG_THRESHOLD:.0%}"
        self.tags_label.setText(f"{TAGS_TITLE} — {line}")
        self.tags_label.setToolTip(
            "\n".join(
                f"{tag.name} {tag.probability:.0%}: {source_tag(tag.source)}" for group in groups for tag in group.tags
            )
        )

    def _on_spectrogram(self, spectrogram: Spectrogram) -> None:
        if self._track is None or spectrogram.path != self._file:
            return
        self.spectrogram_view.set_spectrogram(spectrogram)
        self.spectrogram_view.set_playhead(self.player.position())
        self._show_spectrogram_analyses(analyses_by_model(self._track))

    def _on_spectrogram_failed(self, path: str, message: str) -> None:
        if self._track is not None and path == self._file:
            self.spectrogram_view.show_message(message)

    def _seek(self, seconds: float) -> None:
        self.player.seek(seconds)
        self.spectrogram_view.set_playhead(seconds)

    def _show_status(self, message: str) -> None:
        self._status.setText(message)
        self._status.show()


def _timelines(spectrogram: Spectrogram, analyses: Mapping[str, StoredAnalysis]) -> list[Timeline]:
    """CCMusic's timeline on the file's 11.4 s windows, the broad genres' on its 3 s patches."""
    ccmusic, genres = analyses.get(CCMUSIC), analyses.get(BROAD)
    patches = patch_bounds(spectrogram.duration, genres.window_count if genres else None)
    return [
        timeline(ccmusic, spectrogram.window_bounds) if ccmusic else Timeline((), model=CCMUSIC),
        timeline(genres, patches) if genres else Timeline((), model=BROAD),
    ]


def _header_html(track: TrackDetail) -> str:
    title = track.title or Path(track.path).name
    byline = " — ".join(escape(str(v)) for v in (track.artist, track.album) if v)
    duration = track.duration
    length = f" · {format_time(duration)}" if duration else ""
    return f"<b style='font-size:large'>{escape(str(title))}</b><br>{byline}{length}"
