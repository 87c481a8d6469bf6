"""Render the real main window with a generated library into docs/screenshot.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshot.py [--out docs/screenshot.png]

Everything happens in a temporary data folder: generated music (synthesised melodies, bass and
drums, tagged FLAC files) is scanned by the window itself, and one track is selected so the
detail panel shows its spectrogram. No trained model can be downloaded on the build machines, so
the predictions in the picture are synthetic, stored under a model with origin ``test``: the
window labels them as test data, exactly as it does for any test model.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RATE = 22050
SECONDS = 60.0
SELECTED_TITLE = "Harbour Lights"

LIBRARY = [  # title, artist, album, tag genre, year, predicted genre key
    ("Harbour Lights", "The Lanterns", "Night Ferries", "Indie Pop", 2014, "Classic_indie_pop"),
    ("Paper Boats", "The Lanterns", "Night Ferries", "Indie Pop", 2014, "Classic_indie_pop"),
    ("Quiet Engines", "The Lanterns", "Night Ferries", "Indie Pop", 2014, "Soft_rock"),
    ("Glasshouse", "Mira Sol", "Afterglow", "Pop", 2019, "Dance_pop"),
    ("Neon Tide", "Mira Sol", "Afterglow", "Pop; Dance", 2019, "Contemporary_dance_pop"),
    ("Slow Burn", "Mira Sol", "Afterglow", "Pop", 2019, "Pop_vocal_ballad"),
    ("Allegro in G", "Northern Strings", "Seasons", "Classical", 2008, "Chamber"),
    ("Largo", "Northern Strings", "Seasons", "Classical", 2008, "Symphony"),
    ("Aria", "Northern Strings", "Seasons", "Classical", 2008, "Opera"),
    ("Open Road", "Dust & Diesel", "Mile Markers", "Rock", 2003, "Uplifting_anthemic_rock"),
    ("Rust Belt", "Dust & Diesel", "Mile Markers", "Rock", 2003, "Adult_alternative_rock"),
    ("Late Shift", "Dust & Diesel", "Mile Markers", "Rock", 2003, "Soft_rock"),
    ("Velvet Hours", "Cora Vance", "Slow Motion", "R&B", 2016, "Soul_or_r_and_b"),
    ("Honey Static", "Cora Vance", "Slow Motion", "R&B; Soul", 2016, "Soul_or_r_and_b"),
    ("Campfire", "Wren", "Pinewood", "Folk", 2021, "Acoustic_pop"),
    ("Cabaret Noir", "Madame Étoile", "Le Salon", "Chanson", 2011, "Chamber_cabaret_and_art_pop"),
    ("Summer Crush", "Starlit", "Sixteen", "Pop", 2022, "Teen_pop"),
    ("Morning Coffee", "Sunday Club", "Easy", "Adult Contemporary", 2010, None),
]


def synthesise(seed: int, seconds: float = SECONDS) -> np.ndarray:
    """A minute of music-like audio: a melody with harmonics, a bass line, kick and hi-hat."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n, dtype=np.float64)
    tempo = rng.uniform(80, 140)
    beat = 60.0 / tempo
    root = 220.0 * 2 ** (rng.integers(-5, 6) / 12)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    brightness = rng.uniform(0.3, 0.8)
    start = 0.0
    while start < seconds:
        length = beat * rng.choice([0.5, 1, 1, 2])
        freq = root * 2 ** (rng.choice(scale) / 12)
        i0, i1 = int(start * SAMPLE_RATE), min(n, int((start + length) * SAMPLE_RATE))
        local = t[i0:i1] - start
        envelope = np.exp(-local * rng.uniform(1.5, 4.0))
        for harmonic in range(1, 7):
            out[i0:i1] += 0.18 * brightness ** (harmonic - 1) * np.sin(2 * np.pi * freq * harmonic * local) * envelope
        start += length
    bass_freq = root / 4
    for k, bar_start in enumerate(np.arange(0, seconds, 4 * beat)):
        i0, i1 = int(bar_start * SAMPLE_RATE), min(n, int((bar_start + 4 * beat) * SAMPLE_RATE))
        f = bass_freq * 2 ** ([0, 5, 7, 3][k % 4] / 12)
        out[i0:i1] += 0.25 * np.sin(2 * np.pi * f * (t[i0:i1] - bar_start))
    if rng.random() < 0.8:  # drums, except in the quieter pieces
        for hit in np.arange(0, seconds, beat):
            i0 = int(hit * SAMPLE_RATE)
            k = np.arange(min(n - i0, int(0.25 * SAMPLE_RATE)))
            out[i0 : i0 + len(k)] += 0.5 * np.sin(2 * np.pi * (50 + 80 * np.exp(-k / 800)) * k / SAMPLE_RATE) * np.exp(-k / 2500)
            j0 = int((hit + beat / 2) * SAMPLE_RATE)
            m = np.arange(min(max(n - j0, 0), int(0.05 * SAMPLE_RATE)))
            out[j0 : j0 + len(m)] += 0.08 * rng.standard_normal(len(m)) * np.exp(-m / 300)
    fade = np.minimum(1.0, np.minimum(t / 2.0, (seconds - t) / 3.0))
    out *= fade
    return (0.8 * out / np.max(np.abs(out))).astype(np.float32)


