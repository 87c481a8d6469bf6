"""What every convolution of the network responds to in one window: the activation explorer's data.

VGG's five stages go from low-level time-frequency texture (stage 1, full 224 × 224 resolution) to
coarse, genre-level patterns (stage 5, 14 × 14). For one window this records each convolution's
activation statistics (after its ReLU) and, per stage, the feature maps of the channels with the
highest mean activation at the stage's last convolution. The layers are run one after the other
from the shared network, without hooks, so it is safe beside the analysis running on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from desktop_app.inference.gradcam import conv_stages
from desktop_app.inference.network import VGG

TOP_K = 32


@dataclass(frozen=True)
class LayerStats:
    """One convolution's output after its ReLU, e.g. ``conv3_2`` (stage 3, second convolution)."""

    name: str
    stage: int
    channels: int
    height: int
    width: int
    mean: float
    std: float
    max: float
    active: float
    """Fraction of units above zero."""


@dataclass(frozen=True, eq=False)
class StageMaps:
    """The strongest channels of a stage's last convolution, strongest first."""

    stage: int
    layer: str
    channels: np.ndarray
    """(k,) channel indices."""
    means: np.ndarray
    """(k,) their mean activations."""
    maps: np.ndarray
    """(k, h, w) float32, row 0 at the top of the image (the highest notes)."""


@dataclass(frozen=True, eq=False)
class ActivationReport:
    layers: tuple[LayerStats, ...]
    stages: tuple[StageMaps, ...]
    probabilities: np.ndarray
    """(16,) the window's softmax probabilities, from the same forward pass."""

    @property
    def nbytes(self) -> int:
        return sum(s.maps.nbytes for s in self.stages)


def activation_report(network: VGG, batch: torch.Tensor, top_k: int = TOP_K) -> ActivationReport:
    """The report for a batch of ONE window prepared for ``network`` (e.g. `GenreClassifier.input_tensor`)."""
    if batch.shape[0] != 1:
        raise ValueError(f"the activation explorer looks at one window at a time, got {batch.shape[0]}")
    features = network.features
    stage_of = {index: number for number, stage in enumerate(conv_stages(features), 1) for index in stage}
    stage_ends = {stage[-1] for stage in conv_stages(features)}
    layers: list[LayerStats] = []
    stages: list[StageMaps] = []
    convs_in_stage: dict[int, int] = {}
    with torch.inference_mode():
        x = batch
        for index, layer in enumerate(features):
            x = layer(x)
            if not isinstance(layer, nn.ReLU):
                continue
            stage = stage_of[index]
            convs_in_stage[stage] = convs_in_stage.get(stage, 0) + 1
            maps = x[0].float()
            name = f"conv{stage}_{convs_in_stage[stage]}"
            layers.append(_stats(name, stage, maps))
            if index in stage_ends:
                stages.append(_strongest(stage, name, maps, top_k))
        logits = network.classifier(torch.flatten(network.avgpool(x), 1)).float()
        probabilities = torch.softmax(logits, dim=1)[0].cpu().numpy()
    return ActivationReport(tuple(layers), tuple(stages), probabilities)


def _stats(name: str, stage: int, maps: torch.Tensor) -> LayerStats:
    channels, height, width = maps.shape
    return LayerStats(
        name=name,
        stage=stage,
        channels=channels,
        height=height,
        width=width,
        mean=float(maps.mean()),
        std=float(maps.std()),
        max=float(maps.max()),
        active=float((maps > 0).float().mean()),
    )


def _strongest(stage: int, name: str, maps: torch.Tensor, top_k: int) -> StageMaps:
    means = maps.mean(dim=(1, 2))
    order = torch.argsort(means, descending=True, stable=True)[:top_k]
    return StageMaps(
        stage=stage,
        layer=name,
        channels=order.cpu().numpy(),
        means=means[order].cpu().numpy(),
        maps=maps[order].cpu().numpy(),
    )
