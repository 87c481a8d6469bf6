"""Turn spectrogram windows into the exact tensors the reference demo feeds the network.

The reference draws each window with ``librosa.display.specshow``, saves it as a JPEG with
matplotlib and reads it back with PIL. This module paints the same pixels without matplotlib:

- colour: the window is scaled to its own min..max exactly as ``matplotlib.colors.Normalize``
  does (subtract and divide in float64, stored as float32; a constant window maps to 0), and the
  colour index is ``clip(int(x * 256), 0, 255)`` into magma as Agg paints it (`MAGMA_RGB`);
- geometry: the axes cover 496.0 x 369.6 device pixels and the saved image is their 496 x 369
  crop, the 0.6 px lost at the top. Every CQT bin is a 4.4 px band, low frequencies at the
  bottom; every frame a ``496 / frames`` px column. A pixel takes the colour of the cell that
  contains its centre, which is what Agg's unantialiased, pixel-snapped mesh does. (A centre
  lying exactly on a column edge happens only when the frame count is a multiple of 32, i.e.
  only for short clips; Agg then decides by float rounding, here the right-hand cell wins.)
- JPEG: Pillow's defaults (quality 75, 4:2:0), encoded and decoded, as matplotlib and PIL do;
- ``transforms.Resize([224, 224])`` on a PIL image is Pillow's antialiased bilinear resize;
  ``ToTensor`` and ``Normalize(0.5, 0.5)`` are ``(v / 255 - 0.5) / 0.5`` in float32.

Images are made one after the other: this Pillow holds the GIL while it codes JPEG, and a
thread pool measured no faster on two cores.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image

from desktop_app.audio.magma_lut import MAGMA_RGB

IMAGE_WIDTH = 496
IMAGE_HEIGHT = 369
# The axes are 369.6 px tall; in tenths of a pixel so the grid is integer arithmetic.
_AXES_HEIGHT_TENTHS = 3696
AXES_HEIGHT = _AXES_HEIGHT_TENTHS / 10
INPUT_SIZE = 224

_MAGMA = np.array(MAGMA_RGB, dtype=np.uint8)
# ToTensor then Normalize((0.5,)*3, (0.5,)*3), in torch's float32 order of operations.
_BYTE_TO_INPUT = ((np.arange(256, dtype=np.float32) / np.float32(255)) - np.float32(0.5)) / np.float32(0.5)


def colour_indices(windows: np.ndarray) -> np.ndarray:
    """uint8 magma indices of (n, bins, frames) float32 windows, each scaled to its own range."""
    low = windows.min(axis=(1, 2)).astype(np.float64)
    high = windows.max(axis=(1, 2)).astype(np.float64)
    spread = (high - low)[:, None, None]
    constant = spread == 0
    scaled = np.empty(windows.shape, dtype=np.float32)
    # Normalize works in place on the float32 data with float64 limits: two float64 operations,
    # each rounded back to float32.
    np.subtract(windows, low[:, None, None], out=scaled, casting="same_kind")
    np.divide(scaled, np.where(constant, 1.0, spread), out=scaled, casting="same_kind")
    np.copyto(scaled, 0.0, where=constant)
    scaled *= 256
    return np.clip(scaled, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _pixel_grid(bins: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """For each image row the CQT bin, for each column the frame, whose cell holds its centre."""
    # Row r's centre is (IMAGE_HEIGHT - r - 0.5) px above the axes' bottom edge.
    heights_twice = 2 * (IMAGE_HEIGHT - np.arange(IMAGE_HEIGHT)) - 1
    rows = (heights_twice * bins * 10) // (2 * _AXES_HEIGHT_TENTHS)
    # Column c's centre is c + 0.5 px from the left edge.
    cols = ((2 * np.arange(IMAGE_WIDTH) + 1) * frames) // (2 * IMAGE_WIDTH)
    return np.minimum(rows, bins - 1), np.minimum(cols, frames - 1)


def spectrogram_image(indices: np.ndarray) -> np.ndarray:
    """The (369, 496, 3) uint8 RGB picture of one window's colour indices, before JPEG."""
    rows, cols = _pixel_grid(*indices.shape)
    # Colour the small grid first, then widen it and stretch it: three cheap contiguous takes.
    return _MAGMA.take(indices, axis=0).take(cols, axis=1).take(rows, axis=0)


def _network_input(indices: np.ndarray, out: np.ndarray) -> None:
    """Write one window's network input into ``out`` (3, 224, 224)."""
    buffer = io.BytesIO()
    Image.fromarray(spectrogram_image(indices)).save(buffer, format="JPEG")
    buffer.seek(0)
    with Image.open(buffer, formats=("JPEG",)) as decoded:
        resized = decoded.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    np.take(_BYTE_TO_INPUT, np.asarray(resized).transpose(2, 0, 1), out=out)


def network_inputs(windows: np.ndarray) -> np.ndarray:
    """float32 (n, 3, 224, 224) inputs in [-1, 1] for (n, bins, frames) dB windows."""
    inputs = np.empty((windows.shape[0], 3, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    for indices, out in zip(colour_indices(windows), inputs):
        _network_input(indices, out)
    return inputs
