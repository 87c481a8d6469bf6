"""Render the detail panel with the Grad-CAM overlay offscreen into docs/explain.png, to look at it.

The generated 40 s track of render_detail_panel.py, analysed and explained by a checkpoint of
the exact architecture with random weights (the trained one cannot be downloaded on the build
machines), saved and loaded like any model with origin ``test``, so the picture shows how the
panel flags it. Optionally the activation explorer too (docs/activations.png).
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python docs/render_explain.py [explain.png [activations.png]]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS)]

from PySide6.QtWidgets import QApplication  # noqa: E402
from render_detail_panel import SECONDS, synthesize, wait_until  # noqa: E402

from desktop_app.audio.prepare import prepare_track  # noqa: E402
from desktop_app.inference.engine import GenreClassifier  # noqa: E402
from desktop_app.inference.network import random_state_dict  # noqa: E402
from desktop_app.library.analyses import StoredAnalysis  # noqa: E402
from desktop_app.library.browse import TrackDetail  # noqa: E402


def analysis_of(classifier: GenreClassifier, path: Path) -> StoredAnalysis:
    """The analysis row the window would store for ``path``."""
    prepared = prepare_track(path)
    song = classifier.classify(prepared.inputs)
    return StoredAnalysis(
        top1=song.top1.key, confidence=song.confidence, majority=song.majority.key,
        probabilities=song.window_probs.mean(axis=0).tolist(), window_probabilities=song.window_probs.tolist(),
        window_count=song.n_windows, short_clip=prepared.short_clip, silent=prepared.silent,
        error=None, model_label=classifier.identity.label, model_origin=classifier.identity.origin,
    )


def main(out: Path, explorer_out: Path | None) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    from desktop_app.gui.detail import DetailPanel

    with tempfile.TemporaryDirectory() as folder:
        song, weights = Path(folder) / "generated.wav", Path(folder) / "random-test-weights.pt"
        synthesize(song)
        torch.save(random_state_dict(1234), weights)
        classifier = GenreClassifier.from_file(weights, origin="test", device="cpu")
        panel = DetailPanel()
        panel.resize(900, 780)
        panel.set_classifier_source(lambda: classifier)
        panel.show()
        panel.show_track(TrackDetail(id=1, path=str(song), title="Generated Song", artist="Test Artist",
                                     album="Synth Album", duration=SECONDS, analysis=analysis_of(classifier, song)))
        wait_until(lambda: panel.spectrogram_view.spectrogram() is not None)
        panel.explain.toggle.setChecked(True)
        wait_until(lambda: "raised" in panel.explain.status.text(), 120_000)
        panel.spectrogram_view.set_playhead(17.0)
        app.processEvents()
        panel.grab().save(str(out))
        print(f"wrote {out}")
        if explorer_out is not None:
            panel.open_activation_explorer()
            explorer = panel.explain.explorer
            wait_until(lambda: explorer.result() is not None, 120_000)
            explorer.stage_box.setCurrentIndex(1)
            app.processEvents()
            explorer.grab().save(str(explorer_out))
            print(f"wrote {explorer_out}")
        panel.player.load(None)


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS / "explain.png",
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
