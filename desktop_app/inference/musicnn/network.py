"""musicnn's tagging network, layer for layer as the original ``models.build_musicnn`` builds it.

The published checkpoints are TensorFlow 1 graphs; this port loads their converted weights
(packaging/musicnn/convert.py, which also checks the port's logits against the original graph's)
so the app runs them with the torch it already has. Everything that decides the numbers follows
the original exactly, including the details that are easy to get wrong:

* each convolution is followed by ReLU *then* BatchNorm (not the usual BatchNorm then ReLU);
* TensorFlow's ``padding="same"`` with an even kernel pads ``(k - 1) // 2`` frames before and
  the rest after (128 -> 63 + 64), where PyTorch's symmetric padding would shift every frame;
* BatchNorm uses TensorFlow's epsilon, 1e-3 (PyTorch's default is 1e-5);
* the backend flattens the [features, (max, mean)] pair feature by feature, so the 1506 inputs
  of the dense layer interleave max and mean: max_0, mean_0, max_1, mean_1, ...

Two things differ from the original's order of work, neither in the numbers: the frontend pools
over frequency before ReLU and BatchNorm (exact, see `_FrequencyPooledBlock`), and on a CPU it
convolves two patches at a time (`FRONTEND_CHUNK`); together they make a batch about twice as
fast and bound the memory a large batch needs. In reduced precision only, the frontend's
convolutions run as matrix products instead (`reduce_frontend`, `reduced_frontend`).

Tensors run channels-first: a patch [time, mel] becomes [1, time, mel] for the 2-D frontend, the
frontend's frequency-pooled features [channels, time] go through the midend's 1-D convolutions
(in the original, 2-D convolutions whose kernel spans the whole feature axis, the same thing).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from desktop_app.inference.musicnn.reduced_frontend import ReducedFrontend

N_MELS = 96
PATCH_FRAMES = 187
NUM_TAGS = 50
BN_EPSILON = 1e-3
"""``tf.compat.v1.layers.batch_normalization``'s default epsilon."""

FRONTEND_FILTERS = 1.6
"""The original's ``num_filt`` for the frontend: int(1.6 * 128) = 204 timbral, int(1.6 * 32) = 51
temporal filters per block."""
TIMBRAL_FILTERS = int(FRONTEND_FILTERS * 128)
TEMPORAL_FILTERS = int(FRONTEND_FILTERS * 32)
TIMBRAL_KERNELS = ((7, int(0.4 * N_MELS)), (7, int(0.7 * N_MELS)))
"""(time, mel) kernels of the two timbral blocks: 7 x 38 and 7 x 67."""
TEMPORAL_KERNELS = (128, 64, 32)
"""Time lengths of the three temporal blocks' 1-mel-bin kernels."""
MIDEND_FILTERS = 64
MIDEND_KERNEL = 7
BACKEND_UNITS = 200
FRONTEND_CHANNELS = 2 * TIMBRAL_FILTERS + len(TEMPORAL_KERNELS) * TEMPORAL_FILTERS  # 561
MIDEND_CHANNELS = FRONTEND_CHANNELS + 3 * MIDEND_FILTERS  # 753: the dense connection's width
FRONTEND_CHUNK = {"cpu": 2}
"""Patches the frontend convolves at a time, by device type (`FRONTEND_CHUNK_OTHER` elsewhere).
Its largest map is 9 MB per patch, so a batch of 64 would need over half a gigabyte at once; on
a CPU, chunks of two stay in cache and measured twice as fast as whole batches of 64."""
FRONTEND_CHUNK_OTHER = 32


def _frontend_chunk(device: torch.device) -> int:
    return FRONTEND_CHUNK.get(device.type, FRONTEND_CHUNK_OTHER)


class MusiCNNEmbedding(NamedTuple):
    """What one forward pass yields besides the tags, for similarity and explanations."""

    logits: torch.Tensor
    """[n, num_classes] before the sigmoid."""
    penultimate: torch.Tensor
    """[n, 200] the backend's dense layer after ReLU and BatchNorm (the original's ``penultimate``)."""
    mean_pool: torch.Tensor
    """[n, 753] mean over time of the frontend and midend features (the original's ``mean_pool``)."""
    max_pool: torch.Tensor
    """[n, 753] maximum over time of the same features (the original's ``max_pool``)."""


def _same_padding(kernel: int) -> tuple[int, int]:
    """(before, after) padding of TensorFlow's ``"same"`` at stride 1: the odd frame goes after."""
    total = kernel - 1
    return total // 2, total - total // 2


def _batch_norm_2d(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPSILON)


def _batch_norm_1d(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=BN_EPSILON)


