"""The Listen window: pick an input, watch the live CQT and level, read each model's live genres.

The spectrogram scrolls with the detail panel's note axis and magma colours over the last
`VISIBLE_SECONDS`, repainted by a timer at `REPAINT_MS` with whatever columns arrived (the
CQT is final 0.74 s after the sound, `audio.live_features.CQT_CONTEXT`). Everything heavy runs
elsewhere: capture on its own thread, the spectrogram and the models on the session's threads,
loading models, stopping and saving on the job pool; the window only copies columns into an image.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.analysis.listening import (
    BROAD,
    CCMUSIC,
    Estimate,
    ListenResult,
    ListenSession,
    LiveModels,
    save_recording,
)
from desktop_app.audio.cqt_layout import N_BINS
from desktop_app.audio.live_features import LiveUpdate
from desktop_app.gui.detail.axes import NoteAxis, TimeAxis
from desktop_app.gui.detail.spectrogram_view import DB_RANGE, MAGMA
from desktop_app.gui.listen.capture import WHAT_IS_PLAYING, CaptureError, LiveCapture, audio_inputs
from desktop_app.gui.listen.headless import open_input
from desktop_app.gui.listen.sound_server import PlayingSource, SoundServerError, withdraw
from desktop_app.gui.services import AppServices
from desktop_app.gui.workers import describe

VISIBLE_SECONDS = 20.0
FRAMES_PER_SECOND = 22050 / 512
REPAINT_MS = 40
"""25 repaints a second while columns keep coming; a tick with nothing to reveal paints nothing."""
HELD_COLUMNS = 4
"""Columns kept back (one CQT piece, `live_features.MIN_NEW_FRAMES`), so that a column is ready
at every tick although the CQT arrives in pieces: the view scrolls evenly, 93 ms later."""
BACKLOG_COLUMNS = 12
"""Columns (0.28 s) the view may hold back at most; beyond that it catches up at once."""
MAX_CREDIT = 2.0
"""Columns a tick may owe: a pause (nothing to show) does not become a jump afterwards."""
LEVEL_FLOOR_DBFS = -60
TITLES = {CCMUSIC: "CCMusic genres (11.4 s windows)", BROAD: "Broad genres (3 s patches)"}


class _Relay(QObject):
    """Carries the session's reports from its threads to the GUI thread."""

    update = Signal(object)
    estimate = Signal(object)


