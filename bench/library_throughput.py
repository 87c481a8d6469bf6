"""Whole-library throughput: real recordings analysed end to end by the app's own passes. Prints JSON.

    .venv/bin/python bench/library_throughput.py [--tracks 24] [--rounds 1] [--variants ccmusic-fp32,...]
                                                 [--agreement-tracks 12]

The library: the free recordings the tests use (tests/real_music.py, every one of them; fetched
once from Debian packages), copied until there are ``--tracks`` files, scanned once into a SQLite
library that each run gets a fresh copy of. Each variant runs in its own process (so its peak
memory is its own), after an untimed warm-up on one track (numba compiles, oneDNN builds its
kernels), through the pass `genrescope classify` runs: `classify_tracks` for the CCMusic network
(random weights of the exact architecture: the published weights cannot be downloaded here; the
cost is the same), `tag_tracks` for the built-in tagger (its real weights). Decoding, spectrograms
and images of the next tracks run on the pipeline's worker thread while the network runs.

Variants, interleaved round by round (``--rounds``) because the machine is shared:

- ``ccmusic-reference``: the reference way, as the CCMusic demo runs a song: decode, spectrogram,
  images, then the network eager in fp32, NCHW, BatchNorm unfolded, one window per forward pass
  (`bench/inference.py`'s ``reference_way``), one track after another, nothing stored;
- ``ccmusic-fp32`` / ``ccmusic-bf16``: ``GenreClassifier`` with ``precision="fp32"`` / ``"bf16"``;
- ``ccmusic-int8``: ``GenreClassifier.quantized`` (`desktop_app.inference.int8`) calibrated on
  windows of the library's first tracks (the person's own music), as the app runs it once its
  check passed; quantizing is timed apart, it is paid once (later runs rebuild it from the kept
  calibration in a few seconds);
- ``tagger-fp32``: the tagger as the app runs it exactly; ``tagger-bf16``: its reduced path as
  the app runs it once the self-validation passed (``open_tagger(precision="bf16")``: the
  frontend as bf16 matrix products), and its agreement with fp32 on the library's real patches, by the
  self-validation's criteria (song-level top-1 per tagger, patch-level top-1, largest probability
  difference).

Per variant: tracks per minute, hours of audio per hour, CPU seconds per track by stage (decode;
spectrogram and images; inference; storage), peak memory (the process' whole life, and during the
pass alone), and the share of the pass' wall time that the network thread spent waiting for input.
Stages: decode and spectrogram+images are the worker thread's CPU time around the two halves of
the pass' own prepare function (the bench swaps in a copy of it that times them: the pass has no
timing hooks); storage is the pass thread's CPU time from the end of a batch's inference to each
track's progress report (its result stored and committed); inference is the rest of the process'
CPU time (torch's threads, and the pass' own bookkeeping).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from tests.real_music import EVERY_RECORDING, recording_path  # noqa: E402

VARIANTS = ("ccmusic-reference", "ccmusic-fp32", "ccmusic-bf16", "ccmusic-int8", "tagger-fp32", "tagger-bf16")
SEED = 0
CALIBRATION_TRACKS = 4
CALIBRATION_PER_TRACK = 8
AGREEMENT_PATCHES = 16


def machine() -> dict[str, Any]:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    import torch

    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": torch.cpu._is_avx512_bf16_supported(),
        "vnni": torch.cpu._is_vnni_supported(),
        "amx": torch.cpu._is_amx_tile_supported(),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the child: one variant over one copy of the library ---------------------------------------


class StageClock:
    """CPU seconds by stage, and the pass thread's timeline (predict calls, progress reports)."""

    def __init__(self) -> None:
        self.decode = 0.0
        self.images = 0.0
        self.events: list[tuple[str, float, float]] = []  # (what, wall, pass-thread CPU)
        self.audio_seconds = 0.0

    def mark(self, what: str) -> None:
        self.events.append((what, time.perf_counter(), time.thread_time()))

    def prepare(self, decode: Callable[[str], Any], images: Callable[[Any], Any]) -> Callable[[str], Any]:
        """The pass' prepare function, as ``images(decode(path))``, with both halves timed."""

        def timed(path: str) -> Any:
            started = time.thread_time()
            decoded = decode(path)
            decoded_at = time.thread_time()
            prepared = images(decoded)
            self.decode += decoded_at - started
            self.images += time.thread_time() - decoded_at
            self.audio_seconds += prepared.duration_s
            return prepared

        return timed

    def timeline(self, started: float, wall: float) -> dict[str, float]:
        """Seconds the pass thread waited for input (before each inference: after the previous
        batch's last track was stored, or the pass' start), and spent storing (wall and CPU)."""
        waiting = first_wait = storing_wall = storing_cpu = 0.0
        previous = ("start", started, 0.0)
        for event in self.events:
            what, at, cpu = event
            if what == "predict-start":
                waited = at - previous[1]
                waiting += waited
                if previous[0] == "start":
                    first_wait = waited
            elif what == "stored" and previous[0] in ("predict-end", "stored"):
                storing_wall += at - previous[1]
                storing_cpu += cpu - previous[2]
            previous = event
        return {
            "waiting_for_input_s": waiting,
            "waiting_for_first_track_s": first_wait,
            "waiting_share": waiting / wall,
            "waiting_share_after_first_track": (waiting - first_wait) / wall,
            "storing_wall_s": storing_wall,
            "storing_cpu_s": storing_cpu,
        }


