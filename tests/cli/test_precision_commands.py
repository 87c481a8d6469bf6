"""The precision on the command line: ``model status`` shows each model's verdict (JSON and words),
``model precision --reset`` forgets it, ``--precision``/``GENRESCOPE_PRECISION`` override it for
``classify`` and ``analyze``, with the built-in tagger's real weights on real music."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from desktop_app.analysis.precision_switch import TAGGER
from desktop_app.cli import main
from desktop_app.config import models_dir
from desktop_app.inference.identity import combined_sha256
from desktop_app.inference.precision import check_target
from desktop_app.inference.precision_check import SampleSize, judge, save_verdict
from desktop_app.inference.registry import builtin_sha256
from tests.real_music import RECORDINGS, recording_path

pytestmark = pytest.mark.skipif(not torch.cpu._is_avx512_bf16_supported(), reason="this CPU has no native bf16")


def _passed_tagger_verdict() -> None:
    """A verdict that passed for the shipped tagger on this CPU, torch and Genrescope, as a check
    would have stored it (its figures made up: only the plumbing is under test here)."""
    shas = builtin_sha256()
    target = check_target(
        TAGGER, combined_sha256({n: shas[n] for n in ("musicnn-msd", "musicnn-mtt")}), torch.device("cpu"), "bf16"
    )
    exact = np.tile(np.eye(4) * 0.7 + 0.075, (53, 1))
    ids = [i // 20 for i in range(len(exact))]
    verdict = judge(
        target, exact, exact, ids, (slice(0, 4),), sample=SampleSize(windows=200, tracks=10), speed_ratio=1.8
    )
    assert verdict.passed
    save_verdict(models_dir(), verdict)


def _json(capsys, *args: str) -> tuple[int, dict]:
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_model_status_shows_the_verdict_and_reset_forgets_it(capsys) -> None:
    code, report = _json(capsys, "model", "status", "--device", "cpu")
    assert code == 0
    by_name = {m["name"]: m for m in report["models"]}
    assert by_name["musicnn-msd"]["precision"]["state"] == "checking"
    assert by_name["ccmusic"]["precision"] is None  # not installed

    _passed_tagger_verdict()
    code, report = _json(capsys, "model", "status", "--device", "cpu")
    precision = {m["name"]: m for m in report["models"]}["broad-genre"]["precision"]
    assert (precision["state"], precision["precision"], precision["candidate"]) == ("fast", "bf16", "bf16")
    assert precision["verdict"]["windows"] == 200 and precision["verdict"]["tracks"] == 10
    assert precision["verdict"]["speed_ratio"] == pytest.approx(1.8)
    assert precision["verdict"]["checked_at"][:4].isdigit()
    assert main(["model", "status", "--device", "cpu"]) == 0
    words = capsys.readouterr().out
    assert "Precision, built-in tagger: bf16: agreed with exact on 200 windows of 10 tracks, 1.8× faster" in words

    assert main(["model", "precision", "--reset"]) == 0
    assert "Forgot 1 precision verdict: the next analyses check again." in capsys.readouterr().out
    code, report = _json(capsys, "model", "precision", "--device", "cpu")
    assert report["models"][TAGGER]["state"] == "checking"


@pytest.fixture
def small_library(tmp_path) -> Path:
    """Two 6.5 s clips of real music, scanned into this test's library."""
    folder = tmp_path / "music"
    folder.mkdir()
    for recording in RECORDINGS[:2]:
        samples, rate = sf.read(recording_path(recording), dtype="float32", always_2d=True)
        start = len(samples) // 2
        sf.write(folder / f"{recording.key}.flac", samples[start : start + int(6.5 * rate)], rate)
    assert main(["scan", str(folder)]) == 0
    return folder


def test_classify_follows_the_override_and_says_when_fast_is_unchecked(capsys, small_library, monkeypatch) -> None:
    _passed_tagger_verdict()
    capsys.readouterr()  # the scan's report
    code, report = _json(capsys, "classify", "--model", "musicnn-msd", "--precision", "exact", "--limit", "1")
    assert code == 0
    assert report["precision"] == "fp32" and report["precision_check"]["state"] == "exact-chosen"
    code, report = _json(capsys, "classify", "--model", "musicnn-msd", "--limit", "1")
    assert report["precision"] == "bf16" and report["precision_check"]["state"] == "fast", "auto follows the verdict"

    main(["model", "precision", "--reset"])
    capsys.readouterr()
    monkeypatch.setenv("GENRESCOPE_PRECISION", "fast")
    assert main(["analyze", str(next(small_library.iterdir())), "--model", "musicnn-msd", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["tagger_precision"]["state"] == "fast-chosen"
    assert "the built-in tagger runs bf16 as asked (--precision fast), not checked against exact" in captured.err
