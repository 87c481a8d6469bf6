"""Post-training static int8 for the CCMusic network on CPU, calibrated on the person's own windows.

PyTorch's own quantization, FX graph mode (``torch.ao.quantization.quantize_fx``) with the oneDNN
backend: convolutions (ReLU fused) and the linear head in int8, per-channel symmetric weights,
per-tensor activations whose ranges come from calibration windows through histogram observers
(oneDNN's default qconfig, without the 7-bit "reduce range" that the x86/fbgemm default needs on
CPUs without VNNI). The PT2E path is not in this torch any more (it moved to torchao), and it
would need inductor, hence a C++ compiler at run time, to be fast; FX needs neither.

The engine is oneDNN, not torch's "x86" default: on the project's 2-core AVX-512 VNNI + AMX
machine, in one interleaved comparison at batch 8 (machine shared, load 4-5), oneDNN's int8 ran
60-65 windows/s where the x86 (fbgemm) engine's ran 13-24; bench/inference.py measures int8 at
81 windows/s near idle (load 1.8): 2.9x bf16, 12x the engine's fp32 (2.3-2.5x bf16 at load 5-7).
Only CPUs with VNNI get it (`int8_supported`): without VNNI oneDNN's u8*s8 products can saturate,
and are slow anyway.

Calibrating costs more than analysing the same windows in fp32 (observers on every activation):
12.5 s for 31 windows on that machine near idle (45-55 s at load 6-8), paid once per model.

int8 is not exact: with random weights, logits move by ~1.5 % of their spread and probabilities
by a few 1e-4 (tests/inference/test_int8.py), so like bf16 it is only for a model and machine
where top-1 has been checked against fp32 on the person's own windows.

What calibration learnt is kept as the observers' state (`Int8Ranges`: each activation
observer's histogram and range, ~0.3 MB), not as the quantized network: the int8 weights follow
deterministically from the fp32 weights (already on disk, SHA-256-checked), so storing them would
repeat ~120 MB, and a converted FX model holds oneDNN packed-parameter objects, which only a full
unpickle (not ``torch.load(weights_only=True)``) rebuilds. `quantize_from_ranges` prepares the
float network again, restores the observers and converts: the same int8 network as the calibrated
one, bit for bit (tests/inference/test_int8.py): on the project's machine (load ~1.2), 3.1 s
for reading the 291 KB file and rebuilding, against 11.6 s to calibrate on 32 windows.
`save_ranges` and `load_ranges` keep them in a file (``torch.save`` of plain tensors and strings,
read back with ``weights_only=True``).
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

BACKEND = "onednn"
INPUT_SHAPE = (3, 224, 224)
CALIBRATION_BATCH = 8
RANGES_FORMAT = 1
TEMP_PREFIX = ".int8-"
"""`save_ranges`' temporary files (a killed writer's are removed by a later write)."""
OBSERVERS = "activation_post_process"
"""What FX names the activation observers of a prepared network; their state is `Int8Ranges`."""
RANGE_TOLERANCE = 1e-3
"""Network inputs are images in [-1, 1]; calibration windows beyond that (by more than float
rounding) are not network inputs (raw dB, or unscaled pixels) and would set wrong ranges."""


def int8_supported() -> bool:
    """Whether this torch and CPU run oneDNN int8 well: the oneDNN engine and VNNI instructions."""
    return BACKEND in torch.backends.quantized.supported_engines and torch.cpu._is_vnni_supported()


Int8Ranges = dict[str, torch.Tensor]
"""The calibrated activation observers' state (histograms, ranges) by name in the prepared network."""


