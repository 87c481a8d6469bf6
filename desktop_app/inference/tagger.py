"""The built-in tagger: both MusiCNN networks on one device, turning log-mel patches into tags.

The two networks (``musicnn-msd``, ``musicnn-mtt``) read the same 3 s patches, so they run as one
`predict`: its output is, per patch, both networks' sigmoid probabilities side by side and then
both networks' ``penultimate`` layers (the embedding similarity uses, from the same forward pass),
[patches, 50 + 50 + 200 + 200]. One array per patch lets the shared producer-consumer pipeline
(`pipeline.run_pipeline`) batch the tagger like the CCMusic network; `split` separates it again.

Cost (bench/tagger.py): small in parameters (0.8 M per network) but not in arithmetic: 2.8 GFLOP
per 3 s patch per network (the timbral filters slide over every frame and mel position), about
half of CCMusic's per track, run at about half its efficiency, so a track costs about the same.

Reduced precision (``precision``, as for `engine.GenreClassifier`: bf16 on a CPU with native bf16,
fp16 on CUDA) converts only the frontend, on a copy of the networks: it is almost all the
arithmetic (about 95 %), and the rest stays fp32. The frontend then runs as matrix products
(`musicnn.reduced_frontend`), which reach the CPU's matrix units where one-channel convolutions do
not (the README has the figures, from bench/library_throughput.py). Converting the whole network
did not keep the answers: on the nine real recordings of tests/real_music.py (20 patches each) the
MagnaTagATune tagger's top-1 changed on 2.2 % of patches and on one of the nine songs, where the
bf16 frontend alone kept every song's top-1. Not exact either way, so fp32 unless
`analysis.precision_switch` checked it on the person's music. Outputs are always float32.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch import nn

from desktop_app.audio.mel import N_MELS, PATCH_FRAMES
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.inference.device import select_device
from desktop_app.inference.identity import ModelIdentity, combined_sha256
from desktop_app.inference.musicnn.network import BACKEND_UNITS, MusiCNN
from desktop_app.inference.precision import EXACT, Precision, dtype_for

TAGGERS: tuple[str, ...] = tuple(TAGGER_TAGS)
"""The built-in taggers, in the order of `Tagger.predict`'s output columns."""
EMBEDDING_LAYER = "penultimate"
"""The layer kept as each song's embedding: of the candidates it measured best for similarity
(bench/similarity_quality.py, `analysis.similar`)."""
EMBEDDING_DIMS = BACKEND_UNITS
OUTPUT_COLUMNS = sum(len(TAGGER_TAGS[name]) for name in TAGGERS) + len(TAGGERS) * EMBEDDING_DIMS
DEFAULT_BATCH = {"cpu": 16, "cuda": 512, "mps": 128}
"""Patches per forward pass. CPU: 16 as fast per patch as 64 with a quarter of the activations
(the timbral blocks write 9 MB per patch before pooling over the mel axis)."""
TOP_K = 5
PROBABILITY_HEADS: tuple[slice, ...] = tuple(
    slice(start, start + len(TAGGER_TAGS[name]))
    for start, name in zip(np.cumsum([0] + [len(TAGGER_TAGS[n]) for n in TAGGERS[:-1]]).tolist(), TAGGERS)
)
"""`predict`'s columns of each tagger's tag probabilities (each has its own top-1)."""


class Tagger:
    """Both taggers in eval mode on one device, with the identity of each one's weights."""

    def __init__(
        self,
        networks: Mapping[str, nn.Module],
        identities: Mapping[str, ModelIdentity],
        *,
        device: str | torch.device | None = None,
        batch_size: int | None = None,
        precision: str = EXACT,
    ) -> None:
        """precision: ``fp32`` (exact; the networks are used as given), or a reduced one the device
        runs natively (``bf16``, ``fp16``: on converted copies, so ``networks`` stay as they are);
        `PrecisionUnsupportedError` elsewhere."""
        if set(networks) != set(TAGGERS) or set(identities) != set(TAGGERS):
            raise ValueError(f"a Tagger needs exactly the networks {TAGGERS}")
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self._dtype = dtype_for(precision, self.device)
        self.precision: Precision = cast(Precision, precision)
        self.batch_size = batch_size or DEFAULT_BATCH[self.device.type]
        self.identities = {name: identities[name] for name in TAGGERS}
        chosen = [cast(MusiCNN, networks[name]) for name in TAGGERS]
        if precision != EXACT:
            chosen = [copy.deepcopy(network) for network in chosen]
        self._networks = [network.eval().to(self.device) for network in chosen]
        if precision != EXACT:
            for network in self._networks:
                network.reduce_frontend(self._dtype)

    def with_precision(self, precision: str) -> Tagger:
        """The same networks on the same device in ``precision`` (converted copies; this one stays).
        Only from an exact tagger: converting reduced weights back would not make them exact."""
        if self.precision != EXACT:
            raise ValueError(f"with_precision needs an exact (fp32) tagger, this one is {self.precision}")
        return Tagger(
            self.networks, self.identities, device=self.device, batch_size=self.batch_size, precision=precision
        )

    @property
    def sha256(self) -> str:
        """Both networks' weights as one SHA-256 (`identity.combined_sha256`)."""
        return combined_sha256({name: identity.sha256 for name, identity in self.identities.items()})

    @property
    def networks(self) -> dict[str, MusiCNN]:
        """The loaded networks by name (shared with `predict`: read them, never change them)."""
        return dict(zip(TAGGERS, self._networks))

    def predict(self, patches: np.ndarray) -> np.ndarray:
        """[n, 500] float32 for patches [n, 187, 96]: MSD then MTT tag probabilities, then MSD then
        MTT penultimate layers (`split` names the parts)."""
        patches = _checked(patches)
        out = np.empty((patches.shape[0], OUTPUT_COLUMNS), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, patches.shape[0], self.batch_size):
                batch = torch.from_numpy(patches[start : start + self.batch_size]).to(self.device)
                found = [network.embed(batch) for network in self._networks]
                parts = [torch.sigmoid(f.logits.float()) for f in found] + [f.penultimate.float() for f in found]
                out[start : start + len(batch)] = torch.cat(parts, dim=1).float().cpu().numpy()
        return out


@dataclass(frozen=True)
class TaggerOutputs:
    """`Tagger.predict`'s columns by tagger: tag probabilities [n, 50] and embeddings [n, 200]."""

    probabilities: dict[str, np.ndarray]
    embeddings: dict[str, np.ndarray]


def split(outputs: np.ndarray) -> TaggerOutputs:
    """Name the columns of `Tagger.predict`'s output."""
    sizes = [len(TAGGER_TAGS[name]) for name in TAGGERS] + [EMBEDDING_DIMS] * len(TAGGERS)
    if outputs.shape[-1] != sum(sizes):
        raise ValueError(f"expected {sum(sizes)} columns, got {outputs.shape[-1]}")
    bounds = np.cumsum([0, *sizes])
    parts = [outputs[..., a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    count = len(TAGGERS)
    return TaggerOutputs(dict(zip(TAGGERS, parts[:count])), dict(zip(TAGGERS, parts[count:])))


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
