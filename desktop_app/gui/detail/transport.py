"""Transport controls bound to a `Player`: previous, play/pause, next, position slider, volume."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget

from desktop_app.gui.detail.notation import format_time
from desktop_app.gui.playback import Player


class TransportBar(QWidget):
    """Mirrors the player's state; user input goes to the player, never around it."""

    def __init__(self, player: Player, play_pause_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._player = player
        self._duration = 0.0
        self._syncing = False
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        self.previous_button = self._button(QStyle.StandardPixmap.SP_MediaSkipBackward, "Previous track")
        self.previous_button.clicked.connect(player.request_previous)
        self.play_button = QToolButton()
        self.play_button.setDefaultAction(play_pause_action)
        self.next_button = self._button(QStyle.StandardPixmap.SP_MediaSkipForward, "Next track")
        self.next_button.clicked.connect(player.request_next)
        self._play_pause_action = play_pause_action

        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.setObjectName("positionSlider")
        self.position_slider.setToolTip("Position")
        self.position_slider.setRange(0, 0)
        self.position_slider.valueChanged.connect(self._on_slider_value)
        self.position_slider.sliderReleased.connect(self._on_slider_released)
        self.time_label = QLabel(self._time_text(0.0))
        self.time_label.setObjectName("timeLabel")

        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setObjectName("volumeSlider")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(round(player.volume() * 100))
        self.volume_slider.setMaximumWidth(100)
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.valueChanged.connect(lambda value: player.set_volume(value / 100))
        self.mute_button = self._button(QStyle.StandardPixmap.SP_MediaVolume, "Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._on_mute)
        if not player.has_audio_device():
            self.mute_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaVolumeMuted))
            self.mute_button.setToolTip("No sound device found: playback runs silently")
            self.mute_button.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.previous_button, self.play_button, self.next_button):
            layout.addWidget(widget)
        layout.addWidget(self.position_slider, 1)
        layout.addWidget(self.time_label)
        layout.addWidget(self.mute_button)
        layout.addWidget(self.volume_slider)

        player.positionChanged.connect(self._on_position)
        player.durationChanged.connect(self._on_duration)
        player.playingChanged.connect(self._on_playing)
        player.sourceChanged.connect(self._on_source)
        self._on_playing(player.is_playing())
        self._on_source(player.source())

    def _button(self, icon: QStyle.StandardPixmap, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    def set_duration_hint(self, seconds: float | None) -> None:
        """The library's duration, shown until the player knows the real one."""
        if seconds and self._duration <= 0:
            self._on_duration(seconds)

    def _time_text(self, position: float) -> str:
        return f"{format_time(position)} / {format_time(self._duration)}"

    def _on_position(self, seconds: float) -> None:
        if self.position_slider.isSliderDown():
            return
        self._syncing = True
        self.position_slider.setValue(round(seconds * 1000))
        self._syncing = False
        self.time_label.setText(self._time_text(seconds))

    def _on_duration(self, seconds: float) -> None:
        self._duration = seconds
        self._syncing = True
        self.position_slider.setRange(0, max(0, round(seconds * 1000)))
        self._syncing = False
        self.time_label.setText(self._time_text(self.position_slider.value() / 1000))

    def _on_slider_value(self, value: int) -> None:
        self.time_label.setText(self._time_text(value / 1000))
        if not self._syncing and not self.position_slider.isSliderDown():
            self._player.seek(value / 1000)  # a click on the groove or a key press

    def _on_slider_released(self) -> None:
        self._player.seek(self.position_slider.value() / 1000)

    def _on_mute(self, muted: bool) -> None:
        self._player.set_muted(muted)
        icon = QStyle.StandardPixmap.SP_MediaVolumeMuted if muted else QStyle.StandardPixmap.SP_MediaVolume
        self.mute_button.setIcon(self.style().standardIcon(icon))
        self.mute_button.setToolTip("Unmute" if muted else "Mute")

    def _on_playing(self, playing: bool) -> None:
        self._play_pause_action.setIcon(self._pause_icon if playing else self._play_icon)
        self._play_pause_action.setToolTip("Pause" if playing else "Play")

    def _on_source(self, path: str) -> None:
        loaded = bool(path)
        self._duration = 0.0
        self._on_duration(0.0)
        self._on_position(0.0)
        for widget in (self.position_slider, self.previous_button, self.next_button):
            widget.setEnabled(loaded)
        self._play_pause_action.setEnabled(loaded)
