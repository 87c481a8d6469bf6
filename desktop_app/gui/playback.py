"""Playback of one track at a time: QMediaPlayer and QAudioOutput behind a small, seconds-based API.

The player knows nothing of the library: "next" and "previous" are requests (signals) that the
window answers by loading another track, because only the window knows the current view's order.
Loading a track while playing keeps playing, so answering `nextRequested` with `load` continues
the music, including when a track ends by itself. Without any sound device (servers, CI) the
FFmpeg backend still plays into nothing and the position advances; `has_audio_device` says so.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer, QtAudio

# "Previous" restarts the track when more than this much of it has played, as players do.
RESTART_SECONDS = 3.0
DEFAULT_VOLUME = 0.8


class Player(QObject):
    """Plays local files; positions and durations are in seconds, volume is perceptual 0-1."""

    positionChanged = Signal(float)
    durationChanged = Signal(float)
    playingChanged = Signal(bool)
    sourceChanged = Signal(str)  # "" when nothing is loaded
    errorOccurred = Signal(str)  # a sentence for the user
    nextRequested = Signal()
    previousRequested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._media = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._media.setAudioOutput(self._output)
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._follow_default_device)
        self._path = ""
        self._volume = DEFAULT_VOLUME
        self._continue_after_end = False
        self.set_volume(DEFAULT_VOLUME)
        self._media.positionChanged.connect(lambda ms: self.positionChanged.emit(ms / 1000.0))
        self._media.durationChanged.connect(lambda ms: self.durationChanged.emit(ms / 1000.0))
        self._media.playbackStateChanged.connect(
            lambda state: self.playingChanged.emit(state == QMediaPlayer.PlaybackState.PlayingState)
        )
        self._media.mediaStatusChanged.connect(self._on_status)
        self._media.errorOccurred.connect(self._on_error)

    # Source

    def load(self, path: str | None) -> None:
        """Make ``path`` the current track (None unloads). Keeps playing if playing; same path: no-op."""
        path = path or ""
        if path == self._path:
            return
        keep_playing = self.is_playing() or self._continue_after_end
        self._path = path
        self._media.setSource(QUrl.fromLocalFile(path) if path else QUrl())
        self.sourceChanged.emit(path)
        if path and keep_playing:
            self._media.play()

    def source(self) -> str:
        return self._path

    # Transport

    def play(self) -> None:
        if self._path:
            self._media.play()

    def pause(self) -> None:
        self._media.pause()

    def toggle(self) -> None:
        """Play/pause: the slot behind the space bar."""
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self._media.stop()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` (clamped to the track); the position signal follows."""
        if not self._path:
            return
        limit = self.duration()
        seconds = max(0.0, min(seconds, limit) if limit > 0 else seconds)
        self._media.setPosition(int(round(seconds * 1000)))

    def request_next(self) -> None:
        self.nextRequested.emit()

    def request_previous(self) -> None:
        """Restart the track if it has played a little, otherwise ask for the previous one."""
        if self.position() > RESTART_SECONDS:
            self.seek(0.0)
        else:
            self.previousRequested.emit()

    # State

    def is_playing(self) -> bool:
        return self._media.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def position(self) -> float:
        return self._media.position() / 1000.0

    def duration(self) -> float:
        return self._media.duration() / 1000.0

    def volume(self) -> float:
        return self._volume

    def set_volume(self, volume: float) -> None:
        """Perceptual volume 0-1 (a slider's value), mapped to the output's linear gain."""
        self._volume = min(max(volume, 0.0), 1.0)
        self._output.setVolume(
            QtAudio.convertVolume(
                self._volume, QtAudio.VolumeScale.LogarithmicVolumeScale, QtAudio.VolumeScale.LinearVolumeScale
            )
        )

    def is_muted(self) -> bool:
        return self._output.isMuted()

    def set_muted(self, muted: bool) -> None:
        self._output.setMuted(muted)

    @staticmethod
    def has_audio_device() -> bool:
        return bool(QMediaDevices.audioOutputs())

    @property
    def media_player(self) -> QMediaPlayer:
        return self._media

    # Internals

    def _follow_default_device(self) -> None:
        self._output.setDevice(QMediaDevices.defaultAudioOutput())

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status != QMediaPlayer.MediaStatus.EndOfMedia:
            return
        self._continue_after_end = True
        try:
            self.nextRequested.emit()
        finally:
            self._continue_after_end = False

    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.errorOccurred.emit(f"Cannot play this file: {message or error.name}")
