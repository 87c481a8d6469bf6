"""What listening costs the window: GUI-thread stalls, live-spectrogram frame rate and CPU share.

Starts a throwaway PulseAudio (tests/pulse_server.py), plays a real recording (tests/real_music.py)
into its null sink, and in a subprocess pointed at it opens the Listen window on "what is
playing" for ``--seconds`` with the installed models (the built-in tagger; CCMusic too if
installed, or ``--weights`` random/test weights to measure its cost). A 10 ms heartbeat timer on
the GUI thread measures stalls as bench/gui_responsiveness.py does (the interval between two
ticks minus 10 ms); the frame rate is the live view's repaints per second; the CPU share is the
process's CPU time over wall time (1.0 = one core of this machine's cores) while listening.
Prints one JSON object.

    python bench/listen.py [--seconds 30] [--weights W]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEARTBEAT_MS = 10

CHILD = r"""
import json, os, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.library.database import open_library

seconds, folder = float(sys.argv[1]), Path(sys.argv[2])
app = QApplication([])
window = MainWindow(open_library(folder / "library.db"), AppSettings(folder / "settings.ini"))
window.show()
window.open_listen()
listen = window.listen_window
listen.inputs.setCurrentIndex(listen.inputs.findData("what-is-playing"))
started = []
listen.start(on_started=lambda: started.append(time.monotonic()))
deadline = time.monotonic() + 300
while not started and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.01)
assert listen.listening, listen.status.text()
ticks = []
heartbeat = QTimer(); heartbeat.setInterval(10)
heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
warm = 3.0  # the first CQT calls (librosa's lazy imports) are not the steady state
end = time.monotonic() + warm + seconds
while time.monotonic() < started[0] + warm:
    app.processEvents(); time.sleep(0.005)
cpu0, wall0, repaints0 = time.process_time(), time.monotonic(), listen.repaints
heartbeat.start()
while time.monotonic() < end:
    app.processEvents(); time.sleep(0.001)
heartbeat.stop()
cpu, wall, repaints = time.process_time() - cpu0, time.monotonic() - wall0, listen.repaints - repaints0
done = []
listen.stop(on_stopped=done.append)
while not done:
    app.processEvents(); time.sleep(0.01)
intervals = [(b - a) * 1000 - 10 for a, b in zip(ticks, ticks[1:])]
print(json.dumps({"cpu_seconds": cpu, "wall_seconds": wall, "repaints": repaints, "stalls_ms": intervals,
                  "dropped_seconds": done[0].dropped_seconds, "models": sorted(m for m in ("ccmusic", "broad-genre")
                  if m not in listen._models.missing)}))
window.close()
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--weights", help="a CCMusic checkpoint (GENRESCOPE_WEIGHTS) to include its cost")
    args = parser.parse_args()

    from tests.pulse_server import PulseServer
    from tests.real_music import RECORDINGS, recording_path

    server = PulseServer().start()
    folder = Path(tempfile.mkdtemp(prefix="genrescope-bench-listen-"))
    player = server.play(recording_path(next(r for r in RECORDINGS if r.key == "armygeddon")))
    try:
        env = server.environment() | {
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(ROOT),
            "GENRESCOPE_DATA_DIR": str(folder / "data"),
        }
        if args.weights:
            env["GENRESCOPE_WEIGHTS"] = args.weights
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.seconds), str(folder)], env=env, capture_output=True, text=True
        )
        if run.returncode != 0:
            raise SystemExit(run.stderr[-3000:])
        found = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        player.terminate()
        server.stop()
    stalls = found["stalls_ms"]
    print(
        json.dumps(
            {
                "seconds": round(found["wall_seconds"], 1),
                "models": found["models"],
                "cpu_cores": os.cpu_count(),
                "cpu_share_of_one_core": round(found["cpu_seconds"] / found["wall_seconds"], 3),
                "live_view_fps": round(found["repaints"] / found["wall_seconds"], 1),
                "gui_stall_ms": {
                    "p50": round(percentile(stalls, 50), 1),
                    "p99": round(percentile(stalls, 99), 1),
                    "max": round(max(stalls, default=0.0), 1),
                },
                "heartbeats": len(stalls) + 1,
                "dropped_seconds": found["dropped_seconds"],
            }
        )
    )


if __name__ == "__main__":
    main()
