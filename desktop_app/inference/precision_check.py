"""Whether a reduced precision gives the same answers as fp32 for one model on one device.

Nobody can check that once for everybody: whether bf16 keeps a network's top-1 depends on the real
weights, the hardware and the torch version, and the CCMusic weights cannot be downloaded where
Genrescope is built. So the check runs where they meet: on the person's machine, on windows of
their own music, with the weights they installed. This module is the judgement and its record;
`analysis.precision_switch` runs both precisions and feeds it.

The evidence adds up track by track (`PrecisionVerdict.add`), so a check may span several passes
and the one-file ``analyze``; it is decided once the sample is big enough (`SampleSize`: 200
windows over at least 10 tracks, at most 20 windows of each), or as soon as it cannot pass. It
passes when, on every sampled track, the song-level top-1 agrees (what a person sees); at least
99 % of windows keep their top-1; no probability moves by `MAX_PROBABILITY_DIFFERENCE` or more;
and, where its speed was measured, it ran at least `MIN_SPEEDUP` times as fast as fp32.

Why 0.05: the window shows probabilities as whole percents and sorts tracks into "Low confidence"
by a threshold people set in whole percents, so a difference of 5 points is what a person could
notice in a number or see a track change lists over; bf16 rounds each of the ~19 layers' values to
8 significant bits (0.4 %), and on the built-in tagger with its real weights the largest difference
measured on real music stays well under it (README: Reduced precision). A model whose reduced
precision moves a probability that far is not the same model, whatever its top-1 does.

For a model with several heads (the built-in tagger: two taggers' tags side by side, each its own
model with its own top-1) every head is held to each condition: every song's top-1 of every head,
99 % of windows' top-1 for each head (``windows_agreeing`` is the worse head's count), the bound
on every probability column. Requiring both heads at once on each window would be stricter than
the rule is for either model alone: on the nine recordings of tests/real_music.py (20 patches
each) the tagger's bf16 keeps 179 of 180 patches' top-1 for each tagger, but a different patch
for each, so 178 of 180 for both together.

A verdict is stored per model, device type and reduced precision in the models folder as JSON,
written atomically (a calibrated precision, int8, keeps its calibration beside it:
`calibration_path`); it is valid only for the same model SHA-256, device, torch version,
Genrescope version and reduced precision (`CheckTarget`): when any of them changes it is stale and
the check runs again.
No torch and no Qt here: the CLI's ``model status`` and the window read verdicts cheaply.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np

from desktop_app.config import models_dir
from desktop_app.temp_files import claimed_temp, remove_abandoned

MAX_PROBABILITY_DIFFERENCE = 0.05
"""A probability of the reduced precision may differ from fp32's by less than this (module docstring)."""
WINDOW_AGREEMENT = 0.99
"""The share of sampled windows whose top-1 must agree."""
MIN_SPEEDUP = 1.1
"""A reduced precision that agrees must also have run at least this many times faster per window
than fp32 during the check, where that was measured: one that is not measurably faster on this
machine is not worth any doubt, and nothing may become slower than exact by default."""
VERDICT_FORMAT = 1
TEMP_PREFIX = ".precision-"

VerdictState = Literal["checking", "passed", "failed"]

__all__ = ["models_dir"]  # where verdicts live by default: the models folder (`config.models_dir`)


@dataclass(frozen=True)
class SampleSize:
    """How much of the person's music a check looks at before it decides."""

    windows: int = 200
    tracks: int = 10
    per_track: int = 20
    """At most this many windows of one track, so the sample spreads over the library."""


@dataclass(frozen=True)
class CheckTarget:
    """What a verdict holds for: a verdict for another target is stale."""

    model: str
    """``ccmusic`` or ``tagger`` (the built-in tagger's two networks, checked as one)."""
    model_sha256: str
    device: str
    """The device type and what it is (``cpu: <processor>``, ``cuda: <GPU name>``)."""
    torch_version: str
    app_version: str
    precision: str
    """The reduced precision checked against fp32."""

    @property
    def device_type(self) -> str:
        return self.device.split(":", 1)[0]

    def differences(self, other: CheckTarget) -> list[str]:
        """The fields in which ``other`` differs, in words ("torch version 2.5.0 → 2.6.0")."""
        names = {
            "model": "model",
            "model_sha256": "model SHA-256",
            "device": "device",
            "torch_version": "torch version",
            "app_version": "Genrescope version",
            "precision": "precision",
        }
        mine, theirs = asdict(self), asdict(other)
        return [f"{label} {mine[key]} → {theirs[key]}" for key, label in names.items() if mine[key] != theirs[key]]


