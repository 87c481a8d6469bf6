"""The window's precision: Settings → Precision stored and read back (also by the command line), the
analysis queue honouring it with the real built-in tagger on real music, and the model info in the
status bar saying the verdict in words. Offscreen, no mouse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from desktop_app.analysis.precision_switch import TAGGER, window_words
from desktop_app.config import models_dir
from desktop_app.config.window_settings import precision_setting
from desktop_app.gui.analysis_queue import AnalysisOutcome, AnalysisQueue
from desktop_app.gui.library_events import LibraryEvents
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.gui.workers import JobRunner
from desktop_app.inference.identity import combined_sha256
from desktop_app.inference.precision import check_target
from desktop_app.inference.precision_check import SampleSize, judge, save_verdict
from desktop_app.inference.registry import builtin_sha256
from desktop_app.library.scanner import Scanner
from tests.real_music import RECORDINGS, recording_path

needs_bf16 = pytest.mark.skipif(not torch.cpu._is_avx512_bf16_supported(), reason="this CPU has no native bf16")


def _passed_tagger_verdict() -> None:
    """A passed verdict for the shipped tagger here (figures made up: the plumbing is under test)."""
    shas = builtin_sha256()
    sha = combined_sha256({n: shas[n] for n in ("musicnn-msd", "musicnn-mtt")})
    target = check_target(TAGGER, sha, torch.device("cpu"), "bf16")
    exact = np.tile(np.eye(4) * 0.7 + 0.075, (50, 1))
    ids = [i // 20 for i in range(len(exact))]
    verdict = judge(target, exact, exact, ids, (slice(0, 4),), sample=SampleSize(), speed_ratio=2.3)
    assert verdict.passed
    save_verdict(models_dir(), verdict)


def test_the_precision_setting_round_trips_and_the_command_line_reads_it(qtbot) -> None:
    settings = AppSettings()
    assert settings.precision == "auto" and precision_setting() is None
    dialog = SettingsDialog(settings, JobRunner())
    qtbot.addWidget(dialog)
    labels = [dialog.precision.itemText(i) for i in range(dialog.precision.count())]
    assert labels == ["Automatic (checked on your music)", "Always exact", "Always fast"]
    dialog.precision.setCurrentIndex(1)
    dialog.apply()
    assert AppSettings().precision == "exact"
    assert precision_setting() == "exact"
    again = SettingsDialog(AppSettings(), JobRunner())
    qtbot.addWidget(again)
    assert again.precision.currentData() == "exact"


@pytest.fixture
def clips(tmp_path) -> Path:
    folder = tmp_path / "music"
    folder.mkdir()
    for recording in RECORDINGS[:2]:
        samples, rate = sf.read(recording_path(recording), dtype="float32", always_2d=True)
        start = len(samples) // 2
        sf.write(folder / f"{recording.key}.flac", samples[start : start + int(6.5 * rate)], rate)
    return folder


@needs_bf16
def test_the_analysis_queue_honours_the_setting(qtbot, library, clips) -> None:
    _passed_tagger_verdict()
    Scanner(library).scan([clips])
    with library.engine.connect() as conn:
        from desktop_app.library import analyses as store

        ids = [track_id for track_id, _ in store.tracks_to_analyse(conn, None)]
    queue = AnalysisQueue(library, LibraryEvents())
    plans: list[object] = []
    outcomes: list[AnalysisOutcome] = []
    queue.precisionChanged.connect(plans.append)
    queue.finished.connect(outcomes.append)

    queue.set_model(None, "cpu", "auto")
    queue.enqueue(ids[:1])
    qtbot.waitUntil(lambda: bool(outcomes), timeout=300_000)
    assert outcomes[0].tagged == 1
    assert {(p.model, p.state, p.precision) for p in plans} == {(TAGGER, "fast", "bf16")}
    assert queue.tagger().precision == "fp32", "explanations read the exact tagger"

    plans.clear()
    outcomes.clear()
    queue.set_model(None, "cpu", "exact")
    queue.enqueue(ids[1:])
    qtbot.waitUntil(lambda: bool(outcomes), timeout=300_000)
    assert outcomes[0].tagged == 1
    assert {(p.model, p.state, p.precision) for p in plans} == {(TAGGER, "exact-chosen", "fp32")}
    queue.shutdown()


def test_the_model_info_says_the_verdict_in_words(qtbot, library) -> None:
    assert window_words("broad-genre", {}).sentence == "Precision: exact until a faster one is checked on your music."
    _passed_tagger_verdict()
    words = window_words("broad-genre", {})
    assert words.short == "bf16"
    assert words.sentence.startswith("Precision: bf16: agreed with exact on 200 windows of 10 tracks, 2.3× faster")
    assert "in use since 20" in words.sentence
    assert window_words("ccmusic", {}).short == "", "CCMusic has its own check"

    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()
    assert window.model_label.text().endswith(" · bf16")
    assert "agreed with exact on 200 windows of 10 tracks, 2.3× faster — in use since" in window.model_label.toolTip()
    window.close()
