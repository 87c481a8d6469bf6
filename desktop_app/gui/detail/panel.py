"""The detail panel of the selected track: header, spectrogram with genre timeline, transport, Top-5.

The window calls `show_track(track_dict)` on every selection change and again when the track's
analysis arrives; the same track shown again only refreshes its texts and timeline. The panel
owns the `Player` unless one is passed in: the shown track is the loaded track, clicking the
spectrogram seeks it, and the playhead follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop_app.gui.detail.explain_overlay import ExplainBar
from desktop_app.gui.detail.explainer import ClassifierSource
from desktop_app.gui.detail.notation import format_time
from desktop_app.gui.detail.spectrogram_loader import Spectrogram, SpectrogramLoader
from desktop_app.gui.detail.spectrogram_view import SpectrogramView
from desktop_app.gui.detail.top5_view import Top5View
from desktop_app.gui.detail.transport import TransportBar
from desktop_app.gui.detail.verdict import timeline
from desktop_app.gui.playback import Player
from desktop_app.library.browse import DEFAULT_LOW_CONFIDENCE

COMPUTING = "Computing spectrogram…"
NO_TRACK = "No track selected"


class DetailPanel(QWidget):
    """Everything about one track. Public: `show_track`, `player`, `play_pause_action`, `explain`."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        player: Player | None = None,
        loader: SpectrogramLoader | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("detailPanel")
        self.player = player if player is not None else Player(self)
        self._loader = loader if loader is not None else SpectrogramLoader(self)
        self._track: dict[str, Any] | None = None
        self._low_confidence = DEFAULT_LOW_CONFIDENCE

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
        self.top5_view = Top5View()
        rule = QFrame(frameShape=QFrame.Shape.HLine, frameShadow=QFrame.Shadow.Sunken)

        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self.spectrogram_view, 1)
        layout.addWidget(self.explain)
        layout.addWidget(self.transport)
        layout.addWidget(self._status)
        layout.addWidget(rule)
        layout.addWidget(self.top5_view)

        self._loader.ready.connect(self._on_spectrogram)
        self._loader.failed.connect(self._on_spectrogram_failed)
        self.spectrogram_view.seekRequested.connect(self._seek)
        self.player.positionChanged.connect(self.spectrogram_view.set_playhead)
        self.player.errorOccurred.connect(self._show_status)
        self.player.sourceChanged.connect(lambda _path: self._status.hide())
        self.show_track(None)

    # Public API

    def show_track(self, track: Mapping[str, Any] | None) -> None:
        """Show ``track`` (id, path, title, artist, album, duration, optional 'analysis'), or nothing."""
        previous = self._track
        self._track = dict(track) if track is not None else None
        if self._track is None:
            self._title.setText(f"<i>{NO_TRACK}</i>")
            self._loader.cancel()
            self.player.load(None)
            self.spectrogram_view.show_message(NO_TRACK)
            self.top5_view.show_analysis(None)
            self.explain.show_subject(None, None)
            return
        self._title.setText(_header_html(self._track))
        if previous is not None and _same_file(previous, self._track):
            self._show_analysis()  # e.g. its analysis just arrived
            return
        path = str(self._track["path"])
        self.player.load(path)
        self.transport.set_duration_hint(self._track.get("duration"))
        self.spectrogram_view.set_playhead(0.0)
        self.spectrogram_view.show_message(COMPUTING)
        self._show_analysis()
        self._loader.request(path)  # a cached spectrogram arrives before this returns

    def current_track(self) -> dict[str, Any] | None:
        return self._track

    def set_classifier_source(self, source: ClassifierSource | None) -> None:
        """Explanations use this loaded classifier (the window's analysis queue); None turns them off."""
        self.explain.set_classifier_source(source)

    def open_activation_explorer(self) -> None:
        self.explain.open_activation_explorer()

    def set_low_confidence_threshold(self, threshold: float) -> None:
        """Top-1 probability under which the headline says "Low confidence" (the window's setting)."""
        self._low_confidence = threshold
        self._show_analysis()

    # Internals

    def _analysis(self) -> Mapping[str, Any] | None:
        return (self._track or {}).get("analysis")

    def _show_analysis(self) -> None:
        self.top5_view.show_analysis(self._analysis(), self._low_confidence)
        spectrogram = self.spectrogram_view.spectrogram()
        self.explain.show_subject(spectrogram, self._analysis())
        if spectrogram is not None:
            self.spectrogram_view.set_timeline(timeline(self._analysis(), spectrogram.window_bounds))

    def _on_spectrogram(self, spectrogram: Spectrogram) -> None:
        if self._track is None or spectrogram.path != str(self._track["path"]):
            return
        self.spectrogram_view.set_spectrogram(spectrogram)
        self.spectrogram_view.set_playhead(self.player.position())
        self.spectrogram_view.set_timeline(timeline(self._analysis(), spectrogram.window_bounds))
        self.explain.show_subject(spectrogram, self._analysis())

    def _on_spectrogram_failed(self, path: str, message: str) -> None:
        if self._track is not None and path == str(self._track["path"]):
            self.spectrogram_view.show_message(message)

    def _seek(self, seconds: float) -> None:
        self.player.seek(seconds)
        self.spectrogram_view.set_playhead(seconds)

    def _show_status(self, message: str) -> None:
        self._status.setText(message)
        self._status.show()


def _same_file(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("id") == b.get("id") and a.get("path") == b.get("path")


def _header_html(track: Mapping[str, Any]) -> str:
    title = track.get("title") or Path(str(track.get("path", ""))).name
    byline = " — ".join(escape(str(v)) for v in (track.get("artist"), track.get("album")) if v)
    duration = track.get("duration")
    length = f" · {format_time(duration)}" if duration else ""
    return f"<b style='font-size:large'>{escape(str(title))}</b><br>{byline}{length}"
