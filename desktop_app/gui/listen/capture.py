"""Capturing an audio input with QtMultimedia, off the GUI thread, into a bounded ring buffer.

`LiveCapture` runs a `QAudioSource` on a `QThread` of its own: each block the sound server
delivers is copied into a `RingBuffer` at once, and the listening session reads it from there
at its own pace. The format asked for is the device's own rate and channels in 16-bit samples,
so the sound server does not resample (the analysis resamples as a file is decoded) and a saved
recording holds exactly the captured frames.

The inputs are `QMediaDevices.audioInputs()`; "what is playing" is one more entry where the
sound server can make it (`sound_server`). No input, a refused permission or a device that
fails to open raise `CaptureError` with a sentence for the person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QMicrophonePermission, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices, QtAudio

from desktop_app.audio.ring_buffer import RingBuffer
from desktop_app.errors import AudioError

RING_SECONDS = 30
"""Audio the analysis may fall behind by before the oldest is dropped (and counted)."""
CHECK_MS = 250
"""How often the capture thread looks whether its device failed (unplugged, server gone)."""
WHAT_IS_PLAYING = "what-is-playing"
"""The input name that asks for the system's output rather than a microphone."""


class CaptureError(AudioError):
    """Audio cannot be captured; the message says why and what to do."""


@dataclass(frozen=True)
class AudioInput:
    name: str
    """What the person sees (the device's description)."""
    id: str
    default: bool


def audio_inputs() -> list[AudioInput]:
    """The sound server's inputs, as Qt lists them (a QCoreApplication must exist)."""
    return [
        AudioInput(device.description(), bytes(device.id().data()).decode(errors="replace"), device.isDefault())
        for device in QMediaDevices.audioInputs()
    ]


def find_input(name: str | None) -> QAudioDevice:
    """The input called ``name`` (its description or id, or a unique part of it); None: the default."""
    devices = QMediaDevices.audioInputs()
    if not devices:
        raise CaptureError(
            "No audio input: no microphone is connected, or the sound server offers none. "
            "Connect one (or allow access to it) and try again."
        )
    if name is None:
        default = QMediaDevices.defaultAudioInput()
        return default if not default.isNull() else devices[0]
    exact = [d for d in devices if name in (d.description(), bytes(d.id().data()).decode(errors="replace"))]
    partial = [d for d in devices if name.lower() in d.description().lower()]
    found = exact or partial
    if len(found) != 1:
        names = ", ".join(d.description() for d in devices)
        problem = "No input is" if not found else "Several inputs are"
        raise CaptureError(f"{problem} called “{name}”; the inputs are: {names}")
    return found[0]


def check_permission() -> None:
    """Raise `CaptureError` if the system refuses this app the microphone (macOS, Windows, Flatpak)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    if app.checkPermission(QMicrophonePermission()) == Qt.PermissionStatus.Denied:
        raise CaptureError(
            "Genrescope may not use the microphone: allow it in the system's privacy settings, then try again."
        )


def capture_format(device: QAudioDevice) -> QAudioFormat:
    """The device's own rate and channels, 16-bit."""
    preferred = device.preferredFormat()
    wanted = QAudioFormat()
    wanted.setSampleRate(preferred.sampleRate())
    wanted.setChannelCount(min(2, max(1, preferred.channelCount())))
    wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    if not device.isFormatSupported(wanted):
        raise CaptureError(f"{device.description()} offers no 16-bit capture at {preferred.sampleRate()} Hz")
    return wanted


class _CaptureThread(QThread):
    """Owns the QAudioSource: it is made, read and stopped on this thread."""

    failed = Signal(str)

    def __init__(self, device: QAudioDevice, audio_format: QAudioFormat, ring: RingBuffer) -> None:
        super().__init__()
        self._device = device
        self._format = audio_format
        self._ring = ring

    def run(self) -> None:
        source = QAudioSource(self._device, self._format)
        source.setBufferSize(self._format.bytesForDuration(100_000))  # 0.1 s blocks
        stream = source.start()
        if source.error() != QtAudio.Error.NoError or stream is None:
            self.failed.emit(f"{self._device.description()} could not be opened ({source.error().name})")
            return
        channels = self._format.channelCount()

        def take() -> None:
            data = stream.readAll().data()
            usable = len(data) - len(data) % (2 * channels)
            if usable:
                self._ring.write(np.frombuffer(data[:usable], dtype=np.int16).reshape(-1, channels))

        def check() -> None:
            if source.error() != QtAudio.Error.NoError:
                self.failed.emit(f"{self._device.description()} stopped: {source.error().name}")
                self.quit()

        stream.readyRead.connect(take)
        # PySide cannot pass stateChanged's QAudio::State argument to Python: look at the state instead.
        watch = QTimer()
        watch.timeout.connect(check)
        watch.start(CHECK_MS)
        self.exec()
        take()
        source.stop()


class LiveCapture(QObject):
    """Captures ``device`` into `ring` between `start` and `stop`; `failed` says why it stopped early."""

    failed = Signal(str)

    def __init__(self, device: QAudioDevice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        check_permission()
        self.device = device
        self.format = capture_format(device)
        self.rate = self.format.sampleRate()
        self.ring = RingBuffer(RING_SECONDS * self.rate, self.format.channelCount(), np.int16)
        self._thread: _CaptureThread | None = None

    def start(self) -> None:
        self._thread = _CaptureThread(self.device, self.format, self.ring)
        self._thread.failed.connect(self.failed)
        self._thread.start()

    def stop(self) -> None:
        """Stop capturing; every frame captured so far is in `ring` when this returns."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
