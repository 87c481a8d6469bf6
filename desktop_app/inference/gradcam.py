"""Grad-CAM on the genre network: which part of a window's image made the network say a genre.

The network is split after the last convolution of its fifth stage (512 × 14 × 14 on a 224 input).
The part before runs without autograd, exactly like inference; only the small rest (max-pool,
average-pool, classifier head) runs with gradients. That yields Grad-CAM's gradient of the class
score with respect to those activations at a fraction of a full backward pass, needs no hooks on
the shared model (the analysis queue may run it on another thread meanwhile), and lets one stored
forward pass explain any genre: switching the genre costs only the head.

Works on any torchvision-style VGG (``features`` with max-pools between stages, ``avgpool``,
``classifier``), such as `GenreClassifier.network`; the class score is the logit, before softmax.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from desktop_app.inference.network import VGG


def conv_stages(features: nn.Sequential) -> list[range]:
    """Indices into ``features`` of each stage (convolutions and ReLUs up to its max-pool)."""
    stages, start = [], 0
    for index, layer in enumerate(features):
        if isinstance(layer, nn.MaxPool2d):
            stages.append(range(start, index))
            start = index + 1
    return stages


def target_layer(network: VGG) -> int:
    """Index of Grad-CAM's layer: the last ReLU of the last stage, the finest map that sees it all."""
    return conv_stages(network.features)[-1][-1]


def head(network: VGG, activations: torch.Tensor) -> torch.Tensor:
    """Logits from activations at `target_layer`: the rest of the network."""
    tail = network.features[target_layer(network) + 1 :]
    return network.classifier(torch.flatten(network.avgpool(tail(activations)), 1))


def last_stage(network: VGG, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """float32 activations (n, C, h, w) at `target_layer` and logits (n, classes) for a prepared batch."""
    with torch.inference_mode():
        activations = network.features[: target_layer(network) + 1](batch)
        logits = head(network, activations)
        return activations.float().cpu().numpy(), logits.float().cpu().numpy()


def grad_cams(network: VGG, activations: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Grad-CAM maps (n, h, w) in [0, 1] of ``classes[i]`` for window i, from `last_stage` activations.

    Grad-CAM: channel weights are the spatial mean of d(logit)/d(activation); the map is the ReLU of
    the weighted sum of the channels, divided by its maximum (all zero when nothing speaks for the
    class). Windows are independent in eval mode, so one backward of the summed scores gives each
    window its own gradient.
    """
    if len(classes) != len(activations):
        raise ValueError(f"{len(activations)} windows but {len(classes)} classes")
    parameter = next(network.parameters())
    with torch.enable_grad():
        acts = torch.tensor(activations, device=parameter.device, dtype=parameter.dtype, requires_grad=True)
        logits = head(network, acts)
        chosen = logits[torch.arange(len(classes)), torch.as_tensor(list(classes))]
        (grads,) = torch.autograd.grad(chosen.sum(), acts)
    weights = grads.float().mean(dim=(2, 3), keepdim=True)
    return scaled_to_max(torch.relu((weights * acts.detach().float()).sum(dim=1))).cpu().numpy()


def scaled_to_max(maps: torch.Tensor) -> torch.Tensor:
    """Each (n, h, w) map divided by its maximum (all zero when nothing speaks for the class)."""
    peak = maps.amax(dim=(1, 2), keepdim=True)
    return torch.where(peak > 0, maps / peak.clamp_min(torch.finfo(torch.float32).tiny), 0.0)
