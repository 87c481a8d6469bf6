"""Choosing exact or reduced precision for an analysis, and checking the reduced one on the way.

Reduced precision (int8 for CCMusic on a CPU with VNNI, bf16 on a CPU with native bf16, fp16 on
CUDA) is several times cheaper but not exact, and whether it keeps a model's answers can only be
known with the real weights on real music on the machine at hand (`inference.precision_check`).
So, per model (``ccmusic``, the built-in ``tagger``) and device, with the default choice ``auto``:

* no valid verdict yet: the analysis runs exact fp32 (what it stores), and also runs the reduced
  precision on a sample of the same windows (`PrecisionCheck`); the verdict grows track by track
  in the models folder until it is decided;
* a verdict that passed: later analyses run the reduced precision;
* one that failed: the next candidate is checked the same way, if the device has one
  (`precision.fast_candidates`: int8, then bf16 for CCMusic on a CPU with both); when every
  candidate failed, or the device has none, analyses stay exact.

Each candidate has its own verdict, so the record says which precision passed or failed. They are
checked one after the other, not side by side: int8 first (the fastest, where it exists), bf16
only once int8 has failed. Checking both in one pass would hold a third copy of the network
(bf16's 244 MB beside fp32's 488 MB and int8's ~120 MB) and run two reduced passes per sampled
window, on a machine where the check is already an extra cost, for a bf16 verdict that is only
needed where int8 fails. When int8 fails, the same pass goes on checking the next candidate on
the tracks after (`PrecisionCheck.then`, loading its copy then), so a CLI pass over a whole
library does not leave bf16 unchecked until new tracks arrive.

int8 needs calibration windows before it can run: while it is being checked, the first windows
the exact pass stores (`CALIBRATION_WINDOWS`, at most `CALIBRATION_PER_TRACK` of each of the first
tracks) calibrate it, and only the tracks after them are compared (a network is closest to exact
on the windows it was calibrated on). What calibration learnt is saved beside the verdict
(`precision_check.calibration_path`, ~0.3 MB, staleness as the verdict's), so later analyses
rebuild the same int8 network in seconds instead of calibrating again; a verdict whose
calibration is gone is stale (it held for that calibration only). ``fast`` with int8 and no
calibration yet calibrates on the run's first windows (those run exact), then runs int8 unchecked.

A verdict whose model, device, torch or Genrescope version differs is stale, and the check runs
again. ``exact`` always runs fp32; ``fast`` runs the reduced precision without any check (the
person asked for it, and is told it is unchecked). The choice comes from ``--precision``, else
``GENRESCOPE_PRECISION``, else the window's setting, else ``auto``. `reset` forgets the verdicts.

`describe` words a plan for the CLI and the window (no Qt here).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from desktop_app.inference.precision_check import (
    MAX_PROBABILITY_DIFFERENCE,
    MIN_SPEEDUP,
    WINDOW_AGREEMENT,
    CheckTarget,
    PrecisionVerdict,
    SampleSize,
    calibration_path,
    compare_track,
    load_verdict,
    models_dir,
    reset_verdicts,
    save_verdict,
    track_key,
)

if TYPE_CHECKING:
    import torch

    from desktop_app.inference.engine import GenreClassifier, Int8Calibration
    from desktop_app.inference.int8 import Int8Ranges
    from desktop_app.inference.registry import CCMusicSource
    from desktop_app.inference.tagger import Tagger

PrecisionChoice = Literal["auto", "exact", "fast"]
CHOICES: tuple[PrecisionChoice, ...] = get_args(PrecisionChoice)
PRECISION_ENV = "GENRESCOPE_PRECISION"
CCMUSIC = "ccmusic"
TAGGER = "tagger"
"""The built-in tagger's two networks, checked as one: they run as one `Tagger.predict`."""
CHECKED_MODELS = (CCMUSIC, TAGGER)
CALIBRATION_WINDOWS = 32
"""As `inference.engine.CALIBRATION_WINDOWS` (repeated here: words need no torch)."""
INT8 = "int8"
"""The calibrated candidate (`inference.int8`): its check and its runs need calibration first."""

