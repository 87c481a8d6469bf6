"""The Listen window through a real sound server: a real recording played into a PulseAudio null
sink, captured as "what is playing", the live view painted, stopped, saved, found in the library.

Qt reads PULSE_SERVER when QtMultimedia first reaches the sound server, so the window runs in a
subprocess (tests/gui/listen_window_run.py) given the test server's environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from desktop_app.library import analyses as store
from desktop_app.library.database import open_library
from tests.inference_fixtures import random_checkpoint  # noqa: F401, F811 (fixture)
from tests.real_music import RECORDINGS, recording_path

RUNNER = Path(__file__).with_name("listen_window_run.py")


def test_listen_window_listens_shows_and_saves(pulse_server, random_checkpoint, tmp_path):
    db = tmp_path / "library.db"
    recording = recording_path(next(r for r in RECORDINGS if r.key == "feelings"))
    env = pulse_server.environment() | {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(RUNNER.parents[2])}
    run = subprocess.run(
        [sys.executable, str(RUNNER), str(db), str(tmp_path), str(recording), str(random_checkpoint.path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["repaints"] > 100  # columns kept arriving and the view kept scrolling
    assert report["seconds"] > 14 and report["dropped_seconds"] == 0
    assert report["ccmusic_windows"] == 1 and len(report["ccmusic_top5"]) == 5
    assert "window 1" in report["estimates"]["ccmusic"] and "patch" in report["estimates"]["broad-genre"]
    saved = Path(report["saved"])
    assert saved.parent == tmp_path / "saved" and saved.exists()
    assert "added to the library" in report["status"]
    with open_library(db) as library, library.engine.connect() as conn:
        stored = [store.analysis_of(conn, report["track_id"], model) for model in store.latest_model_ids(conn).values()]
    assert len([a for a in stored if a is not None and a.error is None]) == 4  # CCMusic, both taggers, broad genres
    image = Image.open(tmp_path / "listen.png")
    assert image.width >= 800 and len(np.unique(np.asarray(image.convert("L")))) > 50  # painted, not blank