def write_library(folder: Path) -> None:
    import soundfile as sf
    from mutagen.flac import FLAC

    for i, (title, artist, album, genre, year, _) in enumerate(LIBRARY):
        path = folder / artist / album / f"{i + 1:02d} {title}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, synthesise(i), SAMPLE_RATE, format="FLAC")
        tags = FLAC(path)
        tags.update({"title": title, "artist": artist, "album": album, "genre": genre, "date": str(year),
                     "tracknumber": str(i + 1)})
        tags.save()


def store_synthetic_predictions(library) -> None:  # noqa: ANN001 - Library, imported late
    """Analyses shaped like real ones (peaked probabilities, a window timeline), origin ``test``."""
    from sqlalchemy import select

    from desktop_app.genres.ccmusic import GENRE_KEYS
    from desktop_app.library import analyses
    from desktop_app.library.models import Track

    rng = np.random.default_rng(7)
    with library.engine.connect() as conn:
        by_title = {row.title: row.id for row in conn.execute(select(Track.id, Track.title))}
    with library.writer.begin() as conn:
        model_id = analyses.register_model(
            conn, "5" * 64, "TEST data (synthetic predictions for the screenshot, not a model's output)", "test",
            GENRE_KEYS,
        )
        results = []
        for title, *_rest, key in LIBRARY:
            if key is None:
                continue
            main = GENRE_KEYS.index(key)
            windows = []
            for w in range(5):
                alpha = np.full(len(GENRE_KEYS), 0.3)
                alpha[main] = rng.uniform(3, 12)
                if w in (1, 3):
                    alpha[(main + 1) % len(GENRE_KEYS)] = 4
                windows.append(rng.dirichlet(alpha))
            probs = np.mean(windows, axis=0)
            top = int(np.argmax(probs))
            results.append((by_title[title], analyses.AnalysisRecord(
                top1=GENRE_KEYS[top], confidence=float(probs[top]), majority=GENRE_KEYS[top],
                probabilities=[round(float(p), 6) for p in probs],
                window_probabilities=[[round(float(p), 5) for p in row] for row in windows],
                window_count=5, short_clip=False, silent=False, device="cpu", seconds=1.0,
            )))
        analyses.save_analyses(conn, model_id, results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--size", default="1440x860", help="window size WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    work = Path(tempfile.mkdtemp(prefix="genrescope-screenshot-"))
    os.environ["GENRESCOPE_DATA_DIR"] = str(work / "data")
    os.environ.pop("GENRESCOPE_WEIGHTS", None)
    sys.path.insert(0, str(ROOT))
    music = work / "Music"
    write_library(music)

    from PySide6.QtCore import QEventLoop, QTimer

    from desktop_app.gui.app import application
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.settings import AppSettings
    from desktop_app.library.browse import Scope
    from desktop_app.library.database import open_library
    from desktop_app.library.scanner import Scanner

    _app = application()  # the QApplication must stay referenced while the window lives
    library = open_library(work / "data" / "library.sqlite3")
    Scanner(library, workers=1).scan([music])
    store_synthetic_predictions(library)

    window = MainWindow(library, AppSettings())
    window.resize(width, height)
    window.splitter.setSizes([240, width - 240 - 420, 420])
    window.show()

    def wait(condition: Callable[[], bool], seconds: float = 60.0) -> None:
        """Run the event loop until ``condition()`` holds, checking every 50 ms."""
        deadline = time.monotonic() + seconds
        loop = QEventLoop()
        timer = QTimer()

        def check() -> None:
            if condition() or time.monotonic() > deadline:
                loop.quit()

        timer.timeout.connect(check)
        timer.start(50)
        loop.exec()
        timer.stop()
        if not condition():
            raise TimeoutError("the window did not get there in time")

    wait(lambda: window.table_model.rowCount() == len(LIBRARY) and window.is_idle())
    window.sidebar.item_for(Scope("artist", LIBRARY[0][1])).parent().setExpanded(True)
    row = next(r for r in range(window.table_model.rowCount()) if window.table_model.row(r).title == SELECTED_TITLE)
    window.table.selectRow(row)
    wait(lambda: window.detail.spectrogram_view.spectrogram() is not None, 120)
    wait(window.is_idle)
    settle = time.monotonic() + 0.5
    wait(lambda: time.monotonic() > settle)  # let the last paints and layouts happen
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(args.out)
    print(f"wrote {args.out} ({width}x{height}); generated library in {work} at {datetime.now():%H:%M:%S}")
    window.close()
    library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