PlanState = Literal["checking", "fast", "disagreed", "unsupported", "exact-chosen", "fast-chosen"]
"""What an analysis of the model runs in, and why: ``checking`` (exact, with the reduced precision
beside it on a sample), ``fast`` (the check passed), ``disagreed`` (it failed: exact),
``unsupported`` (the device has no reduced precision: exact), ``exact-chosen`` and
``fast-chosen`` (the person's override)."""


def resolve_choice(value: str | None = None, setting: str | None = None) -> PrecisionChoice:
    """``value`` (``--precision``), else ``GENRESCOPE_PRECISION``, else ``setting``, else ``auto``."""
    choice = (value or os.environ.get(PRECISION_ENV) or setting or "auto").strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"unknown precision choice {choice!r}; choose one of {', '.join(CHOICES)}")
    return choice


@dataclass(frozen=True)
class PrecisionPlan:
    """Which precision a model's analyses run in on one device, and the verdict behind it."""

    model: str
    choice: PrecisionChoice
    state: PlanState
    precision: str
    """What the analysis runs (and stores): ``fp32``, or the reduced one."""
    candidate: str | None
    """The device's reduced precision (None: it has none)."""
    device: str
    verdict: PrecisionVerdict | None = None
    """The valid verdict (decided, or still growing while ``checking``); None if there is none."""
    stale: tuple[str, ...] = ()
    """Why a stored verdict no longer held (it is checked again)."""
    rejected: tuple[PrecisionVerdict, ...] = ()
    """Faster candidates whose valid verdict failed, fastest first (``candidate`` comes after them)."""

    @property
    def checking(self) -> bool:
        return self.state == "checking"

    def as_json(self) -> dict[str, Any]:
        verdict = self.verdict
        return {
            "model": self.model,
            "state": self.state,
            "choice": self.choice,
            "precision": self.precision,
            "candidate": self.candidate,
            "device": self.device,
            "stale_because": list(self.stale),
            "rejected": [
                {"precision": v.target.precision, "failure": v.failure, "checked_at": v.checked_at}
                for v in self.rejected
            ],
            "message": describe(self),
            "verdict": None
            if verdict is None
            else {
                key: value
                for key, value in verdict.as_json().items()
                if key not in ("sampled", "format", "target", "sample")
            }
            | {"target": verdict.target.__dict__.copy(), "sample": verdict.sample.__dict__.copy()},
        }


def plan_for(
    model: str,
    model_sha256: str | None,
    device: torch.device,
    choice: PrecisionChoice = "auto",
    folder: Path | None = None,
) -> PrecisionPlan:
    """The plan for ``model`` (its weights' SHA-256; None: not known until loaded) on ``device``:
    the first of its candidates (fastest first) whose valid verdict has not failed."""
    from desktop_app.inference.precision import EXACT, check_target, device_description, fast_candidates

    folder = models_dir() if folder is None else folder
    candidates = fast_candidates(device, model)
    described = device_description(device)
    stale: list[str] = []
    rejected: list[PrecisionVerdict] = []
    current: tuple[str, PrecisionVerdict | None] | None = None
    for name in candidates:
        stored = load_verdict(folder, model, device.type, name)
        valid = None
        if stored is not None:
            target = check_target(model, model_sha256 or stored.target.model_sha256, device, name)
            why = stored.stale_for(target) or _calibration_gone(folder, stored, target)
            stale.extend(why)
            valid = None if why else stored
        if valid is not None and valid.decided and not valid.passed:
            rejected.append(valid)
            continue
        current = (name, valid)
        break

    def plan(
        state: PlanState, precision: str, candidate: str | None, verdict: PrecisionVerdict | None
    ) -> PrecisionPlan:
        return PrecisionPlan(
            model, choice, state, precision, candidate, described, verdict, tuple(stale), tuple(rejected)
        )

    if not candidates:
        return plan("unsupported", EXACT, None, None)
    if current is None:  # every candidate failed its check
        if choice == "fast":
            return plan("fast-chosen", candidates[0], candidates[0], rejected[0])
        return plan("exact-chosen" if choice == "exact" else "disagreed", EXACT, candidates[-1], rejected[-1])
    candidate, valid = current
    if choice == "exact":
        return plan("exact-chosen", EXACT, candidate, valid)
    if choice == "fast":
        return plan("fast-chosen", candidate, candidate, valid)
    if valid is not None and valid.decided:
        return plan("fast", candidate, candidate, valid)
    if model_sha256 is None:  # cannot start a check for weights not yet identified
        return plan("checking", EXACT, candidate, valid)
    fresh = PrecisionVerdict(check_target(model, model_sha256, device, candidate))
    return plan("checking", EXACT, candidate, valid or fresh)


