"""int8 for the CCMusic network behind the precision check: the first candidate where the CPU has
it; the chain of candidates (a failed int8 leads to checking bf16); its calibration kept beside
the verdict and needed by it; and real passes over real music with the exact architecture.

The CCMusic weights are random here (the real ones cannot be downloaded where Genrescope is
built), so the real passes prove the plumbing: calibration on the pass's first tracks, comparison
on the tracks after them, the verdict and calibration stored, the next analysis following them.
Whether int8 keeps the real model's top-1 is what the check finds out on the person's machine.
A 'fast' path with perturbed output weights stands in for an int8 network that breaks the model.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import select

from desktop_app.analysis.classify_library import classify_tracks
from desktop_app.analysis.precision_switch import (
    CALIBRATION_WINDOWS,
    CCMUSIC,
    TAGGER,
    PrecisionCheck,
    describe,
    open_classifier_run,
    plan_for,
    refreshed,
    reset,
    stored_ranges,
    window_words,
)
from desktop_app.inference import engine, int8
from desktop_app.inference.engine import PROBABILITY_HEADS, Int8Calibration
from desktop_app.inference.int8 import int8_supported, load_ranges, ranges_digest, save_ranges
from desktop_app.inference.precision import (
    PrecisionUnsupportedError,
    check_target,
    dtype_for,
    fast_candidates,
    fast_precision,
)
from desktop_app.inference.precision_check import (
    PrecisionVerdict,
    SampleSize,
    calibration_path,
    judge,
    load_verdict,
    save_verdict,
)
from desktop_app.inference.registry import CCMusicSource
from desktop_app.library.models import Analysis
from desktop_app.library.scanner import Scanner
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint  # noqa: F401 (fixture)
from tests.real_music import write_clips

CPU = torch.device("cpu")
INT8 = int8_supported()
NATIVE_BF16 = bool(torch.cpu._is_avx512_bf16_supported())
pytestmark = pytest.mark.skipif(not INT8, reason="int8 needs PyTorch's oneDNN engine and a CPU with VNNI")
SHA = "e" * 64
CLIP_SECONDS = 11.0
"""One CCMusic window (11.4 s or shorter) per clip: cheap enough for a test."""
CALIBRATION = (4, 2)
"""Four windows, at most two of a track: here the one window of each of the first four tracks
(the app takes 32, at most 8 of a track)."""
SAMPLE = SampleSize(windows=4, tracks=4, per_track=2)


RANGES = {"activation_post_process_0.min_val": torch.tensor(-1.0)}
"""Ranges as an earlier calibration would have kept them (the plan reads whom they are for and
their digest, not whether they fit a network)."""


def _decided(precision: str, passed: bool, **changes: str) -> PrecisionVerdict:
    exact = np.tile(np.eye(4) * 0.7 + 0.075, (3, 1))
    fast = exact.copy() if passed else exact[:, [1, 0, 2, 3]]
    target = replace(check_target(CCMUSIC, SHA, CPU, precision), **changes)
    sample = SampleSize(windows=12, tracks=4, per_track=3)
    verdict = judge(target, exact, fast, [i % 4 for i in range(12)], (slice(0, 4),), sample=sample, speed_ratio=3.1)
    assert verdict.decided and verdict.passed == passed
    return replace(verdict, calibration=ranges_digest(RANGES) if precision == "int8" else "")


def _keep_calibration(folder: Path, ranges=RANGES, **changes: str) -> Path:
    target = replace(check_target(CCMUSIC, SHA, CPU, "int8"), **changes)
    about = {key: str(value) for key, value in target.__dict__.items()}
    return save_ranges(calibration_path(folder, CCMUSIC, "cpu", "int8"), ranges, about)


def test_int8_is_ccmusic_first_cpu_candidate_and_not_the_tagger_s() -> None:
    assert fast_candidates(CPU, CCMUSIC) == (("int8", "bf16") if NATIVE_BF16 else ("int8",))
    assert fast_precision(CPU, CCMUSIC) == "int8"
    assert "int8" not in fast_candidates(CPU, TAGGER), "the tagger's reduced path stays its bf16 frontend"
    assert "int8" not in fast_candidates(CPU), "only named networks have a quantized copy"
    assert fast_candidates(torch.device("mps"), CCMUSIC) == ()
    with pytest.raises(PrecisionUnsupportedError, match="not a dtype"):
        dtype_for("int8", CPU)
    assert CALIBRATION_WINDOWS == engine.CALIBRATION_WINDOWS


def test_the_candidates_are_checked_in_turn(tmp_path) -> None:
    first = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert (first.state, first.precision, first.candidate) == ("checking", "fp32", "int8")
    assert "its first 32 windows calibrate it" in describe(first)

    save_verdict(tmp_path, _decided("int8", passed=False))
    after_int8 = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert [v.target.precision for v in after_int8.rejected] == ["int8"]
    if NATIVE_BF16:
        assert (after_int8.state, after_int8.precision, after_int8.candidate) == ("checking", "fp32", "bf16")
        assert "int8 disagreed on 1 of 1 songs" in describe(after_int8)
        assert after_int8.as_json()["rejected"][0]["precision"] == "int8"
        save_verdict(tmp_path, _decided("bf16", passed=True))
        bf16 = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
        assert (bf16.state, bf16.precision) == ("fast", "bf16")
        assert describe(bf16).startswith("bf16: agreed with exact on 12 windows of 4 tracks, 3.1× faster")
        save_verdict(tmp_path, _decided("bf16", passed=False))
    every = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert (every.state, every.precision) == ("disagreed", "fp32")
    assert describe(every).startswith("Stays exact:")
    forced = plan_for(CCMUSIC, SHA, CPU, "fast", tmp_path)
    assert (forced.state, forced.precision) == ("fast-chosen", "int8"), "fast asked for: the fastest, unchecked"
    assert reset(CCMUSIC, tmp_path) and not list(tmp_path.glob("precision-*"))


def test_a_passed_int8_verdict_holds_with_its_calibration_only(tmp_path) -> None:
    save_verdict(tmp_path, _decided("int8", passed=True))
    gone = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert (gone.state, gone.precision, gone.candidate) == ("checking", "fp32", "int8")
    assert gone.stale == ("int8 calibration missing",)
    assert gone.verdict is not None and gone.verdict.tracks == 0, "a fresh check, with a new calibration"

    _keep_calibration(tmp_path)
    passed = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert (passed.state, passed.precision, passed.candidate) == ("fast", "int8", "int8")
    assert describe(passed).startswith("int8: agreed with exact on 12 windows of 4 tracks, 3.1× faster")
    status = passed.as_json()  # what `genrescope model status --json` shows for CCMusic
    assert status["precision"] == "int8" and status["verdict"]["target"]["precision"] == "int8"
    assert status["verdict"]["state"] == "passed"
    assert window_words(CCMUSIC, {}, tmp_path).short == "int8"
    assert window_words(CCMUSIC, {CCMUSIC: passed}).short == "int8"

    _keep_calibration(tmp_path, torch_version="1.0.0")  # a calibration for another torch
    assert plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path).stale == ("int8 calibration missing",)
    _keep_calibration(tmp_path, {"activation_post_process_0.min_val": torch.tensor(-2.0)})  # another worker's
    assert plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path).stale == ("int8 calibration changed since the check",)
    assert calibration_path(tmp_path, CCMUSIC, "cpu", "int8") in reset(CCMUSIC, tmp_path), "forgotten with the verdict"


@pytest.mark.parametrize(
    ("field", "value"),
    [("torch_version", "1.0.0"), ("model_sha256", "d" * 64), ("device", "cpu: Another CPU"), ("app_version", "0.0.1")],
)
def test_a_stale_int8_verdict_and_calibration_are_checked_again(tmp_path, field: str, value: str) -> None:
    save_verdict(tmp_path, _decided("int8", passed=True, **{field: value}))
    _keep_calibration(tmp_path, **{field: value})
    plan = plan_for(CCMUSIC, SHA, CPU, "auto", tmp_path)
    assert (plan.state, plan.precision, plan.candidate) == ("checking", "fp32", "int8")
    assert len(plan.stale) == 1 and value in plan.stale[0]
    assert stored_ranges(tmp_path, check_target(CCMUSIC, SHA, CPU, "int8")) is None, "nor is its calibration used"


# --- real passes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return write_clips(tmp_path_factory.mktemp("clips"), CLIP_SECONDS)


@pytest.fixture
def source(random_checkpoint: RandomCheckpoint) -> CCMusicSource:  # noqa: F811
    return CCMusicSource(random_checkpoint.path, "test", random_checkpoint.sha256)


@pytest.mark.sqlite_only
def test_a_real_pass_calibrates_int8_checks_it_and_the_next_analysis_follows(library, clips, source, tmp_path):
    """The exact architecture on ten real clips: the first four tracks calibrate int8, the tracks
    after them are compared, the calibration is kept beside the verdict; the next analysis runs
    int8 rebuilt from that calibration (bit for bit the checked network) where it passed."""
    Scanner(library).scan([clips])
    run = open_classifier_run(source, "cpu", "auto", folder=tmp_path, sample=SAMPLE, calibration=CALIBRATION)
    assert (run.plan.state, run.plan.candidate, run.analyse.precision) == ("checking", "int8", "fp32")
    assert run.check is not None and run.check.calibration is not None
    summary = classify_tracks(library, run.analyse, precision_check=run.check)
    assert (summary.analysed, summary.failed, summary.precision) == (10, 0, "fp32"), "what is stored is exact"
    assert _stored_precisions(library) == ["fp32"] * 10, "and each row says so"
    verdict = run.check.verdict
    assert run.check.calibration.ready and verdict.target.precision == "int8" and verdict.decided
    assert verdict.tracks <= 6, "the four calibration tracks are not compared"
    if verdict.failure not in ("songs", "difference"):  # those end a check at once
        assert (verdict.tracks, verdict.windows) == (4, 4)
    assert load_verdict(tmp_path, CCMUSIC, "cpu", "int8") == verdict
    kept = load_ranges(calibration_path(tmp_path, CCMUSIC, "cpu", "int8"))
    assert kept is not None and kept[0]["precision"] == "int8" and kept[0]["model_sha256"] == source.sha256
    assert verdict.calibration == ranges_digest(kept[1]), "the verdict names the calibration it compared"
    assert refreshed(run.plan, run.check).verdict == verdict

    following = open_classifier_run(source, "cpu", "auto", folder=tmp_path)
    assert following.check is None
    if not verdict.passed:  # random weights, and a speed measured under the machine's load
        expected = ("checking", "bf16") if NATIVE_BF16 else ("disagreed", "fp32")
        assert (following.plan.state, following.analyse.precision) == expected
        return
    assert (following.plan.state, following.analyse.precision) == ("fast", "int8")
    from desktop_app.audio.prepare import prepare_track

    windows = prepare_track(next(clips.glob("05-*"))).inputs
    checked = run.check.calibration.classifier
    assert checked is not None
    assert np.array_equal(following.analyse.predict(windows), checked.predict(windows)), "the network checked"
    explaining = following.for_explanations()
    assert explaining.precision == "fp32" and explaining.network is not None, "explanations get the exact network"


@pytest.mark.sqlite_only
def test_an_int8_that_disagrees_leads_to_checking_bf16(library, clips, source, tmp_path):
    """int8 quantized from a network with perturbed output weights stands in for an int8 that
    breaks the model: the check fails on the first compared track, the pass stays exact and goes
    on checking bf16 on the tracks after (where the CPU has it; else analyses stay exact)."""
    Scanner(library).scan([clips])
    run = open_classifier_run(source, "cpu", "auto", folder=tmp_path, sample=SAMPLE, calibration=CALIBRATION)
    assert run.plan.verdict is not None
    wrong = copy.copy(run.analyse)
    wrong._model = _perturbed(run.analyse.network)
    calibration = Int8Calibration(wrong, windows=CALIBRATION[0], per_track=CALIBRATION[1])
    heads = PROBABILITY_HEADS
    assert run.check is not None and run.check.then is not None
    check = PrecisionCheck(
        run.plan.verdict,
        calibration.predict,
        heads,
        folder=tmp_path,
        sample=SAMPLE,
        calibration=calibration,
        then=run.check.then,  # what comes after int8, as the run has it
    )
    summary = classify_tracks(library, run.analyse, precision_check=check)
    assert summary.analysed == 10 and summary.precision == "fp32"
    failed = load_verdict(tmp_path, CCMUSIC, "cpu", "int8")
    assert failed is not None and failed.decided and not failed.passed and failed.tracks == 1

    following = open_classifier_run(source, "cpu", "auto", folder=tmp_path)
    assert [v.target.precision for v in following.plan.rejected][:1] == ["int8"]
    if not NATIVE_BF16:
        assert len(following.plan.rejected) == 1
        assert check.moved_to is None and check.verdict == failed
        assert refreshed(run.plan, check).state == "disagreed"
        assert (following.plan.state, following.analyse.precision) == ("disagreed", "fp32")
        return
    moved = refreshed(run.plan, check)
    assert check.moved_to is not None and (moved.candidate, moved.precision) == ("bf16", "fp32")
    assert [v.target.precision for v in moved.rejected] == ["int8"]
    assert "int8 disagreed on 1 of 1 songs" in describe(moved)
    bf16 = check.verdict
    assert bf16.target.precision == "bf16" and bf16.tracks >= 1, "the tracks after int8's failure checked bf16"
    assert load_verdict(tmp_path, CCMUSIC, "cpu", "bf16") == bf16
    if not bf16.decided:
        expected = ("checking", "fp32")
    else:  # random weights, and a speed measured under the machine's load
        expected = ("fast", "bf16") if bf16.passed else ("disagreed", "fp32")
    assert (following.plan.state, following.analyse.precision) == expected
    assert following.plan.candidate == "bf16"
    assert [v.target.precision for v in following.plan.rejected] == _rejected_after(bf16)


def _rejected_after(bf16: PrecisionVerdict) -> list[str]:
    """The candidates a plan rejects once int8 failed and bf16 was checked: bf16 too if it failed
    (random weights, and a speed measured under the machine's load: either can happen here)."""
    return ["int8", "bf16"] if bf16.decided and not bf16.passed else ["int8"]


@pytest.mark.sqlite_only
def test_an_int8_that_cannot_be_calibrated_fails_its_check_and_bf16_is_checked_next(
    library, clips, source, tmp_path, monkeypatch, caplog
):
    """Quantizing raises (here as on a CPU without VNNI: the real code path refuses): the check
    cannot compare anything, so int8 is recorded as failed with the reason, the traceback goes to
    the log, and the same pass goes on checking bf16 instead of collecting windows for ever."""
    Scanner(library).scan([clips])
    run = open_classifier_run(source, "cpu", "auto", folder=tmp_path, sample=SAMPLE, calibration=CALIBRATION)
    assert run.check is not None and run.plan.candidate == "int8"
    monkeypatch.setattr(int8, "int8_supported", lambda: False)
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        summary = classify_tracks(library, run.analyse, precision_check=run.check)
    monkeypatch.undo()
    assert (summary.analysed, summary.failed, summary.precision) == (10, 0, "fp32")
    failed = load_verdict(tmp_path, CCMUSIC, "cpu", "int8")
    assert failed is not None and (failed.decided, failed.passed, failed.failure) == (True, False, "not-built")
    assert failed.tracks == 0 and failed.not_built.startswith("int8 could not be calibrated: ")
    assert "VNNI" in failed.not_built, "the reason quantizing gave"
    assert failed.as_json()["failure"] == "not-built"
    assert any(record.exc_info for record in caplog.records), "the traceback is in the log"

    following = open_classifier_run(source, "cpu", "auto", folder=tmp_path)
    rejected = [v.target.precision for v in following.plan.rejected]
    assert rejected[:1] == ["int8"], "the failure stands"
    assert "int8 could not be used (int8 could not be calibrated: " in describe(following.plan)
    if not NATIVE_BF16:
        assert rejected == ["int8"]
        assert (following.plan.state, following.analyse.precision) == ("disagreed", "fp32")
        return
    assert run.check.moved_to is not None and run.check.verdict.target.precision == "bf16"
    assert run.check.verdict.tracks >= 1, "the tracks after int8's failure checked bf16"
    assert following.plan.candidate == "bf16" and rejected == _rejected_after(run.check.verdict)


@pytest.mark.sqlite_only
def test_fast_with_a_calibration_that_fails_stays_exact_and_says_so(library, clips, source, tmp_path, monkeypatch):
    """``--precision fast`` whose calibration cannot be quantized: the run goes on in fp32 and
    reports fp32, not the int8 it could not build."""
    Scanner(library).scan([clips])
    run = open_classifier_run(source, "cpu", "fast", folder=tmp_path, calibration=CALIBRATION)
    assert run.analyse.calibrating and run.analyse.precision == "int8"
    monkeypatch.setattr(int8, "int8_supported", lambda: False)
    summary = classify_tracks(library, run.analyse)
    assert summary.analysed == 10 and not run.analyse.calibrating
    assert run.analyse.precision == "fp32" and summary.precision == "fp32"


@pytest.mark.sqlite_only
def test_fast_without_a_calibration_calibrates_on_the_run_s_first_windows(library, clips, source, tmp_path):
    """``--precision fast`` before any check: the first tracks run exact while they calibrate int8,
    the rest int8; the calibration is kept, and the next fast run rebuilds it instead."""
    Scanner(library).scan([clips])
    run = open_classifier_run(source, "cpu", "fast", folder=tmp_path, calibration=CALIBRATION)
    assert (run.plan.state, run.plan.precision, run.analyse.precision) == ("fast-chosen", "int8", "int8")
    assert "Not checked against exact" in describe(run.plan) and run.analyse.calibrating
    summary = classify_tracks(library, run.analyse)
    assert not run.analyse.calibrating
    assert summary.analysed == 10 and summary.precision == "int8"
    # Each row says what its windows ran in: the tracks of the batches that calibrated int8 exact
    # (at least the four windows' tracks; a batch holds at most three tracks here and gives at most
    # two windows, so at most seven), every track after them int8.
    ran = _stored_precisions(library)
    assert ran == ["fp32"] * ran.count("fp32") + ["int8"] * ran.count("int8")
    assert 4 <= ran.count("fp32") <= 7 and ran.count("int8") >= 3
    target = check_target(CCMUSIC, source.sha256 or "", CPU, "int8")
    assert stored_ranges(tmp_path, target) is not None
    again = open_classifier_run(source, "cpu", "fast", folder=tmp_path)
    assert again.analyse.int8_ranges is not None, "rebuilt from the kept calibration, no exact windows first"


def _stored_precisions(library) -> list[str | None]:
    """What each stored analysis ran in, in track order."""
    with library.engine.connect() as conn:
        return list(conn.execute(select(Analysis.precision).order_by(Analysis.track_id)).scalars())


def _perturbed(network: torch.nn.Module) -> torch.nn.Module:
    changed = copy.deepcopy(network)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in changed.classifier.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * parameter.std() * 3)
    return changed
