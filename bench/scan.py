"""Scanner throughput: first scan and unchanged rescan of a generated library. Prints JSON.

    .venv/bin/python bench/scan.py [--files 10000] [--executors process,thread,inline]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.library.database import open_library  # noqa: E402
from desktop_app.library.scanner import Scanner  # noqa: E402
from tests.audio_files import tag_file, write_audio  # noqa: E402


def build_library(root: Path, count: int) -> None:
    """Small tagged files in album folders: a quarter each MP3, FLAC, OGG and WAV."""
    templates = [write_audio(root / f"template{ext}", seconds=0.5) for ext in (".mp3", ".flac", ".ogg", ".wav")]
    for i in range(count):
        template = templates[i % 4]
        target = root / f"Artist {i // 200}" / f"Album {i // 20}" / f"{i:05} Track{template.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        tag_file(target, title=f"Track {i}", artist=f"Artist {i // 200}", album=f"Album {i // 20}",
                 genre="Rock; Pop" if i % 3 else "Jazz", tracknumber=str(i % 20 + 1))
    for template in templates:
        template.unlink()


def measure(music: Path, workdir: Path, executor: str, count: int) -> dict[str, float]:
    db = workdir / f"{executor}.sqlite3"
    workers = 1 if executor == "inline" else os.cpu_count() or 1
    library = open_library(db)
    scanner = Scanner(library, workers=workers, executor=executor)
    started = time.perf_counter()
    first = scanner.scan([music])
    first_s = time.perf_counter() - started
    assert first.added == count, first.as_json()
    started = time.perf_counter()
    again = scanner.scan([music])
    rescan_s = time.perf_counter() - started
    assert again.unchanged == count
    library.close()
    return {
        "first_scan_seconds": round(first_s, 3),
        "first_scan_files_per_s": round(count / first_s),
        "rescan_seconds": round(rescan_s, 3),
        "rescan_files_per_s": round(count / rescan_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--executors", default="process,thread,inline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        music = Path(tmp) / "music"
        started = time.perf_counter()
        build_library(music, args.files)
        build_s = time.perf_counter() - started
        results = {ex: measure(music, Path(tmp), ex, args.files) for ex in args.executors.split(",")}
    print(json.dumps({"files": args.files, "cpus": os.cpu_count(), "build_seconds": round(build_s, 1),
                      "executors": results}, indent=2))


if __name__ == "__main__":
    main()
