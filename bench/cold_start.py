"""The first minute on a fresh install: `genrescope analyze` and the window's first spectrogram, cold and warm.

    .venv/bin/python bench/cold_start.py [--repeats 3] [--recording lovin] [--checkout DIR]

"Cold" is a fresh install's state: every run is a new process whose ``NUMBA_CACHE_DIR`` is a new
empty folder, so anything compiled with numba (librosa's code, before issue 16) is compiled again.
"Warm" runs share one ``NUMBA_CACHE_DIR`` that an unmeasured run filled first. Cold and warm
runs alternate (cold first, then warm first, ...), so load from other processes on the machine
falls on both alike; the load average before each run is reported with it. The page cache is
warm for both (the unmeasured run read the files): only numba's cache differs.

Two things are timed, each in a fresh Python process:

* ``analyze``: ``python -m desktop_app analyze FILE --weights CKPT --json``, wall clock from
  start to exit: decode, CQT, the CCMusic network (a random-weight checkpoint of the real
  architecture, as fast as the real weights), the built-in tagger's mel and network;
* ``first_spectrogram``: the window's spectrogram loader in a process of its own, from the import
  of ``desktop_app.gui.detail.spectrogram_loader`` to the `Spectrogram` (the dB image the view
  draws) returned by ``compute_spectrogram``, as the window's worker thread runs it
  (``in_process_s``), and the whole process (``process_s``, interpreter start included).

The recording is one of tests/real_music.py's (``lovin``: 3 minutes, fetched once into its cache).
Wall clock is what a user waits, but on a machine shared with other jobs it swings by tens of
percent from run to run; so each run's CPU time (user + system, the child and its threads:
``cpu_s``) is reported too, which compilation shows up in and other processes barely change, and
each repeat's cold run minus its warm neighbour (``paired_cold_minus_warm_s``).

``--checkout DIR`` times another checkout of Genrescope with this Python (e.g. one from before
issue 16, for the comparison). Each run also says whether librosa or numba was imported and how
many files the cold run left in its numba cache. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPECTROGRAM_CHILD = """
import json, sys, time
started = time.perf_counter()
from desktop_app.gui.detail.spectrogram_loader import compute_spectrogram
spectrogram = compute_spectrogram(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({"in_process_s": seconds, "frames": spectrogram.frames,
                  "librosa": "librosa" in sys.modules, "numba": "numba" in sys.modules}))
"""

ANALYZE_CHILD = """
import runpy, sys
try:
    runpy.run_module("desktop_app", run_name="__main__")
finally:
    print("IMPORTED", "librosa" in sys.modules, "numba" in sys.modules)
