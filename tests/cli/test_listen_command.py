"""`genrescope listen` through a real sound server: a real recording played into a PulseAudio null
sink, captured as "what is playing" by QtMultimedia, classified live. No mock on the way.

Qt reads PULSE_SERVER when QtMultimedia first reaches the sound server, so the command runs in a
subprocess given the test server's environment (as a person's shell would give it theirs).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from desktop_app.analysis.tag_results import verdict
from desktop_app.audio import mel
from desktop_app.inference.registry import open_tagger
from tests.inference_fixtures import random_checkpoint  # noqa: F401, F811 (fixture)
from tests.pulse_server import PulseServer
from tests.real_music import RECORDINGS, recording_path


def genrescope(server: PulseServer, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = server.environment() | {"QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_list_devices_offers_what_is_playing(pulse_server):
    result = genrescope(pulse_server, "listen", "--list-devices", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"name": "what-is-playing", "offered": True, "why_not": None} in lines
    # Offered for the session only: listing it leaves nothing loaded in the server.
    assert "genrescope_what_is_playing" not in pulse_server.pactl("list", "short", "sources").stdout


def test_listen_classifies_what_is_playing_window_by_window(pulse_server, random_checkpoint):
    recording = next(r for r in RECORDINGS if r.key == "armygeddon")
    player = pulse_server.play(recording_path(recording))
    try:
        result = genrescope(
            pulse_server,
            "listen",
            "--device",
            "what-is-playing",
            "--seconds",
            "15",
            "--weights",
            str(random_checkpoint.path),
            "--json",
        )
    finally:
        player.terminate()
        player.wait()
    assert result.returncode == 0, result.stderr
    *windows, song = [json.loads(line) for line in result.stdout.splitlines()]
    patches = [w for w in windows if w["model"] == "broad-genre"]
    ccmusic = [w for w in windows if w["model"] == "ccmusic"]
    assert [p["window"] for p in patches] == list(range(len(patches))) and len(patches) >= 3
    assert [w["window"] for w in ccmusic] == [0]  # one complete 11.4 s window in 15 s
    assert ccmusic[0]["start"] == 0.0 and ccmusic[0]["end"] == pytest.approx(11.378, abs=1e-3)
    assert song["duration"] > 12 and song["dropped_seconds"] == 0
    assert song["windows"] == 1 and song["patches"] == len(patches)
    assert song["top5"][0]["genre"] == ccmusic[0]["top5"][0]["genre"]  # one window: its Top-5 is the song's
    assert song["broad_genre"]["top5"][0]["genre"] == patches[-1]["song_top5"][0]["genre"]

    # It heard the music, not the silence of an idle room: the tagger says something else of silence.
    tagger = open_tagger("cpu")
    silence = verdict(tagger.predict(mel.tagger_patches(np.zeros(3 * mel.SAMPLE_RATE, np.float32)).patches), tagger)
    heard = [s["probability"] for s in song["broad_genre"]["top5"]]
    assert not np.allclose(heard, [s.probability for s in silence.broad.top5], atol=0.02)


def test_no_input_device_is_a_clear_message():
    server = PulseServer(with_sink=False).start()  # a sound server with nothing to listen to
    try:
        result = genrescope(server, "listen", "--seconds", "1")
    finally:
        server.stop()
    assert result.returncode == 1
    assert "No audio input" in result.stderr and "Traceback" not in result.stderr