class Timed:
    """The classifier or tagger as the pass sees it, with each ``predict`` marked on the timeline."""

    def __init__(self, model: Any, clock: StageClock, predict: Callable[[np.ndarray], np.ndarray] | None = None):
        self._model = model
        self._clock = clock
        self._predict = predict or model.predict

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        self._clock.mark("predict-start")
        out = self._predict(inputs)
        self._clock.mark("predict-end")
        return out


def reset_peak_rss() -> bool:
    """Start the kernel's peak-RSS count (VmHWM) afresh (Linux), so the pass' own peak shows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb(field: str) -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def ccmusic_model(variant: str, weights: Path, calibration_paths: list[str]) -> tuple[Any, Callable | None, dict]:
    """The classifier, the predict the pass should use (None: its own) and what loading it cost."""
    from desktop_app.audio.prepare import prepare_track
    from desktop_app.inference.engine import GenreClassifier

    started = time.perf_counter()
    fast = variant == "ccmusic-bf16"
    classifier = GenreClassifier.from_file(weights, origin="test", device="cpu", precision="bf16" if fast else "fp32")
    info: dict[str, Any] = {"load_seconds": round(time.perf_counter() - started, 2)}
    if variant != "ccmusic-int8":
        return classifier, None, info
    windows = []
    for path in calibration_paths:
        inputs = prepare_track(path).inputs
        windows.append(inputs[:: max(1, len(inputs) // CALIBRATION_PER_TRACK)][:CALIBRATION_PER_TRACK])
    started = time.perf_counter()
    quantized = classifier.quantized(np.concatenate(windows))
    seconds = time.perf_counter() - started
    info.update(quantize_seconds=round(seconds, 1), calibration_windows=sum(len(w) for w in windows))
    del classifier  # the int8 copy holds its own weights, as an int8 run of the app does
    gc.collect()
    return quantized, None, info


def tagger_model(variant: str) -> tuple[Any, Callable | None, dict]:
    from desktop_app.inference.registry import open_tagger

    started = time.perf_counter()
    tagger = open_tagger("cpu", "bf16" if variant == "tagger-bf16" else "fp32")
    info = {"load_seconds": round(time.perf_counter() - started, 2)}
    return tagger, None, info


def tagger_agreement(tagger: Any, fast: Callable[[np.ndarray], np.ndarray], paths: list[str]) -> dict[str, Any]:
    """bf16 against fp32 on real patches (up to `AGREEMENT_PATCHES` spread over each track), by the
    self-validation's criteria."""
    from desktop_app.audio.prepare import prepare_for_tagger
    from desktop_app.inference.tagger import TAGGERS, split

    songs = {name: 0 for name in TAGGERS}
    patches = {name: 0 for name in TAGGERS}
    total = 0
    largest = 0.0
    for path in paths:
        inputs = prepare_for_tagger(path).inputs
        inputs = inputs[:: max(1, len(inputs) // AGREEMENT_PATCHES)][:AGREEMENT_PATCHES]
        exact, quick = split(tagger.predict(inputs)), split(fast(inputs))
        total += len(inputs)
        for name in TAGGERS:
            a, b = exact.probabilities[name], quick.probabilities[name]
            patches[name] += int(np.sum(a.argmax(1) == b.argmax(1)))
            songs[name] += int(a.mean(0).argmax() == b.mean(0).argmax())
            largest = max(largest, float(np.abs(a - b).max()))
    return {
        "tracks": len(paths),
        "patches": total,
        "song_top1_agreement": {name: songs[name] / len(paths) for name in TAGGERS},
        "patch_top1_agreement": {name: round(patches[name] / total, 4) for name in TAGGERS},
        "max_abs_tag_probability_diff": round(largest, 4),
    }


def run_reference(weights: Path, paths: list[str]) -> dict[str, Any]:
    """One track after another: decode, spectrogram and images, then the reference way's network."""
    import torch
    from inference import reference_way  # bench/inference.py

    from desktop_app.audio.decode import decode_audio
    from desktop_app.audio.prepare import prepare_samples

    run = reference_way(torch.load(weights, weights_only=True))
    warm = prepare_samples(decode_audio(paths[-1]).samples)
    run(warm.inputs[:1])
    reset = reset_peak_rss()
    cpu = {"decode": 0.0, "images": 0.0, "inference": 0.0}
    audio = 0.0
    load_before = load()
    started, cpu_started = time.perf_counter(), time.process_time()
    for path in paths:
        t0 = time.process_time()
        decoded = decode_audio(path)
        t1 = time.process_time()
        track = prepare_samples(decoded.samples, constant=decoded.constant)
        t2 = time.process_time()
        run(track.inputs)
        t3 = time.process_time()
        cpu["decode"] += t1 - t0
        cpu["images"] += t2 - t1
        cpu["inference"] += t3 - t2
        audio += track.duration_s
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu_started,
        "cpu": cpu,
        "audio_seconds": audio,
        "waiting_share": None,
        "stored": 0,
        "failed": 0,
        "peak_rss_pass_mb": rss_mb("VmHWM") if reset else None,
        "load_average_before": load_before,
    }


def run_child(variant: str, db: Path, weights: Path, agreement_tracks: int) -> dict[str, Any]:
    from sqlalchemy import select

    import desktop_app.analysis.classify_library as classify_library
    import desktop_app.analysis.tag_library as tag_library
    from desktop_app.audio.decode import decode_audio
    from desktop_app.audio.mel import SAMPLE_RATE as TAGGER_RATE
    from desktop_app.audio.prepare import prepare_samples, tagger_inputs
    from desktop_app.library.database import open_library
    from desktop_app.library.models import Track

    with open_library(db) as library, library.engine.connect() as conn:
        paths = [library.paths.to_local(p) for p in conn.execute(select(Track.path).order_by(Track.id)).scalars()]
    if variant == "ccmusic-reference":
        measured = run_reference(weights, paths)
        return {**measured, "tracks": len(paths)}

    clock = StageClock()
    if variant.startswith("ccmusic"):
        model, predict, info = ccmusic_model(variant, weights, paths[:CALIBRATION_TRACKS])
        classify_library.prepare_track = clock.prepare(  # type: ignore[assignment]
            decode_audio, lambda d: prepare_samples(d.samples, constant=d.constant)
        )
        run_pass: Callable[..., Any] = classify_library.classify_tracks
        warm_inputs = prepare_samples(decode_audio(paths[-1]).samples).inputs[:8]
    else:
        model, predict, info = tagger_model(variant)
        tag_library.prepare_for_tagger = clock.prepare(  # type: ignore[assignment]
            lambda p: decode_audio(p, rates=(TAGGER_RATE,)), tagger_inputs
        )
        run_pass = tag_library.tag_tracks
        warm_inputs = tagger_inputs(decode_audio(paths[-1], rates=(TAGGER_RATE,))).inputs[:16]
    (predict or model.predict)(warm_inputs)  # warm-up, untimed
    timed = Timed(model, clock, predict)
    gc.collect()
    reset = reset_peak_rss()
    load_before = load()
    with open_library(db) as library:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = run_pass(library, timed, progress=lambda _p: clock.mark("stored"))
        wall = time.perf_counter() - started
        cpu_total = time.process_time() - cpu_started
    peak_pass = rss_mb("VmHWM") if reset else None
    line = clock.timeline(started, wall)
    cpu = {
        "decode": clock.decode,
        "images": clock.images,
        "storage": line["storing_cpu_s"],
        "inference": cpu_total - clock.decode - clock.images - line["storing_cpu_s"],
    }
    result = {
        "wall_s": wall,
        "cpu_s": cpu_total,
        "cpu": cpu,
        "audio_seconds": clock.audio_seconds,
        "tracks": len(paths),
        "stored": summary.analysed,
        "failed": summary.failed,
        "peak_rss_pass_mb": peak_pass,
        "load_average_before": load_before,
        **{k: v for k, v in line.items() if k != "storing_cpu_s"},
        **info,
    }
    if variant == "tagger-bf16":
        from desktop_app.inference.registry import open_tagger

        exact = open_tagger("cpu")  # what the agreement is measured against
        result["agreement_with_fp32"] = tagger_agreement(exact, model.predict, paths[:agreement_tracks])
    return result


# --- the parent: the library, the rounds, the summary -------------------------------------------


def build_library(folder: Path, tracks: int) -> tuple[Path, Path]:
    """``tracks`` files (every recording, then copies) scanned into a SQLite library."""
    from desktop_app.library.database import open_library
    from desktop_app.library.scanner import Scanner

    music = folder / "music"
    sources = [recording_path(r) for r in EVERY_RECORDING]
    for i in range(tracks):
        source = sources[i % len(sources)]
        target = music / f"copy{i // len(sources)}" / f"{i:03d}-{EVERY_RECORDING[i % len(sources)].key}.ogg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    db = folder / "template.sqlite3"
    with open_library(db) as library:
        Scanner(library).scan([music])
    return music, db


def per_variant(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest round's figures (the least disturbed by other work), and every round's rate."""
    best = max(runs, key=lambda r: r["tracks"] / r["wall_s"])
    n, wall = best["tracks"], best["wall_s"]
    out = {
        "tracks_per_minute": round(n * 60 / wall, 2),
        "audio_hours_per_hour": round(best["audio_seconds"] / wall, 2),
        "wall_seconds": round(wall, 1),
        "cpu_seconds_per_track": {k: round(v / n, 3) for k, v in best["cpu"].items()},
        "cpu_seconds_per_track_total": round(best["cpu_s"] / n, 3),
        "waiting_for_input_share": None if best["waiting_share"] is None else round(best["waiting_share"], 3),
        "peak_rss_mb_process": best["peak_rss_process_mb"],
        "peak_rss_mb_pass": best["peak_rss_pass_mb"],
        "load_average_before": best["load_average_before"],
        "tracks_per_minute_each_round": [round(r["tracks"] * 60 / r["wall_s"], 2) for r in runs],
        "stored": best["stored"],
        "failed": best["failed"],
    }
    for key in ("waiting_share_after_first_track", "waiting_for_first_track_s", "storing_wall_s"):
        if key in best:
            out[key] = round(best[key], 3)
    for key in ("load_seconds", "quantize_seconds", "calibration_windows", "agreement_with_fp32"):
        if key in best:
            out[key] = best[key]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--agreement-tracks", type=int, default=10, help="tracks of the tagger's agreement check")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "DB", "WEIGHTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, db, weights = args.child
        result = run_child(variant, Path(db), Path(weights), args.agreement_tracks)
        result["peak_rss_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return

    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    import torch

    from desktop_app.inference.int8 import int8_supported
    from desktop_app.inference.network import random_state_dict

    if "ccmusic-int8" in variants and not int8_supported():
        variants.remove("ccmusic-int8")
    if "ccmusic-bf16" in variants and not torch.cpu._is_avx512_bf16_supported():
        variants.remove("ccmusic-bf16")
    report: dict[str, Any] = {"machine": machine(), "load_average_start": load()}
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="genrescope-throughput-") as folder:
        work = Path(folder)
        weights = work / "random_vgg19_bn_cqt.pt"
        torch.save(random_state_dict(SEED), weights)
        _music, template = build_library(work, args.tracks)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GENRESCOPE_DATA_DIR": str(work / "data")}
        for round_ in range(args.rounds):
            for variant in variants:
                db = work / f"{variant}-{round_}.sqlite3"
                shutil.copyfile(template, db)
                done = subprocess.run(
                    [sys.executable, __file__, "--child", variant, str(db), str(weights),
                     "--agreement-tracks", str(args.agreement_tracks)],
                    env=env, capture_output=True, text=True,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{variant} failed:\n{done.stderr[-4000:]}")
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"{variant} round {round_}: {runs[variant][-1]['wall_s']:.1f} s, load {load()}",
                      file=sys.stderr, flush=True)
                db.unlink()
    results = {variant: per_variant(r) for variant, r in runs.items()}
    first = next(iter(runs.values()))[0]
    report.update(
        tracks=first["tracks"],
        audio_hours=round(first["audio_seconds"] / 3600, 3),
        rounds=args.rounds,
        variants=results,
        load_average_end=load(),
    )
    report["ratios"] = ratios(results)
    report["notes"] = [
        "CCMusic weights are random (seeded) with the exact architecture: the same cost as the published "
        "weights, but no evidence about their agreement",
        "tagger-bf16 is the tagger's own reduced path (the frontend as bf16 matrix products); ccmusic-int8 is "
        "GenreClassifier.quantized, as the app runs it once its check passed",
        "figures are the fastest round's; the machine is shared, see each variant's load average",
    ]
    print(json.dumps(report, indent=2))


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rate = {v: r["tracks_per_minute"] for v, r in results.items()}
    out: dict[str, Any] = {}
    if "ccmusic-reference" in rate:
        for variant in ("ccmusic-fp32", "ccmusic-bf16", "ccmusic-int8"):
            if variant in rate:
                out[f"{variant}_over_reference"] = round(rate[variant] / rate["ccmusic-reference"], 2)
        out["target_ccmusic_fast_over_reference"] = 4.0
    if "tagger-fp32" in rate and "tagger-bf16" in rate:
        out["tagger_bf16_over_fp32"] = round(rate["tagger-bf16"] / rate["tagger-fp32"], 2)
        out["target_tagger_fast_over_exact"] = 1.5
    return out


if __name__ == "__main__":
    main()
