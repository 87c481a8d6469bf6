"""The precision verdict: the decision on both sides of each bound, the record in the models folder,
staleness; and the built-in tagger's real weights on real recordings, where its bf16 path agrees
with fp32 and a fast path given wrong weights does not."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from desktop_app.inference.precision_check import (
    MAX_PROBABILITY_DIFFERENCE,
    CheckTarget,
    PrecisionVerdict,
    SampleSize,
    compare_track,
    judge,
    load_verdict,
    reset_verdicts,
    save_verdict,
    stored_verdicts,
    verdict_path,
)

TARGET = CheckTarget("ccmusic", "a" * 64, "cpu: Test CPU", "2.5.1", "0.1.0", "bf16")
HEAD = (slice(0, 4),)
SMALL = SampleSize(windows=20, tracks=4, per_track=5)


def probabilities(tracks: int, windows: int, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Softmax-like rows with a clear top-1 (class = track % 4) per track."""
    rng = np.random.default_rng(seed)
    rows, ids = [], []
    for track in range(tracks):
        for _ in range(windows):
            row = rng.uniform(0.0, 0.1, 4)
            row[track % 4] = 0.7
            rows.append(row / row.sum())
            ids.append(track)
    return np.array(rows), ids


def test_identical_outputs_pass_once_the_sample_is_complete() -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    verdict = judge(TARGET, exact, exact + 1e-4, ids, HEAD, sample=SMALL, speed_ratio=2.5)
    assert verdict.decided and verdict.passed and verdict.state == "passed"
    assert (verdict.tracks, verdict.windows, verdict.songs_agreeing, verdict.windows_agreeing) == (4, 20, 4, 20)
    assert verdict.max_abs_difference == pytest.approx(1e-4)
    assert verdict.speed_ratio == pytest.approx(2.5)


def test_agreeing_but_not_faster_stays_exact() -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    slow = judge(TARGET, exact, exact, ids, HEAD, sample=SMALL, speed_ratio=1.0)
    assert slow.decided and not slow.passed and slow.failure == "speed"
    assert judge(TARGET, exact, exact, ids, HEAD, sample=SMALL, speed_ratio=1.2).passed


def test_too_small_a_sample_stays_undecided() -> None:
    exact, ids = probabilities(tracks=3, windows=5)
    verdict = judge(TARGET, exact, exact, ids, HEAD, sample=SMALL)
    assert not verdict.decided and verdict.state == "checking"
    assert verdict.tracks == 3


def test_each_track_counts_only_its_first_windows_and_only_once() -> None:
    exact, ids = probabilities(tracks=4, windows=9)
    verdict = judge(TARGET, exact, exact, ids, HEAD, sample=SampleSize(windows=100, tracks=10, per_track=5))
    assert verdict.windows == 4 * 5
    again = verdict.add("0", compare_track(exact[:5], exact[:5], HEAD))
    assert again == verdict


def test_one_song_whose_top1_changes_fails_at_once() -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    fast = exact.copy()
    first = [i for i, t in enumerate(ids) if t == 0]
    fast[first] = fast[first][:, [1, 0, 2, 3]]  # track 0's whole top-1 moves to class 1
    verdict = judge(TARGET, exact, fast, ids, HEAD, sample=SMALL)
    assert verdict.decided and not verdict.passed
    assert verdict.tracks == 1  # decided on the first track: it can no longer pass
    assert verdict.songs_disagreeing == 1


def test_window_agreement_below_99_percent_fails_though_every_song_agrees() -> None:
    exact, ids = probabilities(tracks=4, windows=50)  # 200 windows
    fast = exact.copy()
    for i in (0, 60, 120):  # three windows of 200 are near ties that flip their top-1: 98.5 %
        top, other = ids[i] % 4, (ids[i] + 1) % 4
        exact[i] = fast[i] = 0.1
        exact[i, top], exact[i, other] = 0.401, 0.399
        fast[i, top], fast[i, other] = 0.399, 0.401
    sample = SampleSize(windows=200, tracks=4, per_track=50)
    verdict = judge(TARGET, exact, fast, ids, HEAD, sample=sample)
    assert verdict.songs_disagreeing == 0
    assert verdict.windows_agreeing == 197
    assert verdict.decided and not verdict.passed
    two = fast.copy()
    two[120] = exact[120]  # 198 of 200: 99 %, which is enough
    assert judge(TARGET, exact, two, ids, HEAD, sample=sample).passed