class ListenWindow(QDialog):
    """Listen: live CQT, level meter and live genres; Stop, then Save recording if wanted."""

    def __init__(self, services: AppServices, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Listen — Genrescope")
        self.services = services
        self._device_setting = device
        self._capture: LiveCapture | None = None
        self._session: ListenSession | None = None
        self._playing: PlayingSource | None = None
        self._models: LiveModels | None = None
        self.heard: ListenResult | None = None
        self.repaints = 0
        """Spectrogram repaints since the window opened (the benchmark's frame count)."""

        self.inputs = QComboBox()
        self.start_button = QPushButton("Listen")
        self.start_button.clicked.connect(self.toggle)
        self.save_button = QPushButton("Save recording…")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Keep what was heard as a FLAC file and add it to the library with its analysis")
        self.save_button.clicked.connect(self.choose_save_folder)
        self.level = QProgressBar()
        self.level.setRange(LEVEL_FLOOR_DBFS, 0)
        self.level.setFormat("%v dBFS")
        self.status = QLabel(wordWrap=True)
        self.status.setObjectName("listenStatus")
        self.estimates = {model: QLabel(f"<b>{title}</b>") for model, title in TITLES.items()}
        for label in self.estimates.values():
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            label.setWordWrap(True)
            label.setMinimumWidth(260)

        self._columns = int(VISIBLE_SECONDS * FRAMES_PER_SECOND)
        self._image_db = np.full((self._columns, N_BINS), DB_RANGE[0], dtype=np.float32)
        self._backlog = np.zeros((0, N_BINS), dtype=np.float32)
        """Final columns not shown yet, oldest first."""
        self._credit = 0.0
        self._last_tick = time.monotonic()
        self._heard_frames = 0
        self.plot = pg.PlotWidget(axisItems={"left": NoteAxis(), "bottom": TimeAxis()})
        self.plot.setMinimumHeight(240)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem(self._image_db, levels=DB_RANGE)
        self.image.setLookupTable(MAGMA.getLookupTable(nPts=256))
        item.addItem(self.image)
        item.setYRange(0, N_BINS, padding=0)
        self._place_image()

        row = QHBoxLayout()
        row.addWidget(QLabel("Input:"))
        row.addWidget(self.inputs, 1)
        row.addWidget(self.start_button)
        row.addWidget(self.save_button)
        genres = QGridLayout()
        for column, label in enumerate(self.estimates.values()):
            genres.addWidget(label, 0, column)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.level)
        layout.addLayout(genres)
        layout.addWidget(self.status)

        self._relay = _Relay()
        self._relay.update.connect(self._take_update)
        self._relay.estimate.connect(self._show_estimate)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._repaint)
        self.refresh_inputs()
        self.resize(900, 560)

    # Inputs ---------------------------------------------------------------------------------

    def refresh_inputs(self) -> None:
        self.inputs.clear()
        for found in audio_inputs():
            self.inputs.addItem(found.name + (" (default)" if found.default else ""), found.id)
        self.inputs.addItem("What is playing (the system's output)", WHAT_IS_PLAYING)
        if self.inputs.count() == 1:
            self.status.setText("No microphone or other input is connected; “What is playing” may still work.")

    def _chosen(self) -> str:
        value = self.inputs.currentData()
        if value == WHAT_IS_PLAYING:
            return WHAT_IS_PLAYING
        return next(found.name for found in audio_inputs() if found.id == value)

    # Start and stop ---------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._session is not None

    @property
    def shown_seconds(self) -> float:
        """How much of this listening the spectrogram has drawn so far (it trails the capture)."""
        return self._heard_frames / FRAMES_PER_SECOND

    def toggle(self) -> None:
        if self.listening:
            self.stop()
        else:
            self.start()

    def start(self, on_started: Callable[[], None] | None = None) -> None:
        """Load the models (on the pool), then open the input and listen."""
        self._discard_recording()
        self.start_button.setEnabled(False)
        self.status.setText("Loading the genre models…")

        def loaded(models: LiveModels) -> None:
            self._models = models
            self._open(models)
            self.start_button.setEnabled(True)
            if on_started is not None:
                on_started()

        def failed(error: Exception) -> None:
            self.start_button.setEnabled(True)
            self.status.setText(f"Cannot listen: {describe(error)}")

        device = self._device_setting
        self.services.jobs.start(
            lambda _context: LiveModels.load(None, device),
            name="load listening models",
            on_done=loaded,
            on_failed=failed,
        )

    def _open(self, models: LiveModels) -> None:
        try:
            device, self._playing = open_input(self._chosen())
            self._capture = LiveCapture(device, self)
        except (CaptureError, SoundServerError, StopIteration) as exc:
            self.status.setText(
                f"Cannot listen: {exc}" if not isinstance(exc, StopIteration) else "That input is gone."
            )
            self._withdraw()
            return
        for model, title in TITLES.items():
            why = models.missing.get(model)
            waiting = "waiting for the first window…" if why is None else f"not available: {escape(why)}"
            self.estimates[model].setText(f"<b>{title}</b><br>{waiting}")
        self._capture.failed.connect(self._capture_failed)
        self._session = ListenSession(
            self._capture.ring,
            self._capture.rate,
            models,
            on_update=self._relay.update.emit,
            on_estimate=self._relay.estimate.emit,
        )
        self._heard_frames = 0
        self._backlog = self._backlog[:0]
        self._image_db.fill(DB_RANGE[0])
        self._session.start()
        self._capture.start()
        self._timer.start(REPAINT_MS)
        self.start_button.setText("Stop")
        self.save_button.setEnabled(False)
        self.status.setText(f"Listening to {device.description()} ({self._capture.rate} Hz).")

    def stop(self, on_stopped: Callable[[ListenResult], None] | None = None) -> None:
        """Stop capturing; the session finishes its last windows on the pool, then Save is offered."""
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        session, self._session = self._session, None
        self._withdraw()
        if session is None:
            return
        self.start_button.setEnabled(False)
        self.status.setText("Finishing the last windows…")

        def stopped(result: ListenResult) -> None:
            self.heard = result
            self.start_button.setEnabled(True)
            self.start_button.setText("Listen")
            self._timer.stop()
            self._repaint(everything=True)
            lost = (
                f" {result.dropped_seconds:.1f} s were lost: the analysis fell behind."
                if result.dropped_seconds
                else ""
            )
            self.status.setText(
                f"Stopped after {result.seconds:.1f} s.{lost} Save recording keeps it; nothing is kept otherwise."
            )
            self.save_button.setEnabled(result.recording is not None and result.seconds > 0)
            if on_stopped is not None:
                on_stopped(result)

        self.services.jobs.start(lambda _context: session.stop(), name="stop listening", on_done=stopped)

    def _capture_failed(self, reason: str) -> None:
        self.status.setText(f"The input stopped: {reason}")
        self.stop()

    def _withdraw(self) -> None:
        if self._playing is not None:
            withdraw(self._playing)
            self._playing = None

    # Save -----------------------------------------------------------------------------------

    def choose_save_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the recording in")
        if folder:
            self.save_to(folder)

    def save_to(self, folder: str, on_saved: Callable[[object], None] | None = None) -> None:
        result, models = self.heard, self._models
        if result is None or result.recording is None or models is None:
            return
        recording = result.recording
        self.save_button.setEnabled(False)
        self.status.setText("Saving and analysing the recording…")
        library = self.services.library

        def saved(found) -> None:  # analysis.listening.SavedRecording
            self.heard = None
            self.status.setText(f"Saved as {found.path} and added to the library with its analysis.")
            self.services.events.tracksChanged.emit()
            self.services.events.analysesChanged.emit([found.track_id])
            if on_saved is not None:
                on_saved(found)

        def failed(error: Exception) -> None:
            self.save_button.setEnabled(True)
            self.status.setText(f"Could not save the recording: {describe(error)}")

        self.services.jobs.start(
            lambda _context: save_recording(library, recording, folder, models),
            name="save recording",
            on_done=saved,
            on_failed=failed,
        )

    def _discard_recording(self) -> None:
        if self.heard is not None and self.heard.recording is not None:
            self.heard.recording.discard()
        self.heard = None
        self.save_button.setEnabled(False)

    # Live view --------------------------------------------------------------------------------

    def _take_update(self, update: LiveUpdate) -> None:
        if update.columns.size:
            self._backlog = np.concatenate([self._backlog, update.columns.T])
        self.level.setValue(int(max(LEVEL_FLOOR_DBFS, update.peak_dbfs)))

    def _repaint(self, *, everything: bool = False) -> None:
        """Reveal the columns at the pace of the audio, so the view scrolls at every tick though
        the CQT arrives in pieces of about 0.1 s."""
        now = time.monotonic()
        self._credit = min(MAX_CREDIT, self._credit + (now - self._last_tick) * FRAMES_PER_SECOND)
        self._last_tick = now
        count = min(max(0, len(self._backlog) - HELD_COLUMNS), int(self._credit))
        count = len(self._backlog) if everything else max(count, len(self._backlog) - BACKLOG_COLUMNS)
        if count <= 0:
            return
        self._credit = max(0.0, self._credit - count)
        new, self._backlog = self._backlog[:count], self._backlog[count:]
        shift = min(count, self._columns)
        self._image_db = np.roll(self._image_db, -shift, axis=0)
        self._image_db[-shift:] = new[-shift:]
        self._heard_frames += count
        self.image.setImage(self._image_db, autoLevels=False)
        self._place_image()
        self.repaints += 1

    def _place_image(self) -> None:
        """Time on x in seconds of the listening so far, the note bins on y."""
        end = self._heard_frames / FRAMES_PER_SECOND
        self.image.setRect(end - VISIBLE_SECONDS, 0, VISIBLE_SECONDS, N_BINS)
        self.plot.getPlotItem().setXRange(end - VISIBLE_SECONDS, end, padding=0)

    def _show_estimate(self, estimate: Estimate) -> None:
        unit, units = ("window", "windows") if estimate.model == CCMUSIC else ("patch", "patches")
        here = "<br>".join(f"{s.probability * 100:5.1f}% {s.display_name}" for s in estimate.top5)
        song = "<br>".join(f"{s.probability * 100:5.1f}% {s.display_name}" for s in estimate.song_top5)
        self.estimates[estimate.model].setText(
            f"<b>{TITLES[estimate.model]}</b><br><i>{unit} {estimate.index + 1} "
            f"({estimate.start_s:.1f}–{estimate.end_s:.1f} s):</i><br>{here}"
            f"<br><i>the song so far ({estimate.windows} {units}):</i><br>{song}"
        )

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.listening:
            self.stop()
        self._discard_recording()
        super().closeEvent(event)