class Int8Network(nn.Module):
    """The quantized network: float32 windows [n, 3, 224, 224] in, float32 logits [n, 16] out."""

    def __init__(self, quantized: nn.Module, ranges: Int8Ranges) -> None:
        super().__init__()
        self.quantized = quantized
        self.ranges = ranges
        """What calibration learnt (`quantize_from_ranges` rebuilds this network from it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # oneDNN's int8 convolutions work in NHWC: hand them that layout instead of a reorder per layer.
        return self.quantized(x.float().contiguous(memory_format=torch.channels_last))


def quantize_int8(model: nn.Module, calibration: np.ndarray) -> Int8Network:
    """An int8 copy of the float ``model`` (eval mode, on CPU; ``model`` itself is not changed),
    with activation ranges calibrated on ``calibration``: the person's own windows, float
    [n >= 1, 3, 224, 224] in [-1, 1], not all the same value. Deterministic for the same model and
    windows. Raises ValueError for unusable calibration windows, RuntimeError where int8 is not
    supported (`int8_supported`)."""
    windows = _checked_calibration(calibration)
    _require_support()
    with _engine(BACKEND), _quiet(), torch.no_grad():
        prepared = _prepared(model)
        for start in range(0, len(windows), CALIBRATION_BATCH):
            batch = torch.from_numpy(windows[start : start + CALIBRATION_BATCH])
            prepared(batch.contiguous(memory_format=torch.channels_last))
        ranges = {k: v.detach().clone() for k, v in prepared.state_dict().items() if OBSERVERS in k}
        return _converted(prepared, ranges)


def quantize_from_ranges(model: nn.Module, ranges: Int8Ranges) -> Int8Network:
    """The int8 copy `quantize_int8` made of ``model`` when it learnt ``ranges`` (no calibration:
    the observers are restored). Raises ValueError when ``ranges`` do not fit this network's
    observers, RuntimeError where int8 is not supported."""
    _require_support()
    with _engine(BACKEND), _quiet(), torch.no_grad():
        prepared = _prepared(model)
        expected = {k for k in prepared.state_dict() if OBSERVERS in k}
        if set(ranges) != expected or not all(isinstance(v, torch.Tensor) for v in ranges.values()):
            raise ValueError("the int8 ranges do not fit this network's observers")
        # Only the observers' entries, whose keys were checked equal just above: the weights are
        # the model's own, so a strict load (which wants every key) does not apply here.
        prepared.load_state_dict(ranges, strict=False)
        return _converted(prepared, {k: v.detach().clone() for k, v in ranges.items()})


def _require_support() -> None:
    if not int8_supported():
        raise RuntimeError("int8 needs PyTorch's oneDNN quantized engine and a CPU with VNNI instructions")


def _prepared(model: nn.Module) -> nn.Module:
    """A float copy of ``model`` with observers (call inside `_engine` and `_quiet`)."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import prepare_fx

    float_model = copy.deepcopy(model).float().cpu().eval()
    example = (torch.zeros((1, *INPUT_SHAPE)),)
    return prepare_fx(float_model, get_default_qconfig_mapping(BACKEND), example)


def _converted(prepared: nn.Module, ranges: Int8Ranges) -> Int8Network:
    from torch.ao.quantization.quantize_fx import convert_fx

    return Int8Network(convert_fx(prepared), ranges).eval()  # type: ignore[arg-type]


def save_ranges(path: Path, ranges: Int8Ranges, about: dict[str, str]) -> Path:
    """Write ``ranges`` with ``about`` (what they hold for: strings) to ``path`` atomically."""
    from desktop_app.temp_files import claimed_temp, remove_abandoned

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(path.parent, f"{TEMP_PREFIX}*")
    record = {"format": RANGES_FORMAT, "about": dict(about), "ranges": {k: v.contiguous() for k, v in ranges.items()}}
    with claimed_temp(path.parent, TEMP_PREFIX, ".pt") as (fd, temp):
        with open(fd, "wb", closefd=False) as f:
            torch.save(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    return path


def ranges_digest(ranges: Int8Ranges) -> str:
    """A SHA-256 of ``ranges`` (names, shapes, dtypes and values): which calibration a verdict
    compared."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(ranges):
        tensor = ranges[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}|".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def load_ranges(path: Path) -> tuple[dict[str, str], Int8Ranges] | None:
    """What `save_ranges` wrote: (``about``, ranges); None when missing or unreadable. Read with
    ``weights_only=True``: tensors, strings and numbers only, no code."""
    try:
        record: Any = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 (damaged, truncated, not ours: calibrate again)
        return None
    if not isinstance(record, dict) or record.get("format") != RANGES_FORMAT:
        return None
    about, ranges = record.get("about"), record.get("ranges")
    if not isinstance(about, dict) or not isinstance(ranges, dict):
        return None
    if not all(isinstance(v, torch.Tensor) for v in ranges.values()):
        return None
    return {str(k): str(v) for k, v in about.items()}, {str(k): v for k, v in ranges.items()}


def _checked_calibration(calibration: np.ndarray) -> np.ndarray:
    if not isinstance(calibration, np.ndarray):
        raise ValueError(f"calibration windows must be a numpy array, got {type(calibration).__name__}")
    if calibration.ndim != 4 or calibration.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"calibration windows must be [n, 3, 224, 224], got {list(calibration.shape)}")
    if calibration.shape[0] == 0:
        raise ValueError("calibration needs at least one window, got none")
    if not np.issubdtype(calibration.dtype, np.floating):
        raise ValueError(f"calibration windows must be floating point network inputs, got {calibration.dtype}")
    windows = np.ascontiguousarray(calibration, dtype=np.float32)
    if not np.isfinite(windows).all():
        raise ValueError("calibration windows contain NaN or infinite values")
    low, high = float(windows.min()), float(windows.max())
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise ValueError(
            f"calibration windows must be network inputs in [-1, 1], got values in [{low:.3g}, {high:.3g}]"
        )
    if low == high:
        raise ValueError("calibration windows are all one value (silence?): they cannot set int8 ranges")
    return windows


@contextmanager
def _engine(name: str) -> Iterator[None]:
    """The quantized engine that packs the weights; only packing needs it, so it is put back after."""
    before = torch.backends.quantized.engine
    torch.backends.quantized.engine = name
    try:
        yield
    finally:
        torch.backends.quantized.engine = before


@contextmanager
def _quiet() -> Iterator[None]:
    """torch 2.10+ warns on every FX quantization call that the API is deprecated in favour of
    torchao's PT2E, which this app does not depend on (and whose fast path needs a compiler)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.ao\..*")
        yield