def test_a_probability_moving_by_the_bound_fails_though_every_top1_agrees() -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    fast = exact.copy()
    fast[7, 3] += MAX_PROBABILITY_DIFFERENCE + 1e-9  # not the top-1 class of track 1 (class 1)
    verdict = judge(TARGET, exact, fast, ids, HEAD, sample=SMALL)
    assert verdict.windows_agreeing == verdict.windows and verdict.songs_disagreeing == 0
    assert verdict.decided and not verdict.passed
    fast[7, 3] -= 0.002
    assert judge(TARGET, exact, fast, ids, HEAD, sample=SMALL).passed


def test_several_heads_must_all_agree() -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    both = np.concatenate([exact, exact], axis=1)
    fast = both.copy()
    fast[:5, 4:] = fast[:5, 4:][:, [1, 0, 2, 3]]  # the second head of track 0 changes its mind
    heads = (slice(0, 4), slice(4, 8))
    assert not judge(TARGET, both, fast, ids, heads, sample=SMALL).passed
    assert judge(TARGET, both, fast, ids, heads[:1], sample=SMALL).passed


def test_each_head_is_held_to_99_percent_of_windows_on_its_own() -> None:
    exact, ids = probabilities(tracks=4, windows=25)  # 100 windows
    both = np.concatenate([exact, exact], axis=1)
    fast = both.copy()
    for i, head in ((0, slice(0, 4)), (30, slice(4, 8))):  # one near tie per head, different windows
        top, other = ids[i] % 4, (ids[i] + 1) % 4
        row = np.full(4, 0.1)
        row[top], row[other] = 0.401, 0.399
        both[i, head] = row
        fast[i, head] = row[[other if k == top else top if k == other else k for k in range(4)]]
    heads = (slice(0, 4), slice(4, 8))
    sample = SampleSize(windows=100, tracks=4, per_track=25)
    verdict = judge(TARGET, both, fast, ids, heads, sample=sample)
    assert verdict.head_windows_agreeing == (99, 99) and verdict.windows_agreeing == 99
    assert verdict.passed, "99 % for each tagger, though only 98 windows agree on both"


def test_the_verdict_is_stored_atomically_and_read_back(tmp_path) -> None:
    exact, ids = probabilities(tracks=4, windows=5)
    verdict = judge(TARGET, exact, exact, ids, HEAD, sample=SMALL, speed_ratio=2.0)
    path = save_verdict(tmp_path, verdict)
    assert path == verdict_path(tmp_path, "ccmusic", "cpu", "bf16")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    assert load_verdict(tmp_path, "ccmusic", "cpu", "bf16") == verdict
    stored = json.loads(path.read_text())
    assert stored["state"] == "passed" and stored["speed_ratio"] == pytest.approx(2.0)
    assert stored["max_probability_difference_bound"] == MAX_PROBABILITY_DIFFERENCE
    assert stored_verdicts(tmp_path) == [verdict]
    path.write_text("{not json")
    assert load_verdict(tmp_path, "ccmusic", "cpu", "bf16") is None  # damaged: the check runs again
    save_verdict(tmp_path, verdict)
    assert reset_verdicts(tmp_path, "tagger") == []
    assert reset_verdicts(tmp_path) == [path] and not path.exists()


def test_a_reduced_network_that_could_not_be_made_fails_with_its_reason_and_is_stored(tmp_path) -> None:
    verdict = PrecisionVerdict(TARGET, SMALL).could_not_build("int8 could not be calibrated: out of memory")
    assert (verdict.decided, verdict.passed, verdict.state, verdict.failure) == (True, False, "failed", "not-built")
    assert verdict.tracks == 0 and verdict.checked_at and not verdict.wants("any track")
    save_verdict(tmp_path, verdict)
    assert load_verdict(tmp_path, "ccmusic", "cpu", "bf16") == verdict
    earlier = json.loads(verdict_path(tmp_path, "ccmusic", "cpu", "bf16").read_text())
    assert earlier["failure"] == "not-built"
    del earlier["not_built"]  # a verdict written before the field existed still reads
    assert PrecisionVerdict.from_json(earlier).not_built == ""


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("torch_version", "2.6.0", "torch version 2.5.1 → 2.6.0"),
        ("model_sha256", "b" * 64, "model SHA-256"),
        ("device", "cpu: Another CPU", "device cpu: Test CPU → cpu: Another CPU"),
        ("app_version", "0.2.0", "Genrescope version 0.1.0 → 0.2.0"),
    ],
)
def test_a_verdict_for_another_model_device_torch_or_version_is_stale(field: str, value: str, words: str) -> None:
    verdict = PrecisionVerdict(TARGET)
    assert verdict.stale_for(TARGET) == []
    reasons = verdict.stale_for(replace(TARGET, **{field: value}))
    assert len(reasons) == 1 and words in reasons[0]


