"""Explaining a song's genre: Grad-CAM per analysis window, placed on the song's time and notes.

One forward pass per window leaves its `WindowEvidence` (probabilities and last-stage
activations); `explain` derives from it the Grad-CAM of any genre by running only the network's
head, and an `Explanation` puts the map on the window's CQT cells, in song time and on notes
through `image_geometry`. The CLI and the window share all of it; the window keeps evidence per
track, model and window in a `BoundedCache`, so choosing another genre or coming back to a track
recomputes nothing. `Peak` and `local_maxima` serve the built-in tagger's explanations too
(`explain_tagger`), so both networks' heat is reported the same way: seconds, Hz, note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.audio.cqt_layout import HOP_LENGTH, SAMPLE_RATE, bin_frequency
from desktop_app.audio.heat_colours import blend
from desktop_app.audio.image_geometry import WindowGeometry, grid_to_image
from desktop_app.audio.pitch import hz_to_note
from desktop_app.audio.render import INPUT_SIZE, colour_indices, spectrogram_image
from desktop_app.audio.windows import window_layout
from desktop_app.genres.ccmusic import GENRES, Genre
from desktop_app.inference.bounded_cache import BoundedCache
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.gradcam import grad_cams, last_stage

EVIDENCE_CACHE_BYTES = 128 * 1024 * 1024  # ~320 windows of 512 x 14 x 14 float32: a long album
HEAD_CHUNK = 32  # windows per Grad-CAM head pass
PEAK_FLOOR = 0.5  # local maxima below half the window's strongest heat are not reported


@dataclass(frozen=True, eq=False)
class WindowEvidence:
    """What the network computed for one window, enough to explain any genre."""

    window: int
    geometry: WindowGeometry
    probabilities: np.ndarray
    """(16,) softmax probabilities."""
    activations: np.ndarray
    """(512, 14, 14) float32 at the last convolution."""

    @property
    def nbytes(self) -> int:
        return self.activations.nbytes + self.probabilities.nbytes


@dataclass(frozen=True)
class Peak:
    """A local maximum of a heatmap: where in the song and at which frequency (any network's)."""

    seconds: float
    hz: float
    heat: float

    @property
    def note(self) -> str:
        """The nearest note's scientific pitch name ("A4" for 440 Hz)."""
        return hz_to_note(self.hz)


def local_maxima(grid: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """(row, col) of the ``limit`` strongest local maxima (8-neighbourhood) of a [0, 1] map at or
    above `PEAK_FLOOR`, strongest first."""
    rows, cols = grid.shape
    padded = np.pad(grid, 1, constant_values=-np.inf)
    neighbours = np.max(
        [padded[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx],
        axis=0,
    )
    found = np.argwhere((grid >= neighbours) & (grid >= PEAK_FLOOR))
    return [(int(r), int(c)) for r, c in sorted(found, key=lambda rc: -grid[rc[0], rc[1]])[:limit]]


@dataclass(frozen=True, eq=False)
class Explanation:
    """The Grad-CAM of ``genre`` on one window."""

    evidence: WindowEvidence
    genre: Genre
    cam: np.ndarray
    """(14, 14) in [0, 1] over the network input, row 0 at the top (highest notes)."""

    @property
    def window(self) -> int:
        return self.evidence.window

    @property
    def geometry(self) -> WindowGeometry:
        return self.evidence.geometry

    def cells(self) -> np.ndarray:
        """The heat on the window's CQT cells: (bins, frames), bin 0 (lowest) first."""
        return self.geometry.grid_to_cells(self.cam)

    def cqt_cells(self) -> tuple[int, np.ndarray]:
        """(first CQT frame, heat on the CQT cells from there): where the overlay draws this window."""
        return self.geometry.first_frame, self.cells()

    def peaks(self, limit: int = 3) -> list[Peak]:
        """The strongest local maxima of the map, strongest first."""
        rows, cols = self.cam.shape
        tile_v, tile_u = INPUT_SIZE / rows, INPUT_SIZE / cols
        peaks = []
        for row, col in local_maxima(self.cam, limit):
            seconds, bin_ = self.geometry.input_to_song((col + 0.5) * tile_u, (row + 0.5) * tile_v)
            peaks.append(Peak(seconds, bin_frequency(bin_), float(self.cam[row, col])))
        return peaks


def window_geometries(bins: int, total_frames: int, sample_count: int) -> list[WindowGeometry]:
    """Where each analysis window of a song lies, from the same layout the analysis uses."""
    layout = window_layout(total_frames, sample_count)
    return [
        WindowGeometry(layout.begin + w * layout.step, layout.step, bins, HOP_LENGTH / SAMPLE_RATE)
        for w in range(layout.count)
    ]


def gather_evidence(
    classifier: GenreClassifier,
    windows: Sequence[int],
    inputs: np.ndarray,
    geometries: Sequence[WindowGeometry],
) -> list[WindowEvidence]:
    """Run the network on ``inputs`` [n, 3, 224, 224] of ``windows`` (placed at ``geometries``)."""
    if not len(windows) == len(inputs) == len(geometries):
        raise ValueError("windows, inputs and geometries must have the same length")
    evidence: list[WindowEvidence] = []
    for start in range(0, len(windows), classifier.batch_size):
        stop = start + classifier.batch_size
        activations, logits = last_stage(classifier.network, classifier.input_tensor(inputs[start:stop]))
        for window, geometry, acts, probabilities in zip(
            windows[start:stop], geometries[start:stop], activations, _softmax(logits)
        ):
            evidence.append(WindowEvidence(window, geometry, probabilities, acts))
    return evidence


def explain(classifier: GenreClassifier, evidence: Sequence[WindowEvidence], genre: Genre) -> list[Explanation]:
    """The Grad-CAM of ``genre`` for each window of ``evidence``."""
    explanations: list[Explanation] = []
    for start in range(0, len(evidence), HEAD_CHUNK):
        chunk = evidence[start : start + HEAD_CHUNK]
        cams = grad_cams(classifier.network, np.stack([e.activations for e in chunk]), [genre.index] * len(chunk))
        explanations += [Explanation(e, genre, cam) for e, cam in zip(chunk, cams)]
    return explanations


def predicted_genre(evidence: Sequence[WindowEvidence]) -> Genre:
    """The genre with the highest mean probability over these windows (the song's top-1 for all)."""
    mean = np.mean([e.probabilities for e in evidence], axis=0, dtype=np.float64)
    return GENRES[int(np.argmax(mean))]


def evidence_cache(max_bytes: int = EVIDENCE_CACHE_BYTES) -> BoundedCache[WindowEvidence]:
    """A cache for evidence, keyed by (track, model SHA-256, window) in the window."""
    return BoundedCache(lambda e: e.nbytes, max_bytes=max_bytes)


def overlay_image(window_db: np.ndarray, explanation: Explanation, opacity: float) -> np.ndarray:
    """(369, 496, 3) uint8: the window as the network saw it (before JPEG) with the heat laid over."""
    base = spectrogram_image(colour_indices(window_db[np.newaxis])[0])
    return blend(base, grid_to_image(explanation.cam), opacity)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
