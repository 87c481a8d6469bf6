"""The heatmap geometry: network input (224 × 224) → 496 × 369.6 px image → CQT cells → song time.

Checked against the real renderer: synthetic windows whose cells carry their own bin or frame
number are painted, and every pixel must land in the cell the geometry says; a bright block
painted, JPEG-coded and resized like the network's input must map back onto its own cells.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from desktop_app.audio.cqt import HOP_LENGTH, SAMPLE_RATE
from desktop_app.audio.image_geometry import (
    WindowGeometry,
    cell_to_image,
    grid_to_image,
    image_to_cell,
    input_to_image,
    sample_grid,
)
from desktop_app.audio.magma_lut import MAGMA_RGB
from desktop_app.audio.render import AXES_HEIGHT, IMAGE_HEIGHT, IMAGE_WIDTH, network_inputs, spectrogram_image
from desktop_app.audio.windows import split_windows
from desktop_app.inference.explain import window_geometries

SECONDS_PER_FRAME = HOP_LENGTH / SAMPLE_RATE
_DECODE = {rgb: index for index, rgb in enumerate(MAGMA_RGB)}


def _painted_indices(indices: np.ndarray) -> np.ndarray:
    """The colour index of every pixel of the renderer's picture of ``indices`` (bins, frames)."""
    image = spectrogram_image(indices.astype(np.uint8))
    return np.array([[_DECODE[tuple(int(c) for c in px)] for px in row] for row in image])


@pytest.mark.parametrize("frames", [491, 300, 496])
def test_every_pixel_lies_in_the_cell_the_geometry_names(frames: int) -> None:
    bins = 84
    by_bin = np.repeat(np.arange(bins)[:, None], frames, axis=1)
    by_frame = np.repeat((np.arange(frames) % 256)[None, :], bins, axis=0)
    x, y = np.meshgrid(np.arange(IMAGE_WIDTH) + 0.5, np.arange(IMAGE_HEIGHT) + 0.5)
    frame, bin_ = image_to_cell(x, y, bins, frames)
    assert np.array_equal(_painted_indices(by_bin), np.floor(bin_).astype(int))
    assert np.array_equal(_painted_indices(by_frame), np.floor(frame).astype(int) % 256)


def test_the_crop_is_at_the_top_and_bins_are_4_4_px() -> None:
    assert AXES_HEIGHT == pytest.approx(369.6)
    assert AXES_HEIGHT / 84 == pytest.approx(4.4)
    # Bottom edge of the image = bottom of bin 0; top edge = 0.6 px below the top of bin 83.
    assert image_to_cell(0.0, IMAGE_HEIGHT, 84, 491)[1] == 0.0
    assert image_to_cell(0.0, 0.0, 84, 491)[1] == pytest.approx(84 - 0.6 / 4.4)
    assert cell_to_image(491, 84, 84, 491) == pytest.approx((IMAGE_WIDTH, -0.6))
    # The input's centre is the image's centre.
    assert input_to_image(112, 112) == pytest.approx((IMAGE_WIDTH / 2, IMAGE_HEIGHT / 2))


def test_sample_grid_is_torch_bilinear_upsampling() -> None:
    grid = np.random.default_rng(0).random((14, 14)).astype(np.float32)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(grid)[None, None], size=(224, 224), mode="bilinear", align_corners=False
    )[0, 0].numpy()
    centres = np.arange(224) + 0.5
    np.testing.assert_allclose(sample_grid(grid, centres, centres), expected, atol=1e-5)
    assert grid_to_image(grid).shape == (IMAGE_HEIGHT, IMAGE_WIDTH)


def test_a_block_seen_by_the_network_maps_back_onto_its_cells() -> None:
    """A loud block, rendered, JPEG-coded and resized to 224 like the real input, read back as a map."""
    frames, bins = 491, 84
    window = np.full((1, bins, frames), -80.0, dtype=np.float32)
    block_bins, block_frames = slice(30, 36), slice(100, 141)
    window[0, block_bins, block_frames] = 0.0
    seen = network_inputs(window)[0].mean(axis=0)  # [-1, 1]; the block is bright
    geometry = WindowGeometry(first_frame=0, frames=frames, bins=bins, frame_seconds=SECONDS_PER_FRAME)
    cells = geometry.grid_to_cells(seen)
    assert cells.shape == (bins, frames)
    interior = cells[:, 105:136]
    # Vertically exact to the bin: a bin is 2.7 input pixels tall.
    assert (interior[block_bins] > 0.6).all()
    assert (interior[29] < -0.8).all() and (interior[36] < -0.8).all()
    # Horizontally the resize blurs over ~2 frames: the half-way crossings sit on the block's edges.
    profile = cells[block_bins].mean(axis=0)
    level = (profile.max() + profile.min()) / 2
    bright = np.flatnonzero(profile > level)
    assert bright[0] == pytest.approx(block_frames.start, abs=1)
    assert bright[-1] + 1 == pytest.approx(block_frames.stop, abs=1)
    assert np.unravel_index(cells.argmax(), cells.shape)[0] in range(30, 36)


def test_input_points_land_at_song_time_and_bin() -> None:
    geometry = WindowGeometry(first_frame=100, frames=491, bins=84, frame_seconds=SECONDS_PER_FRAME)
    seconds, bin_ = geometry.input_to_song(112.0, 112.0)
    assert seconds == pytest.approx((100 + 245.5 - 0.5) * SECONDS_PER_FRAME)
    assert bin_ == int((IMAGE_HEIGHT / 2) // 4.4)  # 184.5 px above the bottom: bin 41
    assert geometry.input_to_song(0.0, 224.0) == (pytest.approx(99.5 * SECONDS_PER_FRAME), 0)
    assert geometry.input_to_song(223.9, 0.0)[1] == 83


def test_window_geometries_follow_the_analysis_windows() -> None:
    samples = int(40.0 * SAMPLE_RATE)
    cqt = np.zeros((84, 1 + samples // HOP_LENGTH), dtype=np.float32)
    windows = split_windows(cqt, samples)
    geometries = window_geometries(*cqt.shape, samples)
    assert len(geometries) == len(windows.bounds) == 3
    for geometry, (start, end) in zip(geometries, windows.bounds):
        assert geometry.first_frame * geometry.frame_seconds == pytest.approx(start)
        assert (geometry.first_frame + geometry.frames) * geometry.frame_seconds == pytest.approx(end)
        assert geometry.frames == windows.layout.step
    short = window_geometries(84, 100, 100 * HOP_LENGTH)
    assert [(g.first_frame, g.frames) for g in short] == [(0, 100)]
