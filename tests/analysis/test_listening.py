"""Listening's session and Save recording: a real recording pushed through the ring buffer as a
capture would, then kept and analysed by the library, giving what `genrescope analyze` gives.

(The capture itself, through a real sound server, is tested in tests/cli/test_listen_command.py
and tests/gui/test_listen_window.py.)
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import soundfile as sf

from desktop_app.analysis.listening import BROAD, CCMUSIC, ListenSession, LiveModels, save_recording
from desktop_app.audio.ring_buffer import RingBuffer
from desktop_app.cli import main
from desktop_app.genres import broad
from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.library import analyses as store
from tests.inference_fixtures import random_checkpoint  # noqa: F401, F811 (fixture)
from tests.real_music import RECORDINGS, recording_path


@pytest.fixture(scope="module")
def heard() -> tuple[np.ndarray, int]:
    recording = next(r for r in RECORDINGS if r.key == "lovin")
    with sf.SoundFile(recording_path(recording)) as source:
        source.seek(10 * source.samplerate)
        return source.read(14 * source.samplerate, dtype="int16", always_2d=True), source.samplerate


def listen(frames: np.ndarray, rate: int, models: LiveModels):
    ring = RingBuffer(30 * rate, frames.shape[1])
    estimates = []
    session = ListenSession(ring, rate, models, on_estimate=estimates.append)
    session.start()
    for start in range(0, len(frames), rate // 10):  # 0.1 s blocks, as the capture delivers them
        ring.write(frames[start : start + rate // 10])
        time.sleep(0.002)
    result = session.stop()
    assert session.error is None
    return result, estimates


def test_saved_recording_is_stored_with_the_files_own_analysis(library, heard, random_checkpoint, tmp_path, capsys):
    frames, rate = heard
    models = LiveModels.load(str(random_checkpoint.path), "cpu")
    assert models.classifier is not None and models.tagger is not None, models.missing
    result, estimates = listen(frames, rate, models)
    assert result.seconds == pytest.approx(14.0) and result.dropped_seconds == 0
    assert [e.index for e in estimates if e.model == CCMUSIC] == [0]
    assert [e.index for e in estimates if e.model == BROAD] == [0, 1, 2, 3]
    assert result.ccmusic is not None and result.ccmusic.n_windows == 1

    saved = save_recording(library, result.recording, tmp_path / "Listened", models)
    assert saved.path.parent == tmp_path / "Listened" and saved.path.suffix == ".flac"
    np.testing.assert_array_equal(sf.read(saved.path, dtype="int16", always_2d=True)[0], frames)  # what was heard

    assert (
        main(["analyze", str(saved.path), "--weights", str(random_checkpoint.path), "--device", "cpu", "--json"]) == 0
    )
    later = json.loads(capsys.readouterr().out)
    with library.engine.connect() as conn:
        ccmusic = store.analysis_of(conn, saved.track_id, store.model_id_for(conn, models.classifier.identity.sha256))
        genres = store.analysis_of(conn, saved.track_id, store.model_id_for(conn, later["broad_genre"]["model_sha256"]))
    assert ccmusic is not None and genres is not None
    assert ccmusic.top1 == later["top5"][0]["genre"] and ccmusic.window_count == later["windows"]
    expected = np.array(later["window_probs"]).mean(axis=0)
    np.testing.assert_allclose(ccmusic.probabilities, expected, atol=2e-6)
    assert GENRE_KEYS[int(np.argmax(ccmusic.probabilities))] == later["top5"][0]["genre"]
    assert genres.top1 == later["broad_genre"]["top5"][0]["genre"]
    stored_broad = dict(zip(broad.BROAD_KEYS, genres.probabilities))
    for score in later["broad_genre"]["top5"]:
        assert stored_broad[score["genre"]] == pytest.approx(score["probability"], abs=2e-6)


def test_no_recording_is_kept_unless_saved(heard):
    frames, rate = heard
    result, _ = listen(frames[: rate * 4], rate, LiveModels(None, None))
    temporary = result.recording.path
    assert temporary is not None and temporary.exists()
    result.recording.discard()
    assert not temporary.exists()
