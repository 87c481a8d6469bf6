"""musicnn's VGG-like baseline taggers (``MTT_vgg``, ``MSD_vgg``), as the original ``models.vgg``.

The musicnn package ships these next to the musicnn networks as the computer-vision baseline
they were compared with: five 3 x 3 convolutions of 128 filters over the same [187, 96] log-mel
patches, each followed (as everywhere in musicnn) by ReLU, *then* BatchNorm (TensorFlow's epsilon,
1e-3), then max-pooling, and one dense layer to 50 tags. They read the same input as `MusiCNN`
and were converted and checked against the original graph by the same script
(packaging/musicnn/convert.py).

Two details decide the numbers. The pools are TensorFlow's ``"valid"`` pools, including the
first one's odd shape (4 x 1 windows, stride 2 x 2); the 3 x 3 ``"same"`` convolutions pad one
bin on every side. And the final [128 channels, 2 time steps, 1 mel bin] map is flattened in
TensorFlow's channels-last order (time, mel, channel), which the dense layer's weights assume.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from desktop_app.inference.musicnn.network import BN_EPSILON, N_MELS, NUM_TAGS

VGG_FILTERS = 128
VGG_POOLS: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (
    ((4, 1), (2, 2)),
    ((2, 2), (2, 2)),
    ((2, 2), (2, 2)),
    ((2, 2), (2, 2)),
    ((4, 4), (4, 4)),
)
"""(window, stride) of each block's max-pool, (time, mel): [187, 96] -> [92, 48] -> [46, 24] ->
[23, 12] -> [11, 6] -> [2, 1]."""
VGG_FEATURES = VGG_FILTERS * 2 * 1  # 256 inputs of the dense layer for 187-frame patches


class _VGGBlock(nn.Module):
    """3 x 3 'same' conv -> ReLU -> BatchNorm -> 'valid' max-pool."""

    def __init__(self, in_channels: int, pool: tuple[int, int], stride: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, VGG_FILTERS, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(VGG_FILTERS, eps=BN_EPSILON)
        self.pool = nn.MaxPool2d(kernel_size=pool, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.bn(F.relu(self.conv(x))))


class MusicnnVGG(nn.Module):
    """[n, 187, 96] log-mel patches to [n, 50] logits (187-frame patches only: the dense layer
    is sized for them, as in the original, which refuses other input lengths for its VGGs)."""

    def __init__(self, num_classes: int = NUM_TAGS) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_bn = nn.BatchNorm2d(1, eps=BN_EPSILON)
        self.blocks = nn.ModuleList(
            _VGGBlock(1 if i == 0 else VGG_FILTERS, pool, stride) for i, (pool, stride) in enumerate(VGG_POOLS)
        )
        self.output = nn.Linear(VGG_FEATURES, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] != N_MELS:
            raise ValueError(f"expected [patches, 187, {N_MELS}] log-mel input, got {list(x.shape)}")
        x = self.input_bn(x.unsqueeze(1))
        for block in self.blocks:
            x = block(x)
        return self.output(x.permute(0, 2, 3, 1).flatten(1))  # channels-last, as TensorFlow flattens


def build_vgg(num_classes: int = NUM_TAGS, device: torch.device | str = "cpu") -> MusicnnVGG:
    """An untrained `MusicnnVGG` in eval mode on ``device`` (``"meta"`` for the structure alone)."""
    with torch.device(device):
        model = MusicnnVGG(num_classes)
    return model.eval()
