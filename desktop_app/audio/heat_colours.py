"""The colours of an explanation heatmap drawn over a magma spectrogram, for the CLI and the window.

Magma runs from black through purple and red to pale yellow, so the heat runs through colours
magma has not: deep blue, sky blue, mint green, white. Its opacity grows with the heat (as
heat ** 0.7, so middling heat still shows), so where the network did not look the spectrogram
stays as it is.
"""

from __future__ import annotations

import numpy as np

_ANCHORS = ((0.0, (0, 0, 160)), (0.35, (0, 160, 255)), (0.65, (90, 255, 160)), (1.0, (255, 255, 255)))


def _lut() -> np.ndarray:
    levels = np.linspace(0.0, 1.0, 256)
    positions = [a[0] for a in _ANCHORS]
    rgb = np.stack([np.interp(levels, positions, [a[1][c] for a in _ANCHORS]) for c in range(3)], axis=1)
    return np.concatenate([rgb, levels[:, None] ** 0.7 * 255], axis=1).round().astype(np.uint8)


HEAT_RGBA = _lut()
"""(256, 4) uint8: colour and alpha for heat 0..1 in 256 steps (alpha 0 at heat 0, 255 at 1)."""


def heat_index(heat: np.ndarray) -> np.ndarray:
    """uint8 LUT indices of heat values in [0, 1] (clipped)."""
    return np.clip(np.rint(np.asarray(heat, dtype=np.float32) * 255), 0, 255).astype(np.uint8)


def blend(rgb: np.ndarray, heat: np.ndarray, opacity: float) -> np.ndarray:
    """``rgb`` (h, w, 3) uint8 with ``heat`` (h, w) in [0, 1] laid over it at ``opacity`` (0..1)."""
    colour = HEAT_RGBA[heat_index(heat)].astype(np.float32)
    alpha = colour[..., 3:] / 255 * float(np.clip(opacity, 0.0, 1.0))
    mixed = rgb.astype(np.float32) * (1 - alpha) + colour[..., :3] * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
