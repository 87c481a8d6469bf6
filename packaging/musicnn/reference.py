"""The original musicnn's tags for the real test recordings: tests/data/musicnn_reference.json.

    python3 packaging/musicnn/reference.py [--venv DIR] [--out FILE]

Any Python 3.10+ starts it; it re-runs itself in the throwaway venv holding the original
(throwaway_venv.py; created under a temp dir unless ``--venv`` names one), which fetches the
recordings of tests/real_music.py (stdlib-only for this reason) and tags each with the original
code, exactly as its ``tagger.top_tags`` does:
``musicnn.extractor.extractor(file, model=MODEL, input_length=3, extract_features=False)``,
then ``taggram.mean(axis=0)``, the song-level tag probabilities. For each model (MSD_musicnn,
MTT_musicnn and the VGG baselines MSD_vgg, MTT_vgg) and recording the file stores the package
and member it came from, the audio's SHA-256, the patch count, the 50 probabilities rounded to
6 decimals, and the Top-5 tags (ties broken by tag order). tests/inference/musicnn/test_port.py holds the
PyTorch pipeline to these figures.

The timings it prints (the original's whole extractor call per track: graph, session, checkpoint,
librosa and TensorFlow) are not stored: they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_OUT = REPO / "tests" / "data" / "musicnn_reference.json"
MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")
INPUT_LENGTH = 3
DECIMALS = 6


def top_k(probabilities: list[float], labels: list[str], k: int = 5) -> list[str]:
    """The ``k`` most probable tags, highest first; equal probabilities keep tag order."""
    order = sorted(range(len(labels)), key=lambda i: (-probabilities[i], i))
    return [labels[i] for i in order[:k]]


def run_original(out: Path) -> None:
    """(In the throwaway venv.) Tag every recording with both original models; write ``out``."""
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", category=UserWarning)
    sys.path.insert(0, str(REPO))
    import librosa
    import numpy as np
    import tensorflow as tf
    from musicnn.extractor import extractor

    from tests.real_music import all_recordings

    recordings = all_recordings()
    result: dict[str, object] = {
        "generator": "packaging/musicnn/reference.py",
        "original": {
            "musicnn": "0.1.0",
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
            "librosa": librosa.__version__,
            "call": f"musicnn.extractor.extractor(file, model=MODEL, input_length={INPUT_LENGTH}, "
            "extract_features=False); taggram.mean(axis=0)",
        },
        "models": {},
    }
    for model in MODELS:
        entries = []
        for recording, path in recordings:
            start = time.perf_counter()
            taggram, labels = extractor(str(path), model=model, input_length=INPUT_LENGTH, extract_features=False)
            seconds = time.perf_counter() - start
            song = np.asarray(taggram).mean(axis=0)
            probabilities = [round(float(p), DECIMALS) for p in song]
            entries.append({
                "key": recording.key,
                "package": recording.package,
                "version": recording.version,
                "member": recording.member,
                "sha256": recording.sha256,
                "patches": int(taggram.shape[0]),
                "probabilities": probabilities,
                "top5": top_k([float(p) for p in song], list(labels)),
            })
            print(f"{model} {recording.key}: {taggram.shape[0]} patches in {seconds:.2f} s "
                  f"({seconds / taggram.shape[0] * 1000:.0f} ms/patch); top-5 {entries[-1]['top5']}", flush=True)
        result["models"][model] = {"labels": list(labels), "recordings": entries}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, help="the throwaway venv to use or create (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument("--in-venv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_venv:
        run_original(args.out)
        return 0
    sys.path.insert(0, str(HERE))
    from throwaway_venv import ensure_venv, venv_python

    venv = ensure_venv(args.venv)
    command = [str(venv_python(venv)), str(Path(__file__).resolve()), "--in-venv", "--out", str(args.out)]
    return subprocess.run(command, cwd=REPO).returncode


if __name__ == "__main__":
    raise SystemExit(main())
