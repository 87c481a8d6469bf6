"""The Qt side of tests/gui/test_listen_window.py, run in a subprocess pointed at the test sound server.

Usage: listen_window_run.py DB OUT_DIR RECORDING WEIGHTS. Opens the main window, triggers Analysis →
Listen…, listens to "what is playing" while the test server plays RECORDING, stops, saves the
recording into OUT_DIR/saved, writes OUT_DIR/listen.png (the live view) and OUT_DIR/report.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.library.database import open_library

LISTEN_SECONDS = 15


def wait(app: QApplication, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def main() -> None:
    db, out, recording, weights = sys.argv[1:5]
    out_dir = Path(out)
    if weights:  # else: no CCMusic model, as on a machine that has not installed it
        os.environ["GENRESCOPE_WEIGHTS"] = weights
    app = QApplication([])
    window = MainWindow(open_library(Path(db)), AppSettings(out_dir / "settings.ini"))
    window.show()
    window.menus.listen.trigger()
    listen = window.listen_window
    listen.inputs.setCurrentIndex(listen.inputs.findData("what-is-playing"))
    started: list[bool] = []
    listen.start(on_started=lambda: started.append(True))
    assert wait(app, lambda: started, 120), listen.status.text()
    assert listen.listening, listen.status.text()
    player = subprocess.Popen(["paplay", "--device=room", recording])
    # Listened until the view has drawn LISTEN_SECONDS (enough for one CCMusic window): on a busy
    # machine the sound server starts late, so a fixed wall-clock wait could capture too little.
    assert wait(app, lambda: listen.shown_seconds >= LISTEN_SECONDS, 120), listen.shown_seconds
    listen.grab().save(str(out_dir / "listen.png"))
    repaints = listen.repaints
    stopped: list[object] = []
    listen.stop(on_stopped=stopped.append)
    assert wait(app, lambda: stopped, 120), listen.status.text()
    player.terminate()
    saved: list[object] = []
    listen.save_to(str(out_dir / "saved"), on_saved=saved.append)
    assert wait(app, lambda: saved, 240), listen.status.text()
    result = stopped[0]
    report = {
        "repaints": repaints,
        "seconds": result.seconds,
        "dropped_seconds": result.dropped_seconds,
        "ccmusic_windows": result.ccmusic.n_windows if result.ccmusic else 0,
        "ccmusic_top5": [s.key for s in result.ccmusic.top5] if result.ccmusic else [],
        "estimates": {model: label.text() for model, label in listen.estimates.items()},
        "saved": str(saved[0].path),
        "track_id": saved[0].track_id,
        "status": listen.status.text(),
    }
    (out_dir / "report.json").write_text(json.dumps(report))
    window.close()


if __name__ == "__main__":
    main()
