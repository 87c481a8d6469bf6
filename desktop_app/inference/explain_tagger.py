"""Explaining the built-in tagger: which seconds and which frequencies of each 3 s patch raised a tag.

Why not the Grad-CAM used for CCMusic: MusiCNN's frontend takes the maximum over the mel axis right
after its first convolutions, so every map after that (the frontend's 561 and the midend's 192
channels, [753, 187 frames]) has a time axis only. So the heat is made of two gradients of the
tag's logit, both from one backward pass:

* time: Grad-CAM over those 753 features, the last map with an axis (the backend pools it over
  time, as VGG's head pools its last convolution): channel weights are the mean over time of
  the gradient, the map the ReLU of the weighted sum of the channels, one value per mel frame;
* frequency: gradient × input on the log-mel patch. A log-mel cell is 0 for silence
  (``log10(10000 x + 1)``), so gradient × input is each cell's first-order contribution to the
  logit against silence; the positive part says which bands, in each frame, spoke for the tag.

The heat of frame t, band m is the time map at t (scaled to the patch's maximum) times the
band's share of frame t's gradient × input (smoothed over `SMOOTHING` frames and bands, then
divided by the frame's strongest band): Guided Grad-CAM's recipe, with gradient × input in place
of guided backpropagation. The class-discriminative, smooth Grad-CAM decides when, the input
gradient only where in frequency: the strongest band of each frame carries Grad-CAM's value
there. On the Armygeddon test the time axis clearly follows the tag (tests/inference/test_explain_tagger.py)
while the frequency axis is less telling (both "fast" and "guitar" centre near 1 kHz): read it
as where the energy that mattered lay, not as an instrument detector. Frames and bands are
placed in the song exactly as `audio.mel` makes them (`mel.frame_seconds`, `mel.band_hz`).

Each patch's map is scaled to its own maximum, like a Grad-CAM map; `PatchExplanation.weighted`
multiplies it by the tag's probability on that patch, so that over a song, 3 s at a time, the
brightness also says how sure the tagger is there (what the window draws). The frequency axis
costs a backward pass through the whole network for each patch and tag (about ten times the
forward pass; CCMusic's head-only trick cannot apply), so the window caches the explanations per
track, model, tag and patch in a `BoundedCache`, and the peaks, `Peak` records and cache are
the ones CCMusic's explanations use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from desktop_app.audio import mel
from desktop_app.audio.cqt_layout import HOP_LENGTH, N_BINS, SAMPLE_RATE, bin_frequency
from desktop_app.audio.heat_colours import blend
from desktop_app.audio.magma_lut import MAGMA_RGB
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.inference.bounded_cache import BoundedCache
from desktop_app.inference.explain import Peak, local_maxima
from desktop_app.inference.gradcam import scaled_to_max
from desktop_app.inference.musicnn.network import MusiCNN

EXPLAIN_BATCH = 4  # patches per backward pass: the frontend keeps ~20 MB of activations per patch
CACHE_BYTES = 64 * 1024 * 1024  # ~900 patch explanations of 72 KB: several long songs and tags
CELL_PIXELS = 2  # of the CLI's picture, per frame and per band
SMOOTHING = 2.0
"""Gaussian sigma, in frames and in bands, of the gradient × input before it is read per frame: a
single cell's value is noise (neighbours alternate in sign), 2 frames x 2 bands (32 ms, 60 Hz
low down) is about the spectrogram's own resolution and far below the frontend's 38-band kernels."""

_CQT_HZ = np.array([bin_frequency(b) for b in range(N_BINS)])
_BAND_POSITION = np.interp(_CQT_HZ, mel.BAND_CENTRES_HZ, np.arange(mel.N_MELS, dtype=np.float64))
"""Each CQT bin's centre frequency as a fractional mel band (linear in Hz between band centres)."""
_LOW_BAND = np.floor(_BAND_POSITION).astype(int)
_HIGH_BAND = np.minimum(_LOW_BAND + 1, mel.N_MELS - 1)
_HIGH_WEIGHT = (_BAND_POSITION - _LOW_BAND).astype(np.float32)


