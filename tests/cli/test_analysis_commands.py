"""`genrescope analyze` and `genrescope classify` end to end, with a random-weight checkpoint.

Random weights prove the plumbing (inputs, windows, storage, resumption), not the accuracy: the
real weights cannot be downloaded on this project's machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from desktop_app.audio.prepare import prepare_track
from desktop_app.cli import main
from desktop_app.genres.ccmusic import GENRE_KEYS
from tests.audio_files import write_audio
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)


def analyze_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["analyze", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    return write_audio(tmp_path_factory.mktemp("song") / "song.flac", seconds=25.0, sr=44100, channels=2, freq=220.0)


def test_analyze_json_with_weights(capsys, song, random_checkpoint, tmp_path):
    dump = tmp_path / "inputs.npy"
    code, report = analyze_json(capsys, str(song), "--weights", str(random_checkpoint.path), "--dump-inputs", str(dump))
    assert code == 0
    expected = prepare_track(song)
    assert report["windows"] == len(expected.inputs) == 2
    assert report["duration"] == pytest.approx(25.0, abs=0.01)
    assert report["short_clip"] is False and report["silent"] is False
    assert len(report["top5"]) == 5
    probabilities = [s["probability"] for s in report["top5"]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0 + 1e-6
    assert {s["genre"] for s in report["top5"]} <= set(GENRE_KEYS)
    assert report["majority"] in GENRE_KEYS
    window_probs = np.array(report["window_probs"])
    assert window_probs.shape == (2, 16)
    assert np.allclose(window_probs.sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose(window_probs.mean(axis=0)[GENRE_KEYS.index(report["top5"][0]["genre"])], probabilities[0], atol=1e-5)
    assert report["model_sha256"] == random_checkpoint.sha256
    assert report["device"] == "cpu" and report["seconds"] > 0
    dumped = np.load(dump)
    assert dumped.dtype == np.float32 and dumped.shape == (2, 3, 224, 224)
    assert np.array_equal(dumped, expected.inputs)


def test_analyze_without_a_model_still_describes_the_audio(capsys, tmp_path):
    clip = write_audio(tmp_path / "short.wav", seconds=5.0)
    code, report = analyze_json(capsys, str(clip))
    assert code == 0
    assert (report["windows"], report["short_clip"], report["top5"]) == (1, True, None)
    assert "No CCMusic genre model is installed" in report["model_error"]
    assert "genrescope model import" in report["model_error"]
    # The built-in tagger needs no install: its tags and broad genres are there all the same.
    assert set(report["taggers"]) == {"musicnn-msd", "musicnn-mtt"} and report["patches"] == 1
    assert len(report["broad_genre"]["top5"]) == 5


def test_analyze_refuses_a_wrong_checkpoint_and_predicts_nothing(capsys, song, tmp_path):
    bogus = tmp_path / "save.pt"
    bogus.write_text("not a checkpoint at all\n")
    code, report = analyze_json(capsys, str(song), "--weights", str(bogus))
    assert code == 0
    assert report["top5"] is None and report["model_sha256"] is None
    assert str(bogus) in report["model_error"]


def test_analyze_unreadable_file_fails_with_a_reason(capsys, tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(os.urandom(2000))
    code, report = analyze_json(capsys, str(broken))
    assert code == 1 and report["error"]


def test_classify_is_resumable_and_records_failures(tmp_path, random_checkpoint, cli_env):
    music = tmp_path / "music"
    for i, seconds in enumerate((3.0, 13.0, 4.0)):
        write_audio(music / f"{i}.wav", seconds=seconds, freq=200.0 + 100 * i)
    vanishing = write_audio(music / "vanishing.wav", seconds=2.0)
    db = str(tmp_path / "lib.sqlite3")
    env = {**cli_env, "GENRESCOPE_WEIGHTS": str(random_checkpoint.path)}
    run = lambda *args: subprocess.run([sys.executable, "-m", "desktop_app", *args, "--db", db, "--json"],
                                       env=env, capture_output=True, text=True, timeout=600)
    assert run("scan", str(music)).returncode == 0
    vanishing.unlink()  # gone between scan and analysis

    first = run("classify", "--model", "ccmusic", "--limit", "2")
    assert first.returncode == 0, first.stderr
    first = json.loads(first.stdout)
    assert (first["analysed"], first["failed"]) == (2, 0)
    assert first["models"] == {"ccmusic": random_checkpoint.sha256} and first["model_origin"] == "file"

    rest = json.loads(run("classify", "--model", "ccmusic").stdout)
    assert (rest["analysed"], rest["failed"]) == (1, 1)
    assert rest["error_files"][0]["path"] == str(vanishing)
    assert "not found" in rest["error_files"][0]["reason"]
    assert json.loads(run("classify", "--model", "ccmusic").stdout)["analysed"] == 0, "nothing is redone"

    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT top1, confidence, window_count, short_clip, probabilities, window_probabilities "
                            "FROM analyses WHERE error IS NULL ORDER BY track_id").fetchall()
    assert [r[2] for r in rows] == [1, 1, 1]
    assert [bool(r[3]) for r in rows] == [True, False, True]
    for top1, confidence, _, _, probabilities, window_probabilities in rows:
        probabilities = json.loads(probabilities)
        assert len(probabilities) == 16 and top1 == GENRE_KEYS[int(np.argmax(probabilities))]
        assert confidence == pytest.approx(max(probabilities), abs=1e-5)
        assert len(json.loads(window_probabilities)) == 1


def test_classify_without_a_model_says_how_to_get_one(tmp_path, cli_env):
    command = [sys.executable, "-m", "desktop_app", "classify", "--db", str(tmp_path / "l.db")]
    done = subprocess.run([*command, "--model", "ccmusic"], env=cli_env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "genrescope model install" in done.stderr
    # By default the built-in tagger does its pass, and the missing CCMusic model is only a note.
    done = subprocess.run([*command, "--json"], env=cli_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "note: CCMusic genres skipped" in done.stderr
    report = json.loads(done.stdout)
    assert report["tagger"]["analysed"] == 0 and "genrescope model install" in report["ccmusic"]["error"]
