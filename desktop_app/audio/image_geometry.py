"""Where a point of the network's 224 × 224 input lies on the song: image pixel, CQT cell, time.

The network sees a window through the renderer's geometry (see `render`): CQT cells painted on
axes of 496.0 × 369.6 px (low bins at the bottom, every bin 369.6 / bins px tall, the top 0.6 px
cropped) make a 496 × 369 image, which an antialiased bilinear resize turns into 224 × 224. Both
steps scale continuous coordinates linearly, so a map computed on the input (a Grad-CAM grid)
is mapped back exactly, without Qt or torch, for the CLI and the window alike.

Coordinates are continuous with pixel and cell edges at integers: input (u, v) in [0, 224)²,
image (x, y) in [0, 496) × [0, 369) with y down, cell (frame, bin) with cell (k, b) spanning
[k, k + 1) × [b, b + 1) and bin 0 the lowest note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from desktop_app.audio.render import AXES_HEIGHT, IMAGE_HEIGHT, IMAGE_WIDTH, INPUT_SIZE


def input_to_image(u: np.ndarray | float, v: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Input coordinates to image coordinates (the resize scales each axis by a constant)."""
    return np.asarray(u) * (IMAGE_WIDTH / INPUT_SIZE), np.asarray(v) * (IMAGE_HEIGHT / INPUT_SIZE)


def image_to_input(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x) * (INPUT_SIZE / IMAGE_WIDTH), np.asarray(y) * (INPUT_SIZE / IMAGE_HEIGHT)


def image_to_cell(
    x: np.ndarray | float, y: np.ndarray | float, bins: int, frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """Image coordinates to (frame, bin) coordinates of a window of ``bins`` × ``frames`` cells.

    The image's bottom edge is the axes' bottom edge (the crop is at the top), so height above
    it, in units of a bin's 369.6 / bins px, is the bin coordinate.
    """
    return np.asarray(x) * (frames / IMAGE_WIDTH), (IMAGE_HEIGHT - np.asarray(y)) * (bins / AXES_HEIGHT)


def cell_to_image(
    frame: np.ndarray | float, bin_: np.ndarray | float, bins: int, frames: int
) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(frame) * (IMAGE_WIDTH / frames), IMAGE_HEIGHT - np.asarray(bin_) * (AXES_HEIGHT / bins)


def sample_grid(grid: np.ndarray, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Bilinear values at rows ``v`` × columns ``u`` (input coordinates) of a map that tiles the input.

    ``grid`` (h, w) holds one value per equal tile of the 224 × 224 input (14 × 14 for Grad-CAM,
    224 × 224 for a per-pixel map), each at its tile's centre, clamped beyond the outer centres:
    the convention of ``torch.nn.functional.interpolate(..., mode="bilinear", align_corners=False)``.
    """
    rows = _interpolation_matrix(np.asarray(v, dtype=np.float64), grid.shape[0])
    cols = _interpolation_matrix(np.asarray(u, dtype=np.float64), grid.shape[1])
    return (rows @ grid.astype(np.float64) @ cols.T).astype(np.float32)


def _interpolation_matrix(points: np.ndarray, size: int) -> np.ndarray:
    """(len(points), size) linear interpolation weights over tile centres for input coordinates."""
    position = np.clip(points * (size / INPUT_SIZE) - 0.5, 0.0, size - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, size - 1)
    frac = position - low
    weights = np.zeros((points.size, size))
    np.add.at(weights, (np.arange(points.size), low), 1.0 - frac)
    np.add.at(weights, (np.arange(points.size), high), frac)
    return weights


def grid_to_image(grid: np.ndarray) -> np.ndarray:
    """A map over the input as the (369, 496) image it stands for, sampled at pixel centres."""
    u, v = image_to_input(np.arange(IMAGE_WIDTH) + 0.5, np.arange(IMAGE_HEIGHT) + 0.5)
    return sample_grid(grid, v, u)


@dataclass(frozen=True)
class WindowGeometry:
    """One analysis window's place in its song: which CQT frames it shows and how long a frame is."""

    first_frame: int
    frames: int
    bins: int
    frame_seconds: float

    def cell_centres_in_input(self) -> tuple[np.ndarray, np.ndarray]:
        """Input coordinates (v per bin, u per frame) of every cell's centre, bin 0 first."""
        x, y = cell_to_image(np.arange(self.frames) + 0.5, np.arange(self.bins) + 0.5, self.bins, self.frames)
        u, v = image_to_input(x, y)
        return v, u

    def grid_to_cells(self, grid: np.ndarray) -> np.ndarray:
        """A map over the input on this window's cells: (bins, frames), bin 0 (lowest) first."""
        v, u = self.cell_centres_in_input()
        return sample_grid(grid, v, u)

    def input_to_song(self, u: float, v: float) -> tuple[float, int]:
        """(seconds in the song, CQT bin) of the input point (u, v); frame k sits at k · frame_seconds."""
        x, y = input_to_image(u, v)
        frame, bin_ = image_to_cell(x, y, self.bins, self.frames)
        seconds = (self.first_frame + float(frame) - 0.5) * self.frame_seconds
        return seconds, min(max(math.floor(float(bin_)), 0), self.bins - 1)
