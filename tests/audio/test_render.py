"""The painted image, pixel for pixel against matplotlib, before any JPEG blurs the evidence."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import librosa.display  # noqa: E402  (after the backend is chosen)
import matplotlib.pyplot as plt  # noqa: E402

from desktop_app.audio.magma_lut import MAGMA_RGB  # noqa: E402
from desktop_app.audio.render import (  # noqa: E402
    IMAGE_HEIGHT,
    IMAGE_WIDTH,
    INPUT_SIZE,
    colour_indices,
    network_inputs,
    spectrogram_image,
)


def reference_picture(window: np.ndarray) -> np.ndarray:
    """The reference's figure, saved losslessly (PNG) instead of as JPEG."""
    librosa.display.specshow(window)
    plt.axis("off")
    buffer = io.BytesIO()
    plt.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.0)
    plt.close()
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def random_window(frames: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random((84, frames), dtype=np.float32) * -80).astype(np.float32)


def test_lut_is_magma_as_agg_paints_it():
    magma = matplotlib.colormaps["magma"]
    floats = magma(np.arange(256))[:, :3]
    np.testing.assert_array_equal(np.array(MAGMA_RGB), np.floor(floats * 255 + 0.5).astype(int))


def test_colour_indices_are_matplotlibs():
    windows = np.stack([random_window(491, seed) for seed in range(4)])
    windows[1, 10, 10] = windows[1].max() + 1e-3  # a near-tie at the top of the scale
    magma = matplotlib.colormaps["magma"]
    # Each specshow gets a fresh Normalize, scaled to that window alone.
    expected = np.stack([magma(matplotlib.colors.Normalize()(w)) for w in windows])
    np.testing.assert_array_equal(magma(np.arange(256))[colour_indices(windows)], expected)


def test_a_constant_window_takes_the_first_colour():
    windows = np.zeros((2, 84, 491), dtype=np.float32)
    windows[1] = -37.5
    assert not colour_indices(windows).any()


# 491 and 490 frames are the song windows; the rest are short clips of every kind of shape.
@pytest.mark.parametrize("frames", [491, 490, 216, 84, 31, 7, 2])
def test_picture_is_matplotlibs_pixel_for_pixel(frames):
    window = random_window(frames, frames)
    picture = spectrogram_image(colour_indices(window[None])[0])
    assert picture.shape == (IMAGE_HEIGHT, IMAGE_WIDTH, 3)
    np.testing.assert_array_equal(picture, reference_picture(window))


def test_low_frequencies_at_the_bottom():
    window = np.full((84, 491), -80.0, dtype=np.float32)
    window[0] = 0.0
    picture = spectrogram_image(colour_indices(window[None])[0])
    assert (picture[-4:] == MAGMA_RGB[255]).all()
    assert (picture[:-5] == MAGMA_RGB[0]).all()


def test_column_edges_on_pixel_centres_differ_at_most_there():
    # 64 frames: 16 column edges fall exactly on pixel centres, where Agg's choice depends on
    # float rounding. Only those columns may differ, and only by the neighbouring frame.
    window = random_window(64, 0)
    picture = spectrogram_image(colour_indices(window[None])[0])
    differing = np.flatnonzero((picture != reference_picture(window)).any(axis=(0, 2)))
    tie_columns = [c for c in range(IMAGE_WIDTH) if ((2 * c + 1) * 64) % (2 * IMAGE_WIDTH) == 0]
    assert len(tie_columns) == 16
    assert set(differing) <= set(tie_columns)


def test_network_inputs_shape_and_range():
    windows = np.stack([random_window(491, seed) for seed in range(3)])
    inputs = network_inputs(windows)
    assert inputs.shape == (3, 3, INPUT_SIZE, INPUT_SIZE)
    assert inputs.dtype == np.float32
    assert inputs.min() >= -1.0 and inputs.max() <= 1.0
    assert network_inputs(windows[:0]).shape == (0, 3, INPUT_SIZE, INPUT_SIZE)
