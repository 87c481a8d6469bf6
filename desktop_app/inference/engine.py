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

int8 (a CPU with VNNI, about 2.9x bf16) is not a dtype to load in but a quantized copy of the fp32
network (`quantized`), calibrated on windows of the person's music or rebuilt from what an earlier
calibration learnt (`int8.Int8Ranges`). `Int8Calibration` collects those windows from the first
tracks an fp32 classifier analyses and then quantizes; `calibrating_int8` is a classifier that
analyses in fp32 until it has them, then in int8.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from desktop_app.genres.ccmusic import NUM_CLASSES
from desktop_app.inference.checkpoint import CheckpointError, LoadedCheckpoint, Problem, load_checkpoint
from desktop_app.inference.device import select_device
from desktop_app.inference.identity import ModelIdentity, Origin
from desktop_app.inference.network import VGG, build_network
from desktop_app.inference.precision import EXACT, INT8, Precision, PrecisionUnsupportedError, dtype_for
from desktop_app.inference.summary import SongPrediction, summarize

if TYPE_CHECKING:
    from desktop_app.inference.int8 import Int8Ranges

log = logging.getLogger(__name__)
INPUT_SHAPE = (3, 224, 224)
# Windows per forward pass. CPU: 8 measured as fast as 16 with half the activation memory.
DEFAULT_BATCH = {"cpu": 8, "cuda": 64, "mps": 16}
PROBABILITY_HEADS: tuple[slice, ...] = (slice(0, NUM_CLASSES),)
"""`predict`'s columns with one top-1 (all 16 genres), for `precision_check`."""
CALIBRATION_WINDOWS = 32
"""Windows int8 is calibrated on: 31 took 12.5 s near idle on the project's machine (int8.py)."""
CALIBRATION_PER_TRACK = 8
"""At most this many windows of one track (spread over it), so calibration spans 4+ tracks."""


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
        self._model: nn.Module = model.to(device=self.device, dtype=self._dtype).to(memory_format=self._memory_format)
        self._pending: Int8Calibration | None = None

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

        Shared with `predict`, possibly on another thread: read it, run it, never change it. An int8
        classifier has no float network to explain (TypeError): explanations load the exact one.
        """
        if self.precision == INT8:
            raise TypeError("an int8 classifier has no float network: explanations need the exact classifier")
        return cast(VGG, self._model)

    @property
    def calibrating(self) -> bool:
        """Whether this int8 classifier still runs fp32 while it collects calibration windows."""
        return self._pending is not None

    @property
    def running_precision(self) -> Precision:
        """What the next `predict` runs in: ``precision``, but fp32 while int8 still calibrates."""
        return EXACT if self._pending is not None else self.precision

    @property
    def int8_ranges(self) -> Int8Ranges | None:
        """What this int8 classifier's calibration learnt (None: not int8, or not calibrated yet)."""
        from desktop_app.inference.int8 import Int8Network

        return self._model.ranges if isinstance(self._model, Int8Network) else None

    def quantized(self, calibration: np.ndarray | Int8Ranges) -> GenreClassifier:
        """An int8 copy of this fp32 CPU classifier (same identity and batch size): calibrated on
        the windows ``calibration`` [n, 3, 224, 224], or rebuilt from the ``Int8Ranges`` an
        earlier calibration learnt. This classifier is not changed. Raises
        `PrecisionUnsupportedError` unless this is fp32 on a CPU with int8, ValueError for unusable
        windows or ranges that do not fit."""
        from desktop_app.inference.int8 import int8_supported, quantize_from_ranges, quantize_int8

        if self.precision != EXACT or self.device.type != "cpu" or not int8_supported():
            raise PrecisionUnsupportedError("int8 is quantized from the fp32 network on a CPU with VNNI")
        if isinstance(calibration, np.ndarray):
            network = quantize_int8(self._model, calibration)
        else:
            network = quantize_from_ranges(self._model, calibration)
        return self._copy_as_int8(network)

    def calibrating_int8(self, calibration: Int8Calibration) -> GenreClassifier:
        """A classifier that analyses in fp32 (this one's network) while ``calibration`` collects
        the windows it predicts, then in int8 from the batch after calibration on. Its
        ``precision`` is ``int8`` from the start: what it runs once calibrated."""
        if self.precision != EXACT or self.device.type != "cpu":
            raise PrecisionUnsupportedError("int8 is quantized from the fp32 network on a CPU")
        copied = self._copy_as_int8(self._model)
        copied._pending = calibration
        return copied

    def _copy_as_int8(self, network: nn.Module) -> GenreClassifier:
        copied = copy.copy(self)
        copied._model = network
        copied.precision = INT8
        copied._dtype = torch.float32
        copied._memory_format = torch.channels_last
        copied._pending = None
        return copied

    def input_tensor(self, inputs: np.ndarray) -> torch.Tensor:
        """Windows [n, 3, 224, 224] as the network takes them: on its device, dtype and memory layout."""
        batch = torch.tensor(_checked(inputs), dtype=torch.float32)
        return batch.to(self.device, self._dtype).contiguous(memory_format=self._memory_format)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Softmax probabilities [n, 16] float32 for windows ``inputs`` [n, 3, 224, 224] in [-1, 1]."""
        inputs = _checked(inputs)
        model = self._model
        out = np.empty((inputs.shape[0], NUM_CLASSES), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, inputs.shape[0], self.batch_size):
                batch = self.input_tensor(inputs[start : start + self.batch_size])
                logits = model(batch).float()
                out[start : start + len(batch)] = torch.softmax(logits, dim=1).cpu().numpy()
        pending = self._pending
        if pending is not None:  # fp32 so far: these windows calibrate int8
            pending.add(inputs)
            if pending.classifier is not None:
                self._model, self._pending = pending.classifier._model, None
            elif pending.error is not None:  # stays fp32: calibration could not be done
                self._pending, self.precision = None, EXACT
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


class Int8Calibration:
    """Windows from the first tracks an fp32 classifier analyses (`add`, one track at a time),
    until there are ``windows`` of them, at most ``per_track`` spread over each track; then the
    int8 copy calibrated on them (``classifier``), handed to ``on_ready`` (to keep its ranges).

    Quantizing runs in the `add` that completes the windows, on the caller's thread (12-55 s on
    the project's machine; the analysis runs on a worker): call it off the GUI thread. Where it
    cannot be done (ValueError, RuntimeError), ``error`` says why and nothing more is collected."""

    def __init__(
        self,
        exact: GenreClassifier,
        *,
        windows: int = CALIBRATION_WINDOWS,
        per_track: int = CALIBRATION_PER_TRACK,
        on_ready: Callable[[GenreClassifier], None] | None = None,
    ) -> None:
        if windows < 1 or per_track < 1:
            raise ValueError(f"calibration needs at least one window, got {windows} ({per_track} per track)")
        self._exact: GenreClassifier | None = exact
        self.windows, self.per_track = windows, per_track
        self._on_ready = on_ready
        self._collected: list[np.ndarray] = []
        self.classifier: GenreClassifier | None = None
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        return self.classifier is not None

    @property
    def collected(self) -> int:
        return sum(len(w) for w in self._collected)

    def add(self, inputs: np.ndarray) -> None:
        """Take up to ``per_track`` windows spread over one track's ``inputs``; quantize once
        there are enough."""
        exact = self._exact
        if exact is None or len(inputs) == 0:
            return
        take = min(self.per_track, self.windows - self.collected, len(inputs))
        rows = np.unique(np.linspace(0, len(inputs) - 1, take).round().astype(int))
        self._collected.append(np.array(np.asarray(inputs)[rows], dtype=np.float32))
        if self.collected < self.windows:
            return
        calibration = np.concatenate(self._collected)
        self._collected, self._exact = [], None
        try:
            self.classifier = exact.quantized(calibration)
        except (ValueError, RuntimeError) as exc:
            log.warning("int8 calibration on %d windows failed", len(calibration), exc_info=True)
            self.error = str(exc)
            return
        if self._on_ready is not None:
            self._on_ready(self.classifier)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The int8 probabilities (only once ``ready``)."""
        if self.classifier is None:
            raise RuntimeError("int8 is not calibrated yet")
        return self.classifier.predict(inputs)


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