def _calibration_gone(folder: Path, verdict: PrecisionVerdict, target: CheckTarget) -> list[str]:
    """A calibrated precision's verdict (passed, or still growing) holds for the calibration it
    compared: without it (or with one for another target, or another calibration: two workers
    that calibrated at once) the figures are about a network that cannot be rebuilt. A failed one
    stands: int8 is not re-calibrated until it happens to pass."""
    if target.precision != INT8 or verdict.tracks == 0 or (verdict.decided and not verdict.passed):
        return []
    from desktop_app.inference.int8 import ranges_digest

    ranges = stored_ranges(folder, target)
    if ranges is None:
        return [f"{INT8} calibration missing"]
    if ranges_digest(ranges) != verdict.calibration:
        return [f"{INT8} calibration changed since the check"]
    return []


def stored_ranges(folder: Path, target: CheckTarget) -> Int8Ranges | None:
    """The int8 calibration kept for ``target`` (None: none, unreadable, or for another target)."""
    from desktop_app.inference.int8 import load_ranges

    found = load_ranges(calibration_path(folder, target.model, target.device_type, target.precision))
    if found is None:
        return None
    about, ranges = found
    return ranges if about == _about(target) else None


def _about(target: CheckTarget) -> dict[str, str]:
    return {key: str(value) for key, value in asdict(target).items()}


def _keep_ranges(folder: Path, target: CheckTarget) -> Callable[[GenreClassifier], None]:
    """Saves a freshly calibrated int8 classifier's ranges for ``target``."""
    from desktop_app.inference.int8 import save_ranges

    def keep(classifier: GenreClassifier) -> None:
        ranges = classifier.int8_ranges
        if ranges is not None:
            path = calibration_path(folder, target.model, target.device_type, target.precision)
            save_ranges(path, ranges, _about(target))

    return keep