@dataclass(frozen=True)
class TrackComparison:
    """One track's sampled windows in both precisions."""

    windows: int
    head_windows_agreeing: tuple[int, ...]
    """Per head, the windows whose top-1 agrees."""
    song_agrees: bool
    max_abs_difference: float

    @property
    def windows_agreeing(self) -> int:
        """The worse head's count."""
        return min(self.head_windows_agreeing)


def compare_track(exact: np.ndarray, fast: np.ndarray, heads: Sequence[slice]) -> TrackComparison:
    """Compare one track's [windows, columns] probabilities; each of ``heads`` is a block of
    columns with its own top-1 (the song's top-1 is that of the mean over its windows)."""
    exact, fast = np.asarray(exact, dtype=np.float64), np.asarray(fast, dtype=np.float64)
    if exact.shape != fast.shape or exact.ndim != 2 or len(exact) == 0:
        raise ValueError(f"expected two equal [windows >= 1, columns] arrays, got {exact.shape} and {fast.shape}")
    agreeing = []
    song = True
    largest = 0.0
    for head in heads:
        a, b = exact[:, head], fast[:, head]
        agreeing.append(int((a.argmax(axis=1) == b.argmax(axis=1)).sum()))
        song &= bool(a.mean(axis=0).argmax() == b.mean(axis=0).argmax())
        largest = max(largest, float(np.abs(a - b).max()))
    return TrackComparison(len(exact), tuple(agreeing), song, largest)


