"""Memory of long analyses: a 1-hour track's peak, and RSS over time through a big classify. Prints JSON.

    .venv/bin/python bench/memory.py [--hours 1] [--tracks 10000] [--clip-seconds 1.0]
                                     [--skip-long] [--skip-classify]

Long track: a generated 44.1 kHz stereo FLAC (a gliding tone with noise) goes through
``prepare_track`` alone, then through ``genrescope analyze`` (prepare + the network); each runs
in a fresh process and reports its peak resident memory (VmHWM, exact) and its time.

Classify: ``--tracks`` short generated clips (copies of 16 different ones, each one window) are
scanned into a new library and ``genrescope classify`` runs over all of them while this script
samples its resident memory (and its children's) and the number of committed analyses. Flat
memory means the RSS late in the run is where it was early on; the JSON gives the samples and a
fitted slope in MB per 1,000 tracks over the second half.

Weights are random (seeded) with the exact architecture, as in the tests: memory and speed do not
depend on the weights' values.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.audio_files import write_audio  # noqa: E402

GENRESCOPE = [sys.executable, "-m", "desktop_app"]
MB = 1 << 20

_PEAK_OF_PREPARE = r"""
import json, sys, time
from desktop_app.audio.prepare import prepare_track
started = time.perf_counter()
track = prepare_track(sys.argv[1])
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(json.dumps({"peak_mb": round(peak), "seconds": round(seconds, 1), "windows": len(track.inputs),
                  "inputs_mb": round(track.inputs.nbytes / 2**20), "cqt_mb": round(track.cqt_db.nbytes / 2**20)}))
"""


def long_track(path: Path, hours: float) -> Path:
    """A gliding tone with a little noise, written a second at a time (never whole in memory)."""
    rate = 44100
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", rate, 2, format="FLAC") as out:
        for second in range(int(hours * 3600)):
            t = (np.arange(rate) + second * rate) / rate
            mono = 0.2 * np.sin(2 * np.pi * (220 + 50 * np.sin(t / 7)) * t) + 0.02 * rng.standard_normal(rate)
            out.write(np.stack([mono, mono], axis=1).astype(np.float32))
    return path


def peak_of(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command to the end, sampling the RSS of it and its children; peak and time."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{args[3:5]} failed: {err[-2000:]}")
    return {"sampled_peak_mb": round(peak / MB), "seconds": round(time.perf_counter() - started, 1),
            "output": out}


def tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def measure_long(work: Path, hours: float, weights: Path, env: dict[str, str]) -> dict[str, object]:
    track = long_track(work / f"{hours:g}h.flac", hours)
    prepared = json.loads(subprocess.run([sys.executable, "-c", _PEAK_OF_PREPARE, str(track)], env=env,
                                         capture_output=True, text=True, check=True).stdout)
    analysed = peak_of([*GENRESCOPE, "analyze", str(track), "--weights", str(weights), "--json"], env)
    report = json.loads(analysed.pop("output"))
    return {
        "hours": hours,
        "file_mb": round(track.stat().st_size / MB),
        "prepare_track": prepared,
        "analyze_cli": {**analysed, "windows": report["windows"]},
    }


def measure_classify(work: Path, tracks: int, clip_seconds: float, weights: Path,
                     env: dict[str, str]) -> dict[str, object]:
    templates = [write_audio(work / "templates" / f"{i:02}.wav", seconds=clip_seconds, freq=110.0 * 2 ** (i / 4))
                 for i in range(16)]
    music = work / "music"
    for i in range(tracks):
        folder = music / f"{i // 500:03}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates[i % 16], folder / f"{i:05}.wav")
    db = work / "library.sqlite3"
    subprocess.run([*GENRESCOPE, "scan", str(music), "--db", str(db)], env=env, check=True, capture_output=True)

    started = time.perf_counter()
    command = [*GENRESCOPE, "classify", "--model", "ccmusic", "--db", str(db), "--weights", str(weights), "--json"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int, int]] = []
    while proc.poll() is None:
        samples.append((round(time.perf_counter() - started, 1), round(tree_rss(proc.pid) / MB), _analysed(db)))
        time.sleep(2.0)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"classify failed: {err[-2000:]}")
    summary = json.loads(out)
    # While tracks are being analysed: the last sample may catch the run tearing down.
    working = [(done, rss) for _, rss, done in samples if 0 < done < tracks and rss > 0]
    second_half = [(done, rss) for done, rss in working if done >= tracks / 2]
    slope = (float(np.polyfit([d for d, _ in second_half], [r for _, r in second_half], 1)[0]) * 1000
             if len(second_half) > 2 else None)
    return {
        "tracks": tracks,
        "clip_seconds": clip_seconds,
        "analysed": summary["analysed"],
        "failed": summary["failed"],
        "seconds": round(time.perf_counter() - started, 1),
        "rss_mb_first_analyses": working[0][1] if working else None,
        "rss_mb_at_half": second_half[0][1] if second_half else None,
        "rss_mb_at_end": working[-1][1] if working else None,
        "rss_mb_max": max(r for _, r in working) if working else None,
        "slope_mb_per_1000_tracks_second_half": None if slope is None else round(slope, 2),
        "samples_seconds_rss_mb_analysed": samples,
    }


def _analysed(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute("SELECT count(*) FROM analyses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=1.0, help="length of the long track")
    parser.add_argument("--tracks", type=int, default=10_000, help="tracks in the classify run")
    parser.add_argument("--clip-seconds", type=float, default=1.0, help="length of each classify clip")
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--skip-classify", action="store_true")
    args = parser.parse_args()

    import torch

    from desktop_app.inference.network import random_state_dict

    with tempfile.TemporaryDirectory(prefix="genrescope-memory-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "GENRESCOPE_DATA_DIR": str(work / "data"), "PYTHONPATH": str(ROOT)}
        env.pop("GENRESCOPE_WEIGHTS", None)
        weights = work / "random_vgg19_bn_cqt.pt"
        torch.save(random_state_dict(1234), weights)
        results: dict[str, object] = {"cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30)}
        if not args.skip_long:
            results["long_track"] = measure_long(work, args.hours, weights, env)
        if not args.skip_classify:
            results["classify"] = measure_classify(work, args.tracks, args.clip_seconds, weights, env)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