class PrecisionCheck:
    """Feeds a verdict from an exact pass: `timed` wraps the exact predict to time it, `observe`
    runs the reduced precision on each finished track's first windows and compares. The verdict
    is saved after every track, so a pass that stops keeps what it checked.

    ``calibration`` (int8): until it is ready, each finished track's windows go to it instead of
    being compared; ``fast_predict`` is only called after. ``then``: when this candidate fails,
    the plan and reduced predict of the next candidate to check (None: there is none), so the
    same pass goes on checking it (`moved_to`); a CLI pass over a whole library then checks bf16
    on the tracks after int8's failure instead of waiting for new tracks."""

    def __init__(
        self,
        verdict: PrecisionVerdict,
        fast_predict: Callable[[np.ndarray], np.ndarray],
        heads: Sequence[slice],
        *,
        folder: Path | None = None,
        sample: SampleSize | None = None,
        calibration: Int8Calibration | None = None,
        then: Callable[[], tuple[PrecisionPlan, Callable[[np.ndarray], np.ndarray]] | None] | None = None,
    ) -> None:
        if sample is not None and not verdict.tracks:
            verdict = replace(verdict, sample=sample)
        self._sample = sample
        self.verdict = verdict
        self.then = then
        self.moved_to: PrecisionPlan | None = None
        """The plan of the next candidate this check went on to, once the first one failed."""
        self._fast = fast_predict
        self._heads = tuple(heads)
        self._folder = models_dir() if folder is None else folder
        self._warm = False
        self.calibration = calibration
        self.decided_now = False
        """Whether this check decided the verdict (the next analyses follow it)."""

    def timed(self, predict: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        """``predict``, timing its windows into the verdict while it is undecided."""

        def run(inputs: np.ndarray) -> np.ndarray:
            started = time.perf_counter()
            out = predict(inputs)
            self.verdict = self.verdict.timed_exact(time.perf_counter() - started, len(inputs))
            return out

        return run

    def observe(self, path: str, inputs: np.ndarray, exact: np.ndarray, *, silent: bool = False) -> None:
        """Compare one track's first windows in both precisions (a silent track is skipped: its
        top-1 means nothing and may tie)."""
        key = track_key(path)
        if silent or not self.verdict.wants(key) or len(inputs) == 0:
            return
        calibration = self.calibration
        if calibration is not None and not calibration.ready:
            if calibration.error is None:  # this track calibrates int8: it is not compared
                calibration.add(np.asarray(inputs))
                if calibration.classifier is not None:
                    self.verdict = _compares(self.verdict, calibration.classifier)
            if calibration.error is not None:  # nothing to compare, ever: int8 fails here
                self._record(self.verdict.could_not_build(f"int8 could not be calibrated: {calibration.error}"))
            return
        count = min(len(inputs), self.verdict.sample.per_track)
        if not self._warm:  # the reduced path's first call sets up its kernels: not its speed
            self._fast(np.asarray(inputs[:count]))
            self._warm = True
        started = time.perf_counter()
        fast = self._fast(np.asarray(inputs[:count]))
        seconds = time.perf_counter() - started
        self._record(self.verdict.add(key, compare_track(exact[:count], fast, self._heads), fast_seconds=seconds))

    def _record(self, verdict: PrecisionVerdict) -> None:
        """Keep ``verdict`` (saved at once); when it failed, go on to the next candidate."""
        self.verdict = verdict
        self.decided_now = verdict.decided
        save_verdict(self._folder, verdict)
        if verdict.decided and not verdict.passed and self.then is not None:
            self._move_on(self.then)

    def _move_on(self, then: Callable[[], tuple[PrecisionPlan, Callable[[np.ndarray], np.ndarray]] | None]) -> None:
        self.then = None
        following = then()
        if following is None:
            return
        plan, fast = following
        verdict = plan.verdict
        if verdict is None:
            return
        if self._sample is not None and not verdict.tracks:
            verdict = replace(verdict, sample=self._sample)
        self.moved_to, self.verdict, self._fast = plan, verdict, fast
        self.calibration, self._warm, self.decided_now = None, False, False


@dataclass
class TaggerRun:
    """The built-in tagger as one analysis runs it: ``exact`` (for explanations, and for the pass
    while checking), the tagger the pass uses, its plan, and the check when one runs."""

    exact: Tagger
    analyse: Tagger
    plan: PrecisionPlan
    check: PrecisionCheck | None = None


@dataclass
class ClassifierRun:
    """The CCMusic network as one analysis runs it (see `TaggerRun`); only one copy unless checking."""

    analyse: GenreClassifier
    plan: PrecisionPlan
    check: PrecisionCheck | None = None
    extra: list[GenreClassifier] = field(default_factory=list)
    """The reduced-precision copy while checking (kept alive here)."""
    reopen: Callable[[], GenreClassifier] | None = None
    """Loads the exact network again, for explanations of an int8 run (`for_explanations`)."""
    exact: GenreClassifier | None = None
    """The exact network `for_explanations` loaded, once it did."""
    _exact_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def for_explanations(self) -> GenreClassifier:
        """The float network explanations read: ``analyse``, unless that is int8 (which has none):
        then the exact network, loaded on first use (488 MB; imports torch: off the GUI thread)."""
        if self.analyse.precision != INT8 or self.reopen is None:
            return self.analyse
        with self._exact_lock:  # explanations may ask from more than one thread: one copy
            if self.exact is None:
                self.exact = self.reopen()
            return self.exact


def open_tagger_run(
    device: str | None,
    choice: PrecisionChoice = "auto",
    *,
    folder: Path | None = None,
    sample: SampleSize | None = None,
) -> TaggerRun:
    """Load the built-in tagger for an analysis under ``choice`` (imports torch)."""
    from desktop_app.inference.registry import open_tagger
    from desktop_app.inference.tagger import PROBABILITY_HEADS

    exact = open_tagger(device)
    plan = plan_for(TAGGER, exact.sha256, exact.device, choice, folder)
    if plan.precision != exact.precision:
        return TaggerRun(exact, exact.with_precision(plan.precision), plan)
    if plan.checking and plan.verdict is not None and plan.candidate is not None:
        fast = exact.with_precision(plan.candidate)
        check = PrecisionCheck(plan.verdict, fast.predict, PROBABILITY_HEADS, folder=folder, sample=sample)
        return TaggerRun(exact, exact, plan, check)
    return TaggerRun(exact, exact, plan)


def open_classifier_run(
    source: CCMusicSource,
    device: str | None,
    choice: PrecisionChoice = "auto",
    *,
    folder: Path | None = None,
    sample: SampleSize | None = None,
    calibration: tuple[int, int] | None = None,
) -> ClassifierRun:
    """Load the CCMusic network for an analysis under ``choice`` (imports torch; 488 MB, twice
    while checking bf16; an int8 copy of ~120 MB beside it while checking int8, with a passing
    copy of the 488 MB while it quantizes). Weights not hashed yet (a file in place) load exact
    first to learn their SHA-256. An int8 run keeps only the int8 copy: explanations load the
    exact network again (`ClassifierRun.for_explanations`)."""
    from desktop_app.inference.device import select_device
    from desktop_app.inference.engine import CALIBRATION_PER_TRACK, PROBABILITY_HEADS, Int8Calibration
    from desktop_app.inference.precision import EXACT, check_target

    windows, per_track = calibration or (CALIBRATION_WINDOWS, CALIBRATION_PER_TRACK)
    torch_device = select_device(device)
    folder = models_dir() if folder is None else folder
    first = None
    sha = source.sha256
    if sha is None:
        first = source.open_classifier(str(torch_device))
        sha = first.identity.sha256
    plan = plan_for(CCMUSIC, sha, torch_device, choice, folder)

    def exact() -> GenreClassifier:
        return source.open_classifier(str(torch_device))

    if plan.precision == INT8:  # the check passed, or asked for: from the kept calibration if any
        loaded, first = first or exact(), None
        target = check_target(CCMUSIC, sha, torch_device, INT8)
        ranges = stored_ranges(folder, target)
        if ranges is not None:
            return ClassifierRun(loaded.quantized(ranges), plan, reopen=exact)
        if plan.state == "fast":  # its calibration went between the plan and now: never an unchecked one
            return ClassifierRun(loaded, replace(plan, state="checking", precision=EXACT))
        calibrating = Int8Calibration(
            loaded, windows=windows, per_track=per_track, on_ready=_keep_ranges(folder, target)
        )
        return ClassifierRun(loaded.calibrating_int8(calibrating), plan, reopen=exact)
    if first is not None and first.precision != plan.precision:
        first = None  # the exact copy goes before the reduced one loads
    classifier = first or source.open_classifier(str(torch_device), plan.precision)
    if plan.checking and plan.verdict is not None and plan.candidate == INT8:
        target = plan.verdict.target

        def then() -> tuple[PrecisionPlan, Callable[[np.ndarray], np.ndarray]] | None:
            """After int8 failed (its verdict saved): the next candidate's check, if any."""
            following = plan_for(CCMUSIC, sha, torch_device, choice, folder)
            if not following.checking or following.candidate in (None, INT8):
                return None
            reduced = source.open_classifier(str(torch_device), following.candidate)
            return following, reduced.predict

        ranges = stored_ranges(folder, target)
        if ranges is not None:  # a check under way continues with the calibration it compared
            fast = classifier.quantized(ranges)
            verdict = _compares(plan.verdict, fast)
            check = PrecisionCheck(verdict, fast.predict, PROBABILITY_HEADS, folder=folder, sample=sample, then=then)
            return ClassifierRun(classifier, plan, check, [fast])
        calibrating = Int8Calibration(
            classifier, windows=windows, per_track=per_track, on_ready=_keep_ranges(folder, target)
        )
        check = PrecisionCheck(
            plan.verdict,
            calibrating.predict,
            PROBABILITY_HEADS,
            folder=folder,
            sample=sample,
            calibration=calibrating,
            then=then,
        )
        return ClassifierRun(classifier, plan, check)
    if plan.checking and plan.verdict is not None and plan.candidate is not None:
        fast = source.open_classifier(str(torch_device), plan.candidate)
        check = PrecisionCheck(plan.verdict, fast.predict, PROBABILITY_HEADS, folder=folder, sample=sample)
        return ClassifierRun(classifier, plan, check, [fast])
    return ClassifierRun(classifier, plan)


def _compares(verdict: PrecisionVerdict, fast: GenreClassifier) -> PrecisionVerdict:
    """``verdict``, recording which calibration the int8 network ``fast`` was built from."""
    from desktop_app.inference.int8 import ranges_digest

    ranges = fast.int8_ranges
    return verdict if ranges is None else replace(verdict, calibration=ranges_digest(ranges))


def refreshed(plan: PrecisionPlan, check: PrecisionCheck | None) -> PrecisionPlan:
    """``plan`` after its check fed the verdict (what status and the window show after a pass)."""
    if check is None:
        return plan
    plan = check.moved_to or plan
    verdict = check.verdict
    state: PlanState = "checking" if not verdict.decided else "fast" if verdict.passed else "disagreed"
    return PrecisionPlan(
        plan.model, plan.choice, state, plan.precision, plan.candidate, plan.device, verdict, rejected=plan.rejected
    )


def reset(model: str | None = None, folder: Path | None = None) -> list[Path]:
    """Forget the verdicts (of ``model``, else all): the next analyses check again."""
    return reset_verdicts(models_dir() if folder is None else folder, model)


# --- words ----------------------------------------------------------------------------------

MODEL_WORDS = {CCMUSIC: "CCMusic", TAGGER: "the built-in tagger"}


def describe(plan: PrecisionPlan) -> str:
    """One or two sentences for the CLI and the window, e.g. "bf16: agreed with exact on 212
    windows of 12 tracks, 2.3× faster — in use since 2026-12-05"."""
    verdict = plan.verdict
    name = plan.candidate or "reduced precision"
    if plan.state == "unsupported":
        return f"Exact (fp32): {plan.device.split(':')[0]} has no reduced precision that is faster here."
    if plan.state == "exact-chosen":
        return "Exact (fp32), as chosen." + (f" {_figures(verdict)}" if verdict and verdict.decided else "")
    if plan.state == "fast-chosen":
        checked = (
            f" Checked: {_figures(verdict)}"
            if verdict and verdict.decided
            else " Not checked against exact on your music."
        )
        return f"{name}, as chosen.{checked}"
    if verdict is None:
        return f"Exact (fp32): {name} will be checked against exact on the next analyses."
    if plan.state == "checking":
        sample = verdict.sample
        calibrating = (
            f" (its first {CALIBRATION_WINDOWS} windows calibrate it)" if name == INT8 and not verdict.tracks else ""
        )
        return (
            f"Checking {name} against exact on your music{calibrating}: {verdict.windows} of {sample.windows} "
            f"windows, {verdict.tracks} of {sample.tracks} tracks so far; exact until then.{_rejected_words(plan)}"
        )
    if plan.state == "fast":
        return f"{_figures(verdict)} — in use since {verdict.checked_at[:10]}.{_rejected_words(plan)}"
    return f"Stays exact: {name} {_disagreement(verdict)} (checked {verdict.checked_at[:10]}).{_rejected_words(plan)}"


def _rejected_words(plan: PrecisionPlan) -> str:
    """The faster candidates that failed before this one, in words (empty: none)."""
    others = [v for v in plan.rejected if v is not plan.verdict]
    return "".join(f" {v.target.precision} {_disagreement(v)} (checked {v.checked_at[:10]})." for v in others)


def _figures(verdict: PrecisionVerdict | None) -> str:
    if verdict is None:
        return ""
    if not verdict.passed:
        return f"{verdict.target.precision} {_disagreement(verdict)}."
    speed = f", {verdict.speed_ratio:.1f}× faster" if verdict.speed_ratio else ""
    return (
        f"{verdict.target.precision}: agreed with exact on {verdict.windows} windows of {verdict.tracks} tracks{speed}"
    )


def _disagreement(verdict: PrecisionVerdict) -> str:
    if verdict.not_built:
        return f"could not be used ({verdict.not_built})"
    if verdict.songs_disagreeing:
        return f"disagreed on {verdict.songs_disagreeing} of {verdict.tracks} songs"
    if verdict.failure == "speed" and verdict.speed_ratio is not None:
        return (
            f"agreed with exact on {verdict.windows} windows of {verdict.tracks} tracks but ran only "
            f"{verdict.speed_ratio:.1f}× as fast (at least {MIN_SPEEDUP:g}× needed)"
        )
    if verdict.max_abs_difference >= MAX_PROBABILITY_DIFFERENCE:
        return (
            f"moved a probability by {verdict.max_abs_difference:.3f} "
            f"(the bound is {MAX_PROBABILITY_DIFFERENCE:g}) on {verdict.tracks} songs"
        )
    share = verdict.window_agreement or 0.0
    return (
        f"kept the top-1 of {share:.1%} of {verdict.windows} windows "
        f"(at least {WINDOW_AGREEMENT:.0%} needed) on {verdict.tracks} songs"
    )


def checked_as(model_name: str) -> str | None:
    """Which check covers the results of ``model_name``: the tagger's networks, the broad genres
    derived from them and the learned genres read from their embeddings are all the tagger's."""
    if model_name == CCMUSIC:
        return CCMUSIC
    if model_name in ("musicnn-msd", "musicnn-mtt", "broad-genre", "my-genres"):
        return TAGGER
    return None


def describe_verdict(verdict: PrecisionVerdict) -> str:
    """A stored verdict in words, as last checked (before a plan says whether it still holds)."""
    if not verdict.decided:
        return (
            f"Checking {verdict.target.precision} against exact on your music: {verdict.windows} of "
            f"{verdict.sample.windows} windows, {verdict.tracks} of {verdict.sample.tracks} tracks so far."
        )
    if verdict.passed:
        return f"{_figures(verdict)} — in use since {verdict.checked_at[:10]}."
    return f"Stays exact: {verdict.target.precision} {_disagreement(verdict)} (checked {verdict.checked_at[:10]})."


@dataclass(frozen=True)
class PrecisionWords:
    """What the window's model info says about precision: ``short`` beside the model's name
    (``bf16``, ``fp32``; empty when nothing is known) and ``sentence`` for its tooltip."""

    short: str
    sentence: str


def window_words(model_name: str, plans: dict[str, PrecisionPlan], folder: Path | None = None) -> PrecisionWords:
    """The words for ``model_name``'s results: from the plan the analysis queue reported, else
    from the verdict stored in the models folder (a small JSON read, no torch)."""
    key = checked_as(model_name)
    if key is None:
        return PrecisionWords("", "")
    plan = plans.get(key)
    if plan is not None:
        return PrecisionWords(plan.precision, f"Precision: {describe(plan)}")
    from desktop_app.inference.precision_check import stored_verdicts

    found = [v for v in stored_verdicts(models_dir() if folder is None else folder) if v.target.model == key]
    if not found:
        return PrecisionWords("", "Precision: exact until a faster one is checked on your music.")
    verdict = max(found, key=lambda v: v.checked_at)
    short = verdict.target.precision if verdict.decided and verdict.passed else "fp32"
    return PrecisionWords(short, f"Precision: {describe_verdict(verdict)}")