def track_key(path: str) -> str:
    """How a sampled track is remembered (not its path: the models folder is not the library)."""
    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PrecisionVerdict:
    """The figures of one check, and (once decided) whether the reduced precision passed."""

    target: CheckTarget
    sample: SampleSize = field(default_factory=SampleSize)
    tracks: int = 0
    windows: int = 0
    songs_agreeing: int = 0
    head_windows_agreeing: tuple[int, ...] = ()
    """Per head (`compare_track`), the sampled windows whose top-1 agrees."""
    max_abs_difference: float = 0.0
    exact_seconds: float = 0.0
    """Time fp32 took for ``exact_windows`` windows (in the analysis' own batches)."""
    exact_windows: int = 0
    fast_seconds: float = 0.0
    """Time the reduced precision took for the ``windows`` sampled windows."""
    decided: bool = False
    passed: bool = False
    started_at: str = ""
    checked_at: str = ""
    """When the evidence last grew; once decided, the date of the decision."""
    sampled: tuple[str, ...] = ()
    """`track_key` of each sampled track, so a track is never counted twice."""
    calibration: str = ""
    """For a calibrated precision (int8): the digest of the calibration whose network was
    compared (`int8.ranges_digest`); the verdict holds for that network only. Empty otherwise."""
    not_built: str = ""
    """Why the reduced network could not be made at all (int8's quantization failed), in words;
    such a verdict is decided and failed with nothing compared. Empty otherwise."""

    @property
    def state(self) -> VerdictState:
        return "checking" if not self.decided else "passed" if self.passed else "failed"

    @property
    def songs_disagreeing(self) -> int:
        return self.tracks - self.songs_agreeing

    @property
    def windows_agreeing(self) -> int:
        """The sampled windows whose top-1 agrees, for the worse head."""
        return min(self.head_windows_agreeing) if self.head_windows_agreeing else 0

    @property
    def window_agreement(self) -> float | None:
        return self.windows_agreeing / self.windows if self.windows else None

    @property
    def speed_ratio(self) -> float | None:
        """How many times faster the reduced precision ran per window (None: not measured)."""
        if self.exact_windows <= 0 or self.windows <= 0 or self.fast_seconds <= 0 or self.exact_seconds <= 0:
            return None
        return (self.exact_seconds / self.exact_windows) / (self.fast_seconds / self.windows)

    @property
    def failure(self) -> Literal["not-built", "songs", "windows", "difference", "speed"] | None:
        """Which condition the evidence so far breaks (None: none): the reduced network could not
        be made, a song's top-1, the share of windows that agree, the largest probability
        difference, or the speed-up."""
        if self.not_built:
            return "not-built"
        if self.songs_disagreeing > 0:
            return "songs"
        if self.max_abs_difference >= MAX_PROBABILITY_DIFFERENCE:
            return "difference"
        if self.windows and self.windows_agreeing / self.windows < WINDOW_AGREEMENT:
            return "windows"
        ratio = self.speed_ratio
        if ratio is not None and ratio < MIN_SPEEDUP:
            return "speed"
        return None

    def wants(self, key: str) -> bool:
        """Whether the track ``key`` (`track_key`) still adds to the check."""
        return not self.decided and key not in self.sampled

    def add(
        self, key: str, comparison: TrackComparison, *, fast_seconds: float = 0.0, now: str | None = None
    ) -> PrecisionVerdict:
        """The verdict with one more track's comparison; decided once the sample is complete, or
        at once when it can no longer pass (a song disagrees, a probability moved too far)."""
        if not self.wants(key):
            return self
        now = now or _now()
        grown = replace(
            self,
            tracks=self.tracks + 1,
            windows=self.windows + comparison.windows,
            songs_agreeing=self.songs_agreeing + int(comparison.song_agrees),
            head_windows_agreeing=tuple(
                mine + theirs
                for mine, theirs in zip(
                    self.head_windows_agreeing or (0,) * len(comparison.head_windows_agreeing),
                    comparison.head_windows_agreeing,
                    strict=True,
                )
            ),
            max_abs_difference=max(self.max_abs_difference, comparison.max_abs_difference),
            fast_seconds=self.fast_seconds + fast_seconds,
            started_at=self.started_at or now,
            checked_at=now,
            sampled=(*self.sampled, key),
        )
        hopeless = grown.songs_disagreeing > 0 or grown.max_abs_difference >= MAX_PROBABILITY_DIFFERENCE
        complete = grown.windows >= self.sample.windows and grown.tracks >= self.sample.tracks
        if hopeless or complete:
            return replace(grown, decided=True, passed=not hopeless and _agree_enough(grown))
        return grown

    def could_not_build(self, reason: str, *, now: str | None = None) -> PrecisionVerdict:
        """The verdict decided as failed because the reduced network could not be made (``reason``)."""
        now = now or _now()
        return replace(
            self,
            not_built=reason or "unknown error",
            decided=True,
            passed=False,
            started_at=self.started_at or now,
            checked_at=now,
        )

    def timed_exact(self, seconds: float, windows: int) -> PrecisionVerdict:
        """The verdict with ``windows`` more windows that fp32 ran in ``seconds``."""
        if self.decided:
            return self
        return replace(self, exact_seconds=self.exact_seconds + seconds, exact_windows=self.exact_windows + windows)

    def stale_for(self, target: CheckTarget) -> list[str]:
        """Why this verdict does not hold for ``target`` (empty: it does)."""
        return self.target.differences(target)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sampled"] = list(self.sampled)
        data["head_windows_agreeing"] = list(self.head_windows_agreeing)
        return {
            "format": VERDICT_FORMAT,
            **data,
            "state": self.state,
            "failure": self.failure if self.decided else None,
            "windows_agreeing": self.windows_agreeing,
            "window_agreement": self.window_agreement,
            "speed_ratio": self.speed_ratio,
            "max_probability_difference_bound": MAX_PROBABILITY_DIFFERENCE,
            "window_agreement_bound": WINDOW_AGREEMENT,
            "min_speedup": MIN_SPEEDUP,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrecisionVerdict:
        if data.get("format") != VERDICT_FORMAT:
            raise ValueError(f"unknown verdict format {data.get('format')!r}")
        return cls(
            target=CheckTarget(**data["target"]),
            sample=SampleSize(**data["sample"]),
            tracks=int(data["tracks"]),
            windows=int(data["windows"]),
            songs_agreeing=int(data["songs_agreeing"]),
            head_windows_agreeing=tuple(int(n) for n in data["head_windows_agreeing"]),
            max_abs_difference=float(data["max_abs_difference"]),
            exact_seconds=float(data["exact_seconds"]),
            exact_windows=int(data["exact_windows"]),
            fast_seconds=float(data["fast_seconds"]),
            decided=bool(data["decided"]),
            passed=bool(data["passed"]),
            started_at=str(data["started_at"]),
            checked_at=str(data["checked_at"]),
            sampled=tuple(str(k) for k in data["sampled"]),
            calibration=str(data.get("calibration", "")),
            not_built=str(data.get("not_built", "")),
        )


def _agree_enough(verdict: PrecisionVerdict) -> bool:
    return verdict.failure is None


def judge(
    target: CheckTarget,
    exact: np.ndarray,
    fast: np.ndarray,
    track_ids: Sequence[object],
    heads: Sequence[slice],
    *,
    sample: SampleSize | None = None,
    speed_ratio: float | None = None,
) -> PrecisionVerdict:
    """The verdict on windows ``exact`` and ``fast`` [windows, columns] whose tracks are
    ``track_ids`` (one per window), taking each track's first ``sample.per_track`` windows in the
    order the tracks first appear. ``speed_ratio``, when measured elsewhere, is kept as given."""
    exact, fast = np.asarray(exact), np.asarray(fast)
    ids = list(track_ids)
    if len(ids) != len(exact) or exact.shape != fast.shape:
        raise ValueError(f"{len(ids)} track ids for {exact.shape} and {fast.shape} probabilities")
    verdict = PrecisionVerdict(target, sample or SampleSize())
    for track in dict.fromkeys(ids):
        rows = [i for i, t in enumerate(ids) if t == track][: verdict.sample.per_track]
        verdict = verdict.add(str(track), compare_track(exact[rows], fast[rows], heads))
    if speed_ratio is not None:  # as per-window seconds: exact 1 s per window, fast 1/ratio
        verdict = replace(verdict, exact_seconds=float(verdict.windows), exact_windows=verdict.windows)
        verdict = replace(verdict, fast_seconds=verdict.windows / speed_ratio)
        if verdict.decided:
            verdict = replace(verdict, passed=verdict.failure is None)
    return verdict


# --- the record in the models folder -------------------------------------------------------


def verdict_path(folder: Path, model: str, device_type: str, precision: str) -> Path:
    """One file per model, device type and reduced precision: a device may have several
    candidates (int8, then bf16 on a CPU), each checked in turn, and each keeps its own verdict."""
    return Path(folder) / f"precision-{model}-{device_type}-{precision}.json"


def calibration_path(folder: Path, model: str, device_type: str, precision: str) -> Path:
    """Where a calibrated precision (int8) keeps what calibration learnt, beside its verdict."""
    return Path(folder) / f"precision-{model}-{device_type}-{precision}.calibration.pt"


def load_verdict(folder: Path, model: str, device_type: str, precision: str) -> PrecisionVerdict | None:
    """The stored verdict, None when there is none or it cannot be read (the check runs again)."""
    return _read_verdict(verdict_path(folder, model, device_type, precision))


def _read_verdict(path: Path) -> PrecisionVerdict | None:
    try:
        return PrecisionVerdict.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stored_verdicts(folder: Path) -> list[PrecisionVerdict]:
    """Every readable verdict in ``folder``."""
    found = [_read_verdict(path) for path in sorted(Path(folder).glob("precision-*.json"))]
    return [verdict for verdict in found if verdict is not None]


def save_verdict(folder: Path, verdict: PrecisionVerdict) -> Path:
    """Write ``verdict`` atomically (temporary file, fsync, rename); returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    remove_abandoned(folder, f"{TEMP_PREFIX}*")
    target = verdict_path(folder, verdict.target.model, verdict.target.device_type, verdict.target.precision)
    with claimed_temp(folder, TEMP_PREFIX, ".json") as (fd, temp):
        with open(fd, "w", encoding="utf-8", closefd=False) as f:
            json.dump(verdict.as_json(), f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    return target


def reset_verdicts(folder: Path, model: str | None = None) -> list[Path]:
    """Delete the stored verdicts and calibrations (of ``model``, else all): the next analyses
    check again, from a new calibration."""
    removed = []
    prefix = f"precision-{model + '-' if model else ''}"
    for path in sorted([*Path(folder).glob(f"{prefix}*.json"), *Path(folder).glob(f"{prefix}*.calibration.pt")]):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