class _FrequencyPooledBlock(nn.Module):
    """conv -> ReLU -> BatchNorm -> max over every mel bin: ``timbral_block``/``tempo_block``.

    The convolution's output is by far the largest tensor of the network (204 x 187 x 59 floats,
    9 MB, per patch for the 7 x 38 block), so it is pooled before ReLU and BatchNorm touch it.
    That gives the same numbers, bit for bit: ReLU and eval-mode BatchNorm act on each value
    alone and are monotone per channel (BatchNorm decreasing where its scale is negative, as for
    most of these channels), and a monotone function of the largest value, or of the smallest
    for a decreasing one, is the largest of the function's values. `reference_forward` is the
    literal order, kept for the tests.
    """

    def __init__(self, filters: int, kernel: tuple[int, int], time_padding: tuple[int, int]) -> None:
        super().__init__()
        self.time_padding = time_padding
        self.conv = nn.Conv2d(1, filters, kernel_size=kernel)
        self.bn = _batch_norm_2d(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [n, 1, time, mel] -> [n, filters, time]
        if self.training:
            return self.reference_forward(x)  # batch statistics need every value
        # One reduction instead of two: where BatchNorm reverses the order, the smallest output is
        # wanted, which is minus the largest output of the negated filter (negation is exact).
        sign = torch.where(self.bn.weight >= 0, 1.0, -1.0)
        bias = None if self.conv.bias is None else self.conv.bias * sign
        conv = F.conv2d(F.pad(x, (0, 0, *self.time_padding)), self.conv.weight * sign.view(-1, 1, 1, 1), bias)
        pooled = F.relu(conv.amax(dim=3) * sign.view(1, -1, 1))
        return self.bn(pooled.unsqueeze(3)).squeeze(3)

    def reference_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The original's order on the full map: conv, ReLU, BatchNorm, then max over mel bins."""
        x = F.pad(x, (0, 0, *self.time_padding))
        return self.bn(F.relu(self.conv(x))).amax(dim=3)


class _MidendLayer(nn.Module):
    """A 7-frame convolution across all features, ReLU, BatchNorm (the midend's ``conv``/``bn_conv``)."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        pad = (MIDEND_KERNEL - 1) // 2
        self.padding = (pad, pad)
        self.conv = nn.Conv1d(in_channels, MIDEND_FILTERS, kernel_size=MIDEND_KERNEL)
        self.bn = _batch_norm_1d(MIDEND_FILTERS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(F.pad(x, self.padding))))


class MusiCNN(nn.Module):
    """The ``MSD_musicnn``/``MTT_musicnn`` network: [n, 187, 96] log-mel patches to [n, 50] logits.

    Other patch lengths work too (every layer is convolutional or pools over time), as in the
    original; the published models were trained on 187 frames (3 s).
    """

    def __init__(self, num_classes: int = NUM_TAGS) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_bn = _batch_norm_2d(1)
        timbral_padding = (3, 3)  # the original's tf.pad before its 'valid' 7-frame convolutions
        self.timbral = nn.ModuleList(
            _FrequencyPooledBlock(TIMBRAL_FILTERS, kernel, timbral_padding) for kernel in TIMBRAL_KERNELS
        )
        self.temporal = nn.ModuleList(
            _FrequencyPooledBlock(TEMPORAL_FILTERS, (length, 1), _same_padding(length)) for length in TEMPORAL_KERNELS
        )
        self.midend1 = _MidendLayer(FRONTEND_CHANNELS)
        self.midend2 = _MidendLayer(MIDEND_FILTERS)
        self.midend3 = _MidendLayer(MIDEND_FILTERS)
        self.pool_bn = _batch_norm_1d(2 * MIDEND_CHANNELS)
        self.dense = nn.Linear(2 * MIDEND_CHANNELS, BACKEND_UNITS)
        self.dense_bn = _batch_norm_1d(BACKEND_UNITS)
        self.output = nn.Linear(BACKEND_UNITS, num_classes)
        self._reduced_frontend: ReducedFrontend | None = None

    def reduce_frontend(self, dtype: torch.dtype) -> None:
        """Run the frontend's convolutions as `ReducedFrontend`'s matrix products in ``dtype`` from
        now on (for inference: the weights as they are now, on their device; the rest stays)."""
        self._reduced_frontend = ReducedFrontend(self.timbral, self.temporal, dtype)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x).logits

    def _frontend(self, normalised: torch.Tensor) -> torch.Tensor:
        if self._reduced_frontend is not None and not self.training:
            return self._reduced_frontend(normalised)
        return torch.cat([block(normalised) for block in (*self.timbral, *self.temporal)], dim=1)

    def embed(self, x: torch.Tensor) -> MusiCNNEmbedding:
        """Logits and the original's ``penultimate``, ``mean_pool`` and ``max_pool`` features."""
        return self.backend(self.features(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """[n, 753, time]: the frontend's and midend's features, the last map with a time axis
        (what the backend pools over time; explanations take their gradients here)."""
        if x.dim() != 3 or x.shape[0] == 0 or x.shape[2] != N_MELS:
            raise ValueError(f"expected [patches >= 1, time, {N_MELS}] log-mel input, got {list(x.shape)}")
        normalised = self.input_bn(x.unsqueeze(1))  # [n, 1, time, mel]
        chunk = len(x) if self.training else _frontend_chunk(x.device)
        frontend = torch.cat([self._frontend(part) for part in normalised.split(chunk)])  # [n, 561, time]
        cnn1 = self.midend1(frontend)
        cnn2 = self.midend2(cnn1) + cnn1
        cnn3 = self.midend3(cnn2) + cnn2
        return torch.cat([frontend, cnn1, cnn2, cnn3], dim=1)  # [n, 753, time]

    def backend(self, features: torch.Tensor) -> MusiCNNEmbedding:
        """The rest of the network from `features`: pooling over time, the dense layers, the logits."""
        max_pool = features.amax(dim=2)
        mean_pool = features.mean(dim=2)
        pooled = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # max_0, mean_0, max_1, ...
        penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        logits = self.output(penultimate)
        return MusiCNNEmbedding(logits=logits, penultimate=penultimate, mean_pool=mean_pool, max_pool=max_pool)


def build_musicnn(num_classes: int = NUM_TAGS, device: torch.device | str = "cpu") -> MusiCNN:
    """An untrained `MusiCNN` in eval mode on ``device`` (``"meta"`` for the structure alone)."""
    with torch.device(device):
        model = MusiCNN(num_classes)
    return model.eval()


def expected_shapes(num_classes: int = NUM_TAGS) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the state_dict a converted checkpoint must hold, in the network's order."""
    return {k: tuple(v.shape) for k, v in build_musicnn(num_classes, "meta").state_dict().items()}
