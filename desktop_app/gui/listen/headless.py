"""Listening without a window (``genrescope listen``): a QCoreApplication, the input, an event loop.

QtMultimedia needs a Qt application and an event loop even when nothing is shown; the CLI does
not import Qt itself (tests/test_layers.py), so the Qt side of its listening is here.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QTimer
from PySide6.QtMultimedia import QAudioDevice

from desktop_app.gui.listen.capture import WHAT_IS_PLAYING, CaptureError, LiveCapture, find_input
from desktop_app.gui.listen.sound_server import DESCRIPTION, PlayingSource, offer_what_is_playing, withdraw

WAIT_FOR_DEVICE_MS = 5000
"""How long Qt may take to list a source the sound server has just made."""


def application() -> QCoreApplication:
    return QCoreApplication.instance() or QCoreApplication(["genrescope"])


def open_input(name: str | None) -> tuple[QAudioDevice, PlayingSource | None]:
    """The input called ``name`` (None: the default; `WHAT_IS_PLAYING`: made by the sound server for
    this session, to `withdraw` after it). Raises CaptureError or SoundServerError."""
    if name != WHAT_IS_PLAYING:
        return find_input(name), None
    app = application()
    playing = offer_what_is_playing()
    deadline = QDeadlineTimer(WAIT_FOR_DEVICE_MS)
    while True:  # Qt learns of the new source from the server's events
        try:
            return find_input(DESCRIPTION), playing
        except CaptureError:
            if deadline.hasExpired():
                withdraw(playing)
                raise
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def capture_until_stopped(capture: LiveCapture, seconds: float | None) -> str | None:
    """Capture until ``seconds`` have passed, Ctrl+C, or the device fails (returns why)."""
    app = application()
    failure: list[str] = []

    def failed(reason: str) -> None:
        failure.append(reason)
        app.quit()

    capture.failed.connect(failed)
    previous = signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python see Ctrl+C while Qt waits
    wake.start(200)
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), app.quit)
    capture.start()
    try:
        app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        capture.stop()
    return failure[0] if failure else None
