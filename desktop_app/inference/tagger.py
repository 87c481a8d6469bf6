"""The built-in tagger: both MusiCNN networks on one device, turning log-mel patches into tags.

The two networks (``musicnn-msd``, ``musicnn-mtt``) read the same 3 s patches, so they run as one
`predict`: its output is both networks' sigmoid probabilities side by side, [patches, 50 + 50],
which lets the shared producer-consumer pipeline (`pipeline.run_pipeline`) batch the tagger like
the CCMusic network. `split` separates them again.

Cost (bench/tagger.py): small in parameters (0.8 M per network) but not in arithmetic: 2.8 GFLOP
per 3 s patch per network (the timbral filters slide over every frame and mel position), about
half of CCMusic's per track, run at about half its efficiency, so a track costs about the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from desktop_app.audio.mel import N_MELS, PATCH_FRAMES
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.inference.device import select_device
from desktop_app.inference.identity import ModelIdentity

TAGGERS: tuple[str, ...] = tuple(TAGGER_TAGS)
"""The built-in taggers, in the order of `Tagger.predict`'s output columns."""
DEFAULT_BATCH = {"cpu": 16, "cuda": 512, "mps": 128}
"""Patches per forward pass. CPU: 16 as fast per patch as 64 with a quarter of the activations
(the timbral blocks write 9 MB per patch before pooling over the mel axis)."""
TOP_K = 5


class Tagger:
    """Both taggers in eval mode on one device, with the identity of each one's weights."""

    def __init__(
        self,
        networks: Mapping[str, nn.Module],
        identities: Mapping[str, ModelIdentity],
        *,
        device: str | torch.device | None = None,
        batch_size: int | None = None,
    ) -> None:
        if set(networks) != set(TAGGERS) or set(identities) != set(TAGGERS):
            raise ValueError(f"a Tagger needs exactly the networks {TAGGERS}")
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self.batch_size = batch_size or DEFAULT_BATCH[self.device.type]
        self.identities = {name: identities[name] for name in TAGGERS}
        self._networks = [networks[name].eval().to(self.device) for name in TAGGERS]

    @property
    def networks(self) -> dict[str, nn.Module]:
        """The loaded networks by name (shared with `predict`: read them, never change them)."""
        return dict(zip(TAGGERS, self._networks))

    def predict(self, patches: np.ndarray) -> np.ndarray:
        """Sigmoid probabilities [n, 100] float32 (MSD tags, then MTT tags) of patches [n, 187, 96]."""
        patches = _checked(patches)
        out = np.empty((patches.shape[0], sum(len(TAGGER_TAGS[n]) for n in TAGGERS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, patches.shape[0], self.batch_size):
                batch = torch.from_numpy(patches[start : start + self.batch_size]).to(self.device)
                probs = [torch.sigmoid(network(batch)).float().cpu().numpy() for network in self._networks]
                out[start : start + len(batch)] = np.concatenate(probs, axis=1)
        return out

    def embed(self, patches: np.ndarray) -> dict[str, np.ndarray]:
        """Each network's penultimate layer [n, 200] for patches [n, 187, 96] (for similarity)."""
        patches = _checked(patches)
        found: dict[str, list[np.ndarray]] = {name: [] for name in TAGGERS}
        with torch.inference_mode():
            for start in range(0, patches.shape[0], self.batch_size):
                batch = torch.from_numpy(patches[start : start + self.batch_size]).to(self.device)
                for name, network in zip(TAGGERS, self._networks):
                    found[name].append(network.embed(batch).penultimate.float().cpu().numpy())
        return {name: np.concatenate(parts) for name, parts in found.items()}


def split(probs: np.ndarray) -> dict[str, np.ndarray]:
    """`Tagger.predict`'s columns, by tagger: {name: [n, 50]}."""
    sizes = [len(TAGGER_TAGS[name]) for name in TAGGERS]
    if probs.shape[-1] != sum(sizes):
        raise ValueError(f"expected {sum(sizes)} columns, got {probs.shape[-1]}")
    bounds = np.cumsum([0, *sizes])
    return {name: probs[..., a:b] for name, a, b in zip(TAGGERS, bounds[:-1], bounds[1:])}


@dataclass(frozen=True)
class TagScore:
    tag: str
    probability: float


@dataclass(frozen=True)
class SongTags:
    """One tagger's verdict on a song: every tag's probability, as the original computes it (the
    mean over the song's 3 s patches of the sigmoid outputs), and the Top-5."""

    model: ModelIdentity
    probabilities: tuple[float, ...]
    top5: tuple[TagScore, ...]
    patches: int

    def as_dict(self) -> dict[str, float]:
        return dict(zip(TAGGER_TAGS[self.model.model], self.probabilities))


def song_tags(patch_probs: np.ndarray, model: ModelIdentity) -> SongTags:
    """Summarize one tagger's [patches, 50] probabilities."""
    tags = TAGGER_TAGS[model.model]
    if patch_probs.ndim != 2 or patch_probs.shape[1] != len(tags) or patch_probs.shape[0] == 0:
        raise ValueError(f"expected [patches >= 1, {len(tags)}] probabilities, got {patch_probs.shape}")
    mean = patch_probs.mean(axis=0, dtype=np.float64)
    order = np.argsort(-mean, kind="stable")[:TOP_K]
    return SongTags(
        model=model,
        probabilities=tuple(float(p) for p in mean),
        top5=tuple(TagScore(tags[i], float(mean[i])) for i in order),
        patches=int(patch_probs.shape[0]),
    )


def _checked(patches: np.ndarray) -> np.ndarray:
    patches = np.ascontiguousarray(patches, dtype=np.float32)
    if patches.ndim != 3 or patches.shape[2] != N_MELS or patches.shape[1] < 1:
        raise ValueError(f"patches must be [n, {PATCH_FRAMES}, {N_MELS}], got {patches.shape}")
    if not np.isfinite(patches).all():
        raise ValueError("patches contain NaN or infinite values")
    return patches

