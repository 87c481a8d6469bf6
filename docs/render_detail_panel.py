"""Render the detail panel offscreen into docs/detail_panel.png, to look at it.

A generated 40 s track (bass line, chords, melody, noise hits) and a fake analysis from a test
model, so the picture also shows how a test model's result is flagged.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python docs/render_detail_panel.py [out.png]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QPointF, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.genres.ccmusic import GENRE_KEYS, NUM_CLASSES  # noqa: E402
from desktop_app.library.analyses import StoredAnalysis  # noqa: E402
from desktop_app.library.browse import TrackDetail  # noqa: E402

SR = 22050
SECONDS = 40.0


def synthesize(path: Path) -> None:
    t = np.arange(int(SECONDS * SR)) / SR
    y = np.zeros_like(t)
    for i, root in enumerate([110.0, 146.8, 164.8, 98.0] * 5):  # 2 s per chord
        seg = (t >= 2 * i) & (t < 2 * i + 2)
        for ratio, gain in ((1, 0.3), (1.25, 0.12), (1.5, 0.12), (4, 0.06)):
            y[seg] += gain * np.sin(2 * np.pi * root * ratio * t[seg])
    melody = [440, 494, 523, 587, 659, 587, 523, 494]
    for i in range(80):  # eighth notes
        seg = (t >= 0.5 * i) & (t < 0.5 * i + 0.45)
        y[seg] += 0.1 * np.sin(2 * np.pi * melody[i % 8] * t[seg])
    rng = np.random.default_rng(0)
    for i in range(0, 80, 2):  # a noise hit per beat
        start = int(0.5 * i * SR)
        y[start : start + 2000] += 0.25 * rng.standard_normal(2000) * np.exp(-np.arange(2000) / 300)
    sf.write(path, (0.8 * y / np.abs(y).max()).astype(np.float32), SR)


def fake_test_analysis(windows: int) -> StoredAnalysis:
    rng = np.random.default_rng(3)
    per_window = rng.dirichlet(np.full(NUM_CLASSES, 0.3), size=windows)
    mean = per_window.mean(axis=0)
    votes = np.bincount(per_window.argmax(axis=1), minlength=NUM_CLASSES)
    return StoredAnalysis(
        top1=GENRE_KEYS[int(mean.argmax())],
        confidence=float(mean.max()),
        majority=GENRE_KEYS[int(np.flatnonzero(votes == votes.max())[np.argmax(mean[votes == votes.max()])])],
        probabilities=mean.tolist(),
        window_probabilities=per_window.tolist(),
        window_count=windows,
        short_clip=False,
        silent=False,
        error=None,
        model_label="TEST weights (random, not a trained model) random.pt, sha256 3f2a9c0d11e7",
        model_origin="test",
    )


def wait_until(done: Callable[[], bool], timeout_ms: int = 60_000) -> None:
    """Run the event loop until ``done()`` (polled every 20 ms) or the timeout."""
    loop = QEventLoop()
    poll = QTimer(interval=20)
    poll.timeout.connect(lambda: done() and loop.quit())
    poll.start()
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    poll.stop()
    if not done():
        raise TimeoutError("the panel did not get there in time")


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    from desktop_app.gui.detail import DetailPanel

    with tempfile.TemporaryDirectory() as folder:
        song = Path(folder) / "generated.wav"
        synthesize(song)
        panel = DetailPanel()
        panel.resize(900, 720)
        panel.show()
        track = TrackDetail(id=1, path=str(song), title="Generated Song", artist="Test Artist",
                            album="Synth Album", duration=SECONDS, analysis=fake_test_analysis(3))
        panel.show_track(track)
        wait_until(lambda: panel.spectrogram_view.spectrogram() is not None)
        wait_until(lambda: panel.player.duration() > 0)
        panel.player.seek(14.0)
        wait_until(lambda: abs(panel.player.position() - 14.0) < 0.1)
        view = panel.spectrogram_view
        scene_pos = view.plot_widget.getPlotItem().getViewBox().mapViewToScene(QPointF(18.0, 45.5))
        view.plot_widget.scene().sigMouseMoved.emit(scene_pos)  # a hover readout in the picture
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(out))
        panel.player.load(None)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "detail_panel.png")