# --- the real built-in tagger on real music ----------------------------------------------------

PATCHES_PER_RECORDING = 12


@pytest.fixture(scope="module")
def real_patches():
    """The first 12 patches of each of the nine recordings of tests/real_music.py, with track ids."""
    from desktop_app.audio.prepare import prepare_for_tagger
    from tests.real_music import RECORDINGS, recording_path

    patches, ids = [], []
    for recording in RECORDINGS:
        found = prepare_for_tagger(str(recording_path(recording))).inputs[:PATCHES_PER_RECORDING]
        patches.append(found)
        ids += [recording.key] * len(found)
    return np.concatenate(patches), ids


@pytest.fixture(scope="module")
def tagger():
    from desktop_app.inference.registry import open_tagger

    return open_tagger("cpu")


@pytest.fixture(scope="module")
def exact_probs(tagger, real_patches):
    return tagger.predict(real_patches[0])


def _native_bf16() -> bool:
    import torch

    return bool(torch.cpu._is_avx512_bf16_supported())


@pytest.mark.skipif(not _native_bf16(), reason="this CPU has no native bf16")
def test_the_real_taggers_bf16_agrees_with_fp32_on_real_music(tagger, real_patches, exact_probs) -> None:
    """The shipped weights, nine real recordings, 108 patches: every song's top-1 of both taggers
    agrees, at least 99 % of patches' top-1 do, and no tag probability moves by 0.05 (deterministic
    on one CPU and torch build; another CPU may round differently, which is why it is checked where
    it runs)."""
    from desktop_app.inference.precision import check_target
    from desktop_app.inference.tagger import PROBABILITY_HEADS

    patches, ids = real_patches
    fast = tagger.with_precision("bf16")
    assert fast.precision == "bf16" and tagger.precision == "fp32"
    target = check_target("tagger", tagger.sha256, tagger.device, "bf16")
    sample = SampleSize(windows=len(patches), tracks=9, per_track=PATCHES_PER_RECORDING)
    verdict = judge(target, exact_probs, fast.predict(patches), ids, PROBABILITY_HEADS, sample=sample)
    assert verdict.decided and verdict.passed, verdict
    assert verdict.songs_agreeing == 9
    assert verdict.max_abs_difference > 0  # it did run in another precision
    assert (tagger.predict(patches[:2]) == tagger.predict(patches[:2])).all()  # the exact copy stayed fp32


def test_a_fast_path_with_wrong_weights_is_caught(tagger, real_patches, exact_probs) -> None:
    """The same real patches through a 'fast' tagger whose weights were perturbed (a stand-in for a
    reduced precision that breaks a model): the check fails and says how."""
    import torch

    from desktop_app.inference.precision import check_target
    from desktop_app.inference.tagger import PROBABILITY_HEADS, Tagger

    patches, ids = real_patches
    broken = {name: _perturbed(network, torch) for name, network in tagger.networks.items()}
    wrong = Tagger(broken, tagger.identities, device="cpu")
    target = check_target("tagger", tagger.sha256, tagger.device, "bf16")
    sample = SampleSize(windows=len(patches), tracks=9, per_track=PATCHES_PER_RECORDING)
    verdict = judge(target, exact_probs, wrong.predict(patches), ids, PROBABILITY_HEADS, sample=sample)
    assert verdict.decided and not verdict.passed
    assert verdict.max_abs_difference >= MAX_PROBABILITY_DIFFERENCE


def _perturbed(network, torch):
    import copy

    changed = copy.deepcopy(network)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in changed.output.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * parameter.std())
    return changed