@dataclass(frozen=True, eq=False)
class PatchExplanation:
    """The heat of one tag on one 3 s patch of a song."""

    model: str
    """``musicnn-msd`` or ``musicnn-mtt``."""
    tag: int
    """Index into the model's tags (`TAGGER_TAGS`)."""
    patch: int
    probability: float
    """The tagger's sigmoid output for the tag on this patch."""
    heat: np.ndarray
    """float32 (187 frames, 96 mel bands) in [0, 1], laid out like the patch (band 0 lowest)."""

    @property
    def tag_name(self) -> str:
        return TAGGER_TAGS[self.model][self.tag]

    @property
    def bounds(self) -> tuple[float, float]:
        """(start_s, end_s) of the patch, as `MelPatches.bounds` gives them."""
        return self.patch * mel.PATCH_SECONDS, (self.patch + 1) * mel.PATCH_SECONDS

    @property
    def nbytes(self) -> int:
        return self.heat.nbytes

    def weighted(self) -> np.ndarray:
        """`heat` times the tag's probability here: comparable from patch to patch."""
        return self.heat * np.float32(self.probability)

    def peaks(self, limit: int = 3) -> list[Peak]:
        """The strongest local maxima of `heat`: frame centres in song time, band centres in Hz."""
        return [
            Peak(mel.frame_seconds(self.patch, frame), mel.band_hz(band), float(self.heat[frame, band]))
            for frame, band in local_maxima(self.heat, limit)
        ]

    def cqt_cells(self) -> tuple[int, np.ndarray]:
        """(first CQT frame, `weighted` heat on the CQT cells from there), for the CQT view.

        Each mel frame goes to the CQT frame whose centre (``j * 512 / 22050`` s) is nearest to its
        own, and a CQT frame shows the strongest of its mel frames (mel frames are 16 ms apart, CQT
        frames 23 ms, so every CQT frame of the span gets one or two and none is lost); the last CQT
        frame of a patch may also hold the next patch's first. CQT bin b shows the heat at its
        centre frequency, linear in Hz between the two nearest mel band centres; mel bands above B7
        (3.95 kHz) have no place on the CQT.
        """
        seconds = (self.patch * mel.PATCH_FRAMES + np.arange(mel.PATCH_FRAMES)) * mel.HOP_LENGTH / mel.SAMPLE_RATE
        columns = np.rint(seconds / (HOP_LENGTH / SAMPLE_RATE)).astype(int)
        rows = np.zeros((columns[-1] - columns[0] + 1, mel.N_MELS), dtype=np.float32)
        np.maximum.at(rows, columns - columns[0], self.weighted())
        cells = rows[:, _LOW_BAND] * (1 - _HIGH_WEIGHT) + rows[:, _HIGH_BAND] * _HIGH_WEIGHT
        return int(columns[0]), np.ascontiguousarray(cells.T)


def explain_tag(
    network: MusiCNN, model: str, patches: np.ndarray, indices: Sequence[int], tag: int
) -> list[PatchExplanation]:
    """The heat of tag ``tag`` of ``model`` on log-mel ``patches`` [n, 187, 96], patch numbers ``indices``."""
    if len(patches) != len(indices):
        raise ValueError(f"{len(patches)} patches but {len(indices)} patch numbers")
    if not 0 <= tag < len(TAGGER_TAGS[model]):
        raise ValueError(f"{model} has no tag {tag}")
    parameter = next(network.parameters())
    explained: list[PatchExplanation] = []
    for start in range(0, len(patches), EXPLAIN_BATCH):
        batch = patches[start : start + EXPLAIN_BATCH]
        with torch.enable_grad():
            x = torch.tensor(batch, device=parameter.device, dtype=parameter.dtype, requires_grad=True)
            features = network.features(x)
            scores = network.backend(features).logits[:, tag]
            feature_grads, input_grads = torch.autograd.grad(scores.sum(), (features, x))
        weights = feature_grads.float().mean(dim=2, keepdim=True)
        over_time = torch.relu((weights * features.detach().float()).sum(dim=1))  # [n, time]
        saliency = torch.relu(input_grads.float() * x.detach().float()).cpu().numpy()  # [n, time, mel]
        smooth = gaussian_filter(saliency, sigma=(0, SMOOTHING, SMOOTHING))
        in_frame = smooth / np.maximum(smooth.max(axis=2, keepdims=True), np.finfo(np.float32).tiny)
        when = scaled_to_max(over_time[:, None, :])[:, 0, :, None].cpu().numpy()
        heat = (when * in_frame).astype(np.float32)
        probabilities = torch.sigmoid(scores.detach().float()).cpu().numpy()
        explained += [
            PatchExplanation(model, tag, int(index), float(p), h)
            for index, p, h in zip(indices[start : start + EXPLAIN_BATCH], probabilities, heat)
        ]
    return explained


def explanation_cache(max_bytes: int = CACHE_BYTES) -> BoundedCache[PatchExplanation]:
    """A cache for patch explanations, keyed by (track, model SHA-256, tag, patch) in the window."""
    return BoundedCache(lambda e: e.nbytes, max_bytes=max_bytes)


def overlay_image(patch: np.ndarray, explanation: PatchExplanation, opacity: float) -> np.ndarray:
    """(192, 374, 3) uint8: a (187, 96) log-mel patch as the network reads it (on its own colour
    scale, low bands at the bottom, `CELL_PIXELS` per frame and band) with its heat laid over."""
    levels = np.rint(patch / max(float(patch.max()), np.finfo(np.float32).tiny) * (len(MAGMA_RGB) - 1))
    rgb = np.asarray(MAGMA_RGB, dtype=np.uint8)[levels.astype(int)]

    def picture(cells: np.ndarray) -> np.ndarray:  # (frames, bands, ...) -> (bands, frames, ...) upside down
        turned = np.swapaxes(cells, 0, 1)[::-1]
        return np.repeat(np.repeat(turned, CELL_PIXELS, axis=0), CELL_PIXELS, axis=1)

    return blend(picture(rgb), picture(explanation.heat), opacity)
