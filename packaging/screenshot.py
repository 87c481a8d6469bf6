"""Render the real main window over real music into docs/screenshot.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshot.py [--out docs/screenshot.png]

Everything happens in a temporary data folder. The 18 free recordings the tests use (Debian
packages of free games, fetched once with apt-get download: tests/real_music.py names each
piece, its composer or performer and its licence) are copied in with their titles written into
their tags, the window scans them and its analysis queue runs the built-in tagger over them, so
every genre in the picture is a real prediction of the shipped MusiCNN weights. One track is
selected so the detail panel shows its spectrogram, broad genres and tags, and the Similar tracks
pane the recordings that sound most like it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELECTED = "armygeddon"


def write_library(folder: Path) -> None:
    """The recordings under ``folder``/<composer>/, each titled and credited in its tags."""
    from mutagen.oggvorbis import OggVorbis

    from tests.real_music import EVERY_RECORDING, recording_path

    for recording in EVERY_RECORDING:
        artist = recording.composer.split(" (")[0]
        path = folder / artist / f"{recording.key}.ogg"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(recording_path(recording), path)
        tags = OggVorbis(path)
        tags["title"] = recording.title
        tags["artist"] = artist
        tags["copyright"] = f"{recording.licence} (Debian package {recording.package} {recording.version})"
        tags.save()


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
    from tests.real_music import EVERY_RECORDING

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

    window.analysis_commands.analyse_all()  # the built-in tagger: real broad genres and tags
    wait(lambda: window.table_model.rowCount() == len(EVERY_RECORDING) and window.is_idle()
         and not window.analysis.busy and window.sidebar.item_for(Scope("not_analysed")).text(1) == "0", 600)
    row = next(r for r in range(window.table_model.rowCount())
               if Path(window.table_model.row(r).path).stem == SELECTED)
    window.table.selectRow(row)
    wait(lambda: window.detail.spectrogram_view.spectrogram() is not None, 120)
    wait(lambda: window.is_idle() and window.similar.list.count() > 0 and not window.similar.busy)
    settle = time.monotonic() + 0.5
    wait(lambda: time.monotonic() > settle)  # let the last paints and layouts happen
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(args.out)
    print(f"wrote {args.out} ({width}x{height}); library in {work} at {datetime.now():%H:%M:%S}")
    window.close()
    library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
