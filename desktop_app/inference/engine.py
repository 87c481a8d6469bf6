"""The genre classifier: a validated checkpoint loaded on a device, turning windows into probabilities.

A ``GenreClassifier`` can only be made from a ``LoadedCheckpoint`` (which only
``load_checkpoint`` produces after strict validation), so no prediction can come from weights that
were not loaded, and every result carries the ``ModelIdentity`` of the file it came from.

Speed on CPU (measured on the project's 2-core AVX-512 machine, see bench/inference.py): folding
BatchNorm into the convolutions, channels_last memory layout and batches of 8 windows, under
``torch.inference_mode``; exact in fp32 (probabilities differ by ~1e-8), about 1.35x the
reference's batch-1 NCHW fp32, which is already near this CPU's fp32 peak. torch's default of one
thread per core is kept. torch.compile (inductor) was no faster and costs ~17 s per start plus a
C++ compiler at run time, so it is not used. Reduced precision (``precision``: bf16 on CPUs with
native bf16, about 2.5x; fp16 on CUDA; `precision.fast_precision` names the one a device has) is
not exact, so it is fp32 unless asked for: `analysis.precision_switch` asks for it only where top-1
was checked to agree with fp32 on the person's own music.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from desktop_app.genres.ccmusic import NUM_CLASSES
from desktop_app.inference.checkpoint import CheckpointError, LoadedCheckpoint, Problem, load_checkpoint
from desktop_app.inference.device import select_device
from desktop_app.inference.identity import ModelIdentity, Origin
from desktop_app.inference.network import VGG, build_network
from desktop_app.inference.precision import EXACT, Precision, dtype_for
from desktop_app.inference.summary import SongPrediction, summarize

INPUT_SHAPE = (3, 224, 224)
# Windows per forward pass. CPU: 8 measured as fast as 16 with half the activation memory.
DEFAULT_BATCH = {"cpu": 8, "cuda": 64, "mps": 16}
PROBABILITY_HEADS: tuple[slice, ...] = (slice(0, NUM_CLASSES),)
"""`predict`'s columns with one top-1 (all 16 genres), for `precision_check`."""


class GenreClassifier:
    """The CCMusic network on one device, in eval mode, with the identity of its weights."""

    def __init__(
        self,
        checkpoint: LoadedCheckpoint,
        *,
        origin: Origin,
        device: str | torch.device | None = None,
        precision: str = EXACT,
        batch_size: int | None = None,
    ) -> None:
        """Load ``checkpoint`` strictly onto ``device`` ('auto'|'cpu'|'cuda'|'mps'; None: setting).

        precision: ``fp32`` (exact), ``fp16`` (CUDA) or ``bf16`` (a CPU with native bf16): weights
        and activations converted once, which is faster than autocast re-casting 488 MB of weights
        per batch; `PrecisionUnsupportedError` (a ValueError) where the device lacks it.
        """
        if not isinstance(checkpoint, LoadedCheckpoint):
            raise TypeError("GenreClassifier needs a LoadedCheckpoint from load_checkpoint()")
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self._dtype = dtype_for(precision, self.device)
        self.precision: Precision = cast(Precision, precision)
        self.batch_size = batch_size or DEFAULT_BATCH[self.device.type]
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        self.identity = ModelIdentity(sha256=checkpoint.sha256, path=str(checkpoint.path), origin=origin)
        self._memory_format = torch.channels_last if self.device.type in ("cpu", "cuda") else torch.contiguous_format
        model = build_network("meta")
        try:
            model.load_state_dict(checkpoint.state_dict, strict=True, assign=True)
        except RuntimeError as exc:  # validation should have caught it; never load partially
            raise CheckpointError(checkpoint.path, Problem.KEYS, str(exc)) from None
        model.eval()
        model.features = _fold_batchnorm(model.features)
        self._model = model.to(device=self.device, dtype=self._dtype).to(memory_format=self._memory_format)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        origin: Origin = "file",
        expected_sha256: str | None = None,
        device: str | torch.device | None = None,
        precision: str = EXACT,
        batch_size: int | None = None,
    ) -> GenreClassifier:
        """Validate and load the checkpoint at ``path``; raises ``CheckpointError`` if it does not fit."""
        return cls(
            load_checkpoint(path, expected_sha256=expected_sha256),
            origin=origin,
            device=device,
            precision=precision,
            batch_size=batch_size,
        )

    @property
    def network(self) -> VGG:
        """The loaded network (BatchNorm folded into its convolutions, eval mode), for explanations.

        Shared with `predict`, possibly on another thread: read it, run it, never change it.
        """
        return self._model

    def input_tensor(self, inputs: np.ndarray) -> torch.Tensor:
        """Windows [n, 3, 224, 224] as the network takes them: on its device, dtype and memory layout."""
        batch = torch.tensor(_checked(inputs), dtype=torch.float32)
        return batch.to(self.device, self._dtype).contiguous(memory_format=self._memory_format)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Softmax probabilities [n, 16] float32 for windows ``inputs`` [n, 3, 224, 224] in [-1, 1]."""
        inputs = _checked(inputs)
        out = np.empty((inputs.shape[0], NUM_CLASSES), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, inputs.shape[0], self.batch_size):
                batch = self.input_tensor(inputs[start : start + self.batch_size])
                logits = self._model(batch).float()
                out[start : start + len(batch)] = torch.softmax(logits, dim=1).cpu().numpy()
        return out

    def predict_many(self, songs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """``predict`` for several songs at once, so batches fill up across song boundaries."""
        if not songs:
            return []
        probs = self.predict(np.concatenate([np.asarray(s) for s in songs]))
        return np.split(probs, np.cumsum([len(s) for s in songs])[:-1])

    def classify(self, inputs: np.ndarray) -> SongPrediction:
        """The song-level result for one song's windows."""
        return summarize(self.predict(inputs), model=self.identity)


def _checked(inputs: np.ndarray) -> np.ndarray:
    inputs = np.asarray(inputs)
    if inputs.ndim != 4 or inputs.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"inputs must be [n, 3, 224, 224], got {inputs.shape}")
    if not np.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or infinite values")
    return inputs


def _fold_batchnorm(features: nn.Sequential) -> nn.Sequential:
    """Each Conv2d followed by BatchNorm2d becomes one Conv2d with the BatchNorm folded in (eval only)."""
    layers: list[nn.Module] = []
    for layer in features:
        if isinstance(layer, nn.BatchNorm2d) and layers and isinstance(layers[-1], nn.Conv2d):
            layers[-1] = fuse_conv_bn_eval(layers[-1], layer)
        else:
            layers.append(layer)
    return nn.Sequential(*layers)
