"""MusiCNN's frontend as matrix products, for the tagger's reduced precision (bf16, fp16).

The frontend is almost all of the tagger's arithmetic, and its convolutions have one input
channel: oneDNN runs them far below the CPU's bf16 peak (about 300 GFLOP/s here), while a matrix
product of the same numbers runs on the CPU's matrix units (AMX) or its bf16 dot products. So, in
reduced precision only:

* each timbral block is one product: the patch's 7 x 38 (or 7 x 67) neighbourhoods, one row per
  (frame, mel position), times the block's filters as columns (im2col);
* the three temporal blocks are one product together: their 128-, 64- and 32-frame kernels are
  laid into one 128-frame kernel, zero outside each one's own frames, placed so that TensorFlow's
  ``"same"`` padding of each (`network._same_padding`) lines up with the longest one's;
* every product's rows are laid out (frame, mel, filter), so pooling over the mel axis reads
  contiguous rows instead of striding across one filter's map.

Pooling takes the largest value only. A block's BatchNorm scale may be negative, and then its
value at the smallest convolution output is wanted (`network._FrequencyPooledBlock`); those
filters are negated (with their bias) beforehand and the pooled value negated back, which is exact.
The bias is added after pooling, in float32 (max(x) + b is max(x + b)). The numbers are not the
exact path's (other products summed in another order, in bf16), which is why this only runs after
`analysis.precision_switch` checked it on the person's music.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn


class PooledBlock(Protocol):
    """What this frontend reads of a `network._FrequencyPooledBlock`."""

    time_padding: tuple[int, int]
    conv: nn.Conv2d
    bn: nn.BatchNorm2d


class ReducedFrontend:
    """The five frequency-pooled blocks' convolutions and pooling in ``dtype``: [n, 1, time, mel]
    normalised patches to [n, 561, time] features (before each block's ReLU and BatchNorm, which
    `__call__` applies in float32 as the exact path does)."""

    def __init__(self, timbral: Sequence[PooledBlock], temporal: Sequence[PooledBlock], dtype: torch.dtype) -> None:
        self.dtype = dtype
        self._timbral = [_Product.of_timbral(block, dtype) for block in timbral]
        self._temporal = _Product.of_temporal(temporal, dtype)
        self._norms = [block.bn for block in (*timbral, *temporal)]

    def __call__(self, normalised: torch.Tensor) -> torch.Tensor:
        patches = normalised[:, 0].to(self.dtype)  # [n, time, mel]
        temporal = self._temporal(patches).split([norm.num_features for norm in self._norms[len(self._timbral) :]], 1)
        pooled = [product(patches) for product in self._timbral] + list(temporal)  # [n, filters, time] each
        return torch.cat([norm(F.relu(part).unsqueeze(3)).squeeze(3) for norm, part in zip(self._norms, pooled)], dim=1)


class _Product:
    """One im2col product: kernels [filters, time, mel] applied to patches, pooled over mel."""

    def __init__(
        self, kernels: torch.Tensor, bias: torch.Tensor, sign: torch.Tensor, time_padding: tuple[int, int]
    ) -> None:
        self.frames, self.width = kernels.shape[1:]
        self.time_padding = time_padding
        self._columns = (kernels * sign.view(-1, 1, 1)).flatten(1).t().contiguous()  # [frames * width, filters]
        self._bias = bias.float().view(1, -1, 1)
        self._sign = sign.float().view(1, -1, 1)

    @classmethod
    def of_timbral(cls, block: PooledBlock, dtype: torch.dtype) -> _Product:
        weight = block.conv.weight.detach()[:, 0]  # [filters, 7, width]
        return cls(weight.to(dtype), _bias(block), _pooling_sign(block).to(dtype), block.time_padding)

    @classmethod
    def of_temporal(cls, blocks: Sequence[PooledBlock], dtype: torch.dtype) -> _Product:
        """The temporal blocks as one kernel as long as the longest, each placed where its own
        ``"same"`` padding puts it relative to the longest one's."""
        longest = max(blocks, key=lambda block: block.conv.weight.shape[2])
        length, before = longest.conv.weight.shape[2], longest.time_padding[0]
        parts = []
        for block in blocks:
            weight = block.conv.weight.detach()[:, 0, :, 0]  # [filters, frames]
            offset = before - block.time_padding[0]
            placed = weight.new_zeros(len(weight), length)
            placed[:, offset : offset + weight.shape[1]] = weight
            parts.append(placed)
        kernels = torch.cat(parts).unsqueeze(2)  # [all filters, length, 1]
        bias = torch.cat([_bias(block) for block in blocks])
        sign = torch.cat([_pooling_sign(block) for block in blocks])
        return cls(kernels.to(dtype), bias, sign.to(dtype), longest.time_padding)

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        """[n, time, mel] in the product's dtype -> [n, filters, time] float32, pooled over mel."""
        padded = F.pad(patches, (0, 0, *self.time_padding))
        rows = padded.unfold(1, self.frames, 1).unfold(2, self.width, 1)  # [n, time, positions, frames, width]
        n, time, positions = rows.shape[:3]
        products = (rows.reshape(-1, self.frames * self.width) @ self._columns).view(n, time, positions, -1)
        largest = products.amax(dim=2).transpose(1, 2).float()  # [n, filters, time]
        return largest * self._sign + self._bias


def _bias(block: PooledBlock) -> torch.Tensor:
    if block.conv.bias is None:
        return block.conv.weight.new_zeros(block.conv.out_channels, dtype=torch.float32)
    return block.conv.bias.detach().float()


def _pooling_sign(block: PooledBlock) -> torch.Tensor:
    """+1 where the block's BatchNorm keeps order (its largest input is wanted), -1 where it reverses it."""
    return torch.where(block.bn.weight.detach() >= 0, 1.0, -1.0)