"""

CHECKPOINT_CHILD = """
import sys, torch
from desktop_app.inference.network import random_state_dict
torch.save(random_state_dict(1234), sys.argv[1])
"""


def cpu_model() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() in ("Model name", "model name"):
            return value.strip()
    return "unknown"


def run_child(checkout: Path, numba_dir: Path, data_dir: Path, argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of ``python argv`` with the checkout first on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "NUMBA_CACHE_DIR": str(numba_dir),
        "GENRESCOPE_DATA_DIR": str(data_dir),
        "QT_QPA_PLATFORM": "offscreen",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=checkout, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, cpu, done.stdout


def analyze(checkout: Path, numba_dir: Path, data_dir: Path, track: Path, weights: Path) -> dict[str, object]:
    argv = ["-c", ANALYZE_CHILD, "analyze", str(track), "--weights", str(weights), "--json"]
    seconds, cpu, out = run_child(checkout, numba_dir, data_dir, argv)
    _, librosa_loaded, numba_loaded = out.strip().splitlines()[-1].split()
    return {"s": seconds, "cpu_s": cpu, "librosa": librosa_loaded == "True", "numba": numba_loaded == "True"}


def first_spectrogram(checkout: Path, numba_dir: Path, data_dir: Path, track: Path) -> dict[str, object]:
    seconds, cpu, out = run_child(checkout, numba_dir, data_dir, ["-c", SPECTROGRAM_CHILD, str(track)])
    child = json.loads(out.strip().splitlines()[-1])
    return {
        "s": child["in_process_s"],
        "process_s": seconds,
        "cpu_s": cpu,
        "librosa": child["librosa"],
        "numba": child["numba"],
    }


def summary(runs: list[dict[str, object]], key: str = "s") -> dict[str, object]:
    values = [float(run[key]) for run in runs]  # type: ignore[arg-type]
    return {"median": round(statistics.median(values), 2), "runs": [round(v, 2) for v in values]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--recording", default="lovin", help="a key of tests/real_music.py (default: %(default)s)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the Genrescope checkout to time")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import soundfile

    from tests.real_music import BY_KEY, recording_path

    track = recording_path(BY_KEY[args.recording])
    checkout = args.checkout.resolve()
    with tempfile.TemporaryDirectory(prefix="genrescope-cold-") as scratch:
        work = Path(scratch)
        weights, data_dir, warm_numba = work / "random_vgg19_bn_cqt.pt", work / "data", work / "numba-warm"
        data_dir.mkdir()
        warm_numba.mkdir()
        run_child(checkout, warm_numba, data_dir, ["-c", CHECKPOINT_CHILD, str(weights)])
        # Unmeasured: fills the warm numba cache and the page cache (torch, the recording, the weights).
        analyze(checkout, warm_numba, data_dir, track, weights)
        first_spectrogram(checkout, warm_numba, data_dir, track)

        runs: dict[str, dict[str, list[dict[str, object]]]] = {
            "analyze": {"cold": [], "warm": []},
            "first_spectrogram": {"cold": [], "warm": []},
        }
        cold_cache_files: list[int] = []
        for repeat in range(args.repeats):
            order = ("cold", "warm") if repeat % 2 == 0 else ("warm", "cold")
            for task in ("analyze", "first_spectrogram"):
                for state in order:
                    numba_dir = (
                        Path(tempfile.mkdtemp(prefix="numba-cold-", dir=work)) if state == "cold" else warm_numba
                    )
                    load = os.getloadavg()[0]
                    if task == "analyze":
                        result = analyze(checkout, numba_dir, data_dir, track, weights)
                    else:
                        result = first_spectrogram(checkout, numba_dir, data_dir, track)
                    result["load_1min"] = round(load, 2)
                    runs[task][state].append(result)
                    if state == "cold":
                        cold_cache_files.append(sum(len(files) for _, _, files in os.walk(numba_dir)))

    report: dict[str, object] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "checkout": str(checkout),
        "recording": {"key": args.recording, "duration_s": round(soundfile.info(str(track)).duration, 1)},
        "repeats": args.repeats,
    }
    for task, by_state in runs.items():
        entry: dict[str, object] = {state: summary(state_runs) for state, state_runs in by_state.items()}
        if task == "first_spectrogram":
            entry["process_s"] = {state: summary(state_runs, "process_s") for state, state_runs in by_state.items()}
        entry["cpu_s"] = {state: summary(state_runs, "cpu_s") for state, state_runs in by_state.items()}
        entry["cold_minus_warm_s"] = round(entry["cold"]["median"] - entry["warm"]["median"], 2)  # type: ignore[index]
        # Each repeat's cold run against its warm neighbour: less exposed to load that drifts over the runs.
        paired = [float(c["s"]) - float(w["s"]) for c, w in zip(by_state["cold"], by_state["warm"])]  # type: ignore[arg-type]
        entry["paired_cold_minus_warm_s"] = summary([{"s": d} for d in paired])
        entry["load_1min"] = {state: [run["load_1min"] for run in state_runs] for state, state_runs in by_state.items()}
        entry["imported"] = {
            name: any(bool(run[name]) for state_runs in by_state.values() for run in state_runs)
            for name in ("librosa", "numba")
        }
        report[task] = entry
    report["cold_numba_cache_files"] = cold_cache_files
    report["load_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
