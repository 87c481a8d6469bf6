"""Render the whole window offscreen at 1280 × 800 and 1920 × 1080, to check that nothing is cut.

The generated 40 s track of render_detail_panel.py is dropped into an empty library and tagged by
the built-in tagger, as a person's first track would be; a CCMusic analysis from a test model is
added so both Top-5s show. The pictures then hold the crowded states: the longest kind of hover
readout (a lane band), the tagger's Explain row, and scan progress with a four-digit count.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python docs/render_window_sizes.py [out-folder]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS)]

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from render_detail_panel import fake_test_analysis, synthesize, wait_until  # noqa: E402

SIZES = ((1280, 800), (1920, 1080))
TEST_SHA256 = "3f2a9c0d11e7" + "0" * 52


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["GENRESCOPE_DATA_DIR"] = folder  # never the user's settings, library or models
        app = QApplication.instance() or QApplication(sys.argv)
        from desktop_app.genres.ccmusic import GENRE_KEYS
        from desktop_app.gui.main_window import MainWindow
        from desktop_app.gui.settings import AppSettings
        from desktop_app.library.analyses import register_model, save_analyses
        from desktop_app.library.database import open_library

        song = Path(folder) / "Generated Song.wav"
        synthesize(song)
        library = open_library(Path(folder) / "library.sqlite3")
        window = MainWindow(library, AppSettings(Path(folder) / "settings.ini"))
        window.show()
        window.intake.add_paths([str(song)])
        wait_until(lambda: window.table_model.rowCount() == 1 and not window.analysis.busy and window.is_idle())
        track_id = window.table.current_track_id()
        assert track_id is not None
        with library.writer.begin() as conn:
            model = register_model(conn, TEST_SHA256, fake_test_analysis(3).model_label or "", "test", GENRE_KEYS)
            save_analyses(conn, model, [(track_id, fake_test_analysis(3))])
        window.services.events.modelsChanged.emit()
        window.services.events.analysesChanged.emit([track_id])
        detail = window.detail
        wait_until(lambda: detail.spectrogram_view.spectrogram() is not None and detail.ccmusic_view.entries() != [])
        detail.explain.model_box.setCurrentIndex(1)  # a tagger: its tags, with their probabilities
        window.status_bar.show_progress(1234, 3400, "Reading tags %v / %m")
        out.mkdir(parents=True, exist_ok=True)
        for width, height in SIZES:
            window.resize(width, height)
            app.processEvents()
            view = detail.spectrogram_view
            box = view.plot_widget.getPlotItem().getViewBox()
            # Over the notes: time, note, level and both timelines' bands, the longest kind of readout.
            view.plot_widget.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(18.0, 45.5)))
            app.processEvents()
            path = out / f"window-{width}x{height}.png"
            if not window.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            print(f"wrote {path}")
        window.close()
        library.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()))
