"""The window checks itself and quits: what packaging/smoke_test.sh asks of a built bundle.

``GENRESCOPE_SMOKE_TEST=SECONDS genrescope FOLDER`` runs the real start-up (QApplication, library,
migrations, main window, the FOLDER scan on the pool, the built-in tagger's pass (its weights must be
in the bundle), the CCMusic analysis when a model is installed, the Similar tracks pane listing the
selected track's neighbours from the stored embeddings, scikit-learn importable for My genres, the
player loading the selected track through QtMultimedia), waits until all of that is finished,
prints one JSON line saying what the window shows, and exits 0 only when every part worked: the
bundle is judged by the same code path a person uses, not by a separate test program.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtMultimedia import QMediaFormat, QMediaPlayer
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from desktop_app.gui.detail.panel import COMPUTING
from desktop_app.gui.main_window import MainWindow

SMOKE_ENV = "GENRESCOPE_SMOKE_TEST"
POLL_MS = 250
SETTLED_POLLS = 4
"""Consecutive idle polls before judging, so work queued by a finished step is seen starting."""
PLAYABLE = {
    QMediaPlayer.MediaStatus.LoadedMedia,
    QMediaPlayer.MediaStatus.BufferedMedia,
    QMediaPlayer.MediaStatus.BufferingMedia,
}


def _detail_shown(window: MainWindow) -> bool:
    return window.detail.current_track() is not None


def _learning_available() -> bool:
    """My genres' classifier imports (a bundle that left scikit-learn out would fail there)."""
    try:
        from desktop_app.analysis.my_genres import make_classifier

        make_classifier()
    except ImportError:
        return False
    return True


def smoke_timeout() -> float | None:
    """Seconds from ``$GENRESCOPE_SMOKE_TEST``, or None for a normal run."""
    value = os.environ.get(SMOKE_ENV)
    if not value:
        return None
    try:
        return max(1.0, float(value))
    except ValueError:
        raise SystemExit(f"{SMOKE_ENV} must be a number of seconds, got {value!r}") from None


class SmokeCheck(QObject):
    """Polls the window until it is idle (or the time is up), then reports and ends the event loop."""

    def __init__(self, window: MainWindow, timeout: float) -> None:
        super().__init__(window)
        self.window = window
        self.deadline = time.monotonic() + timeout
        self.started = time.monotonic()
        self._settled = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _spectrogram_shown(self) -> bool:
        """The selected track's CQT spectrogram is drawn (decoding and CQT work)."""
        track = self.window.detail.current_track()
        shown = self.window.detail.spectrogram_view.spectrogram()
        return track is not None and shown is not None and shown.path == track.path

    def _busy(self) -> bool:
        detail = self.window.detail
        computing = (
            detail.current_track() is not None
            and not self._spectrogram_shown()
            and detail.spectrogram_view.message() == COMPUTING
        )
        return (
            not self.window.is_idle()
            or self.window.analysis.busy
            or computing
            or self.window.similar.busy
            or detail.player.media_player.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia
        )

    def _poll(self) -> None:
        try:
            self._settled = 0 if self._busy() else self._settled + 1
            timed_out = time.monotonic() > self.deadline
            if self._settled < SETTLED_POLLS and not timed_out:
                return
            self._timer.stop()
            report = self.report(timed_out)
        except Exception as exc:  # a broken check must fail the run, not poll forever
            self._timer.stop()
            report = {"failures": [f"the smoke check itself failed: {exc!r}"]}
        print(json.dumps(report), flush=True)
        app = QApplication.instance()
        assert app is not None  # the check runs inside the application's event loop
        app.exit(0 if not report["failures"] else 1)

    def report(self, timed_out: bool) -> dict[str, Any]:
        window = self.window
        with window.library.engine.connect() as conn:
            tracks = conn.execute(text("SELECT count(*) FROM tracks")).scalar_one()
            by_model: dict[str, int] = dict(
                conn.execute(
                    text(
                        "SELECT m.name, count(DISTINCT a.track_id) FROM analyses a JOIN models m ON m.id = a.model_id "
                        "WHERE a.error IS NULL GROUP BY m.name"
                    )
                ).all()
            )
        analysed = by_model.get("ccmusic", 0)
        tagged = by_model.get("broad-genre", 0)
        source = window.model_control.state.source
        player_status = window.detail.player.media_player.mediaStatus()
        decodable = QMediaFormat().supportedFileFormats(QMediaFormat.ConversionMode.Decode)
        report: dict[str, Any] = {
            "seconds": round(time.monotonic() - self.started, 1),
            "platform": QApplication.platformName(),
            "window_title": window.windowTitle(),
            "window_visible": window.isVisible(),
            "icon_sizes": sorted(s.width() for s in window.windowIcon().availableSizes()),
            "tracks_in_library": tracks,
            "tracks_shown": window.table_model.rowCount(),
            "problems": window.problems.count,
            "model": source.origin if source is not None else None,
            "analysed": analysed,
            "tagged": tagged,
            "spectrogram_shown": self._spectrogram_shown(),
            "similar_listed": window.similar.list.count(),
            "learning_available": _learning_available(),
            "player_status": player_status.name,
            "decodable_formats": len(decodable),
            "status_text": window.status_text.text(),
            "frozen": bool(getattr(sys, "frozen", False)),
        }
        failures = []
        if timed_out:
            failures.append("timed out before the window was idle")
        if not report["window_visible"] or not report["icon_sizes"]:
            failures.append("window not shown with its icon")
        if tracks == 0 or report["tracks_shown"] != tracks:
            failures.append("the table does not show the scanned tracks")
        if report["problems"]:
            failures.append("files could not be read or analysed (Problems panel)")
        if tagged != tracks:
            failures.append("the built-in tagger did not tag every track (are its weights bundled?)")
        if window.analysis.has_model and analysed != tracks:
            failures.append("a CCMusic model is installed but not every track was analysed")
        if tracks > 1 and _detail_shown(window) and report["similar_listed"] != tracks - 1:
            failures.append("the Similar tracks pane does not list the selected track's neighbours")
        if not report["learning_available"]:
            failures.append("scikit-learn is missing: My genres cannot be learned")
        if not report["spectrogram_shown"]:
            failures.append("the selected track's spectrogram is not shown")
        if player_status not in PLAYABLE or not decodable:
            failures.append("QtMultimedia could not load the selected track")
        report["failures"] = failures
        return report
