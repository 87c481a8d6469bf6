"""`genrescope explain`: the image is written at the network's geometry, JSON scores and peaks, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.audio.prepare import prepare_track
from desktop_app.cli import main
from desktop_app.genres.ccmusic import GENRE_KEYS, GENRES
from desktop_app.inference.explain import explain, gather_evidence, overlay_image, window_geometries
from tests.audio_files import write_audio
from tests.explain_support import random_checkpoint, random_classifier  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    return write_audio(tmp_path_factory.mktemp("song") / "song.flac", seconds=25.0, freq=220.0)


def test_explain_writes_the_image_and_reports_scores_and_peaks(capsys, song, random_checkpoint, random_classifier,
                                                                tmp_path):
    out = tmp_path / "heatmap.png"
    code = main(["explain", str(song), "--genre", "opera", "--out", str(out), "--opacity", "0.5",
                 "--weights", str(random_checkpoint.path), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["image"] == {"path": str(out), "width": 992, "height": 369}
    assert (report["genre"], report["genre_source"]) == ("Opera", "requested")
    assert report["model_sha256"] == random_checkpoint.sha256 and report["model_origin"] == "file"

    # The same computation through the library, window by window.
    track = prepare_track(song)
    geometries = window_geometries(*track.cqt_db.shape, track.sample_count)
    explanations = explain(random_classifier, gather_evidence(random_classifier, [0, 1], track.inputs, geometries),
                           GENRES[1])
    with Image.open(out) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (2 * 496, 369))
        expected = np.concatenate([
            overlay_image(track.cqt_db[:, e.geometry.first_frame : e.geometry.first_frame + e.geometry.frames], e, 0.5)
            for e in explanations
        ], axis=1)
        assert np.abs(np.asarray(image).astype(int) - expected).max() <= 1
    assert [w["window"] for w in report["windows"]] == [1, 2]
    for window, e, (start, end) in zip(report["windows"], explanations, track.window_bounds):
        scores = window["scores"]
        assert list(scores) == list(GENRE_KEYS)
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-4)
        np.testing.assert_allclose(list(scores.values()), e.evidence.probabilities, atol=1e-5)
        assert window["genre_score"] == scores["Opera"] and window["top1"] == max(scores, key=scores.get)
        assert (window["start"], window["end"]) == (round(start, 3), round(end, 3))
        assert [(p["note"], p["hz"]) for p in window["peaks"]] == [(p.note, round(p.hz, 2)) for p in e.peaks()]
        assert bool(window["peaks"]) == bool(e.cam.any())
        for peak in window["peaks"]:
            assert start - 0.05 <= peak["time"] <= end and 0.5 <= peak["heat"] <= 1.0
            assert peak["note"][0] in "CDEFGAB" and 30.0 < peak["hz"] < 4200.0


def test_one_window_and_the_predicted_genre(capsys, song, random_checkpoint, tmp_path):
    out = tmp_path / "one.png"
    code = main(["explain", str(song), "--window", "2", "--out", str(out), "--weights", str(random_checkpoint.path)])
    text = capsys.readouterr().out
    assert code == 0
    with Image.open(out) as image:
        assert image.size == (496, 369)
    assert "(predicted), 1 window(s)" in text and "window 2 (" in text
    assert f"wrote {out} (496 x 369 px)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--genre", "opra"], "Did you mean: 'Opera'"),
        (["--window", "3"], "--window must be between 1 and 2"),
        ([], "nothing to produce"),
    ],
)
def test_bad_requests_exit_2_with_a_reason(capsys, song, random_checkpoint, args, message):
    extra = ["--json"] if args else []
    code = main(["explain", str(song), *args, *extra, "--weights", str(random_checkpoint.path)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_without_a_model_it_says_how_to_get_one(tmp_path, cli_env, song):
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "explain", str(song), "--out", str(tmp_path / "h.png")],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "genrescope model install" in done.stderr and "nothing was computed" in done.stderr
    assert not (tmp_path / "h.png").exists()
