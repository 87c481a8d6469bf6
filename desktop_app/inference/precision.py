"""Which numeric precision a network runs in, and which reduced one this hardware does well.

Exact is fp32. A reduced precision is only worth running where the hardware does it natively:
bf16 on a CPU with AVX-512 BF16 (about 2.5x fp32 for CCMusic on the project's machine; without
native bf16 a CPU emulates it, slower than fp32) and fp16 on CUDA. None is exact, so none is
used unless asked for or checked on the person's own music (`precision_check`,
`analysis.precision_switch`).

`FAST_CANDIDATES` is the one place that says which reduced precisions each device type may try,
fastest first; `supported` says whether this machine has it. A new candidate goes into both, and
every caller of `fast_candidates` and `fast_precision` gets it.

int8 (post-training static quantization, `int8`) is not a dtype but a quantized copy of a network,
calibrated on the person's own windows: only the networks in `QUANTIZED_MODELS` have one (the
CCMusic network; the built-in tagger's reduced path stays its bf16 frontend), on a CPU with VNNI
(`int8.int8_supported`). Where it is, it is the CPU's first candidate: about 2.9x bf16 for
CCMusic on the project's machine (bench/inference.py).
"""

from __future__ import annotations

import platform
from typing import Literal, get_args

import torch

from desktop_app.errors import InferenceError
from desktop_app.inference.precision_check import CheckTarget

Precision = Literal["fp32", "bf16", "fp16", "int8"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
EXACT: Precision = "fp32"
INT8: Precision = "int8"

FAST_CANDIDATES: dict[str, tuple[Precision, ...]] = {"cuda": ("fp16",), "cpu": ("int8", "bf16"), "mps": ()}
"""Reduced precisions each device type may use, fastest first."""

QUANTIZED_MODELS: dict[Precision, tuple[str, ...]] = {"int8": ("ccmusic",)}
"""The quantized precisions, and the networks that have a quantized copy (the others skip them)."""

DTYPES: dict[Precision, torch.dtype] = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
"""The precisions that are a dtype (weights and activations converted); int8 is not one."""


class PrecisionUnsupportedError(InferenceError, ValueError):
    """A precision was asked for on a device that does not run it natively (it would be slower)."""


def supported(precision: str, device: torch.device) -> bool:
    """Whether ``device`` runs ``precision`` natively (fp32 everywhere)."""
    if precision == EXACT:
        return True
    if precision not in FAST_CANDIDATES.get(device.type, ()):
        return False
    if precision == "bf16" and device.type == "cpu":
        return bool(torch.cpu._is_avx512_bf16_supported())
    if precision == INT8:
        from desktop_app.inference.int8 import int8_supported

        return int8_supported()
    return True


def fast_candidates(device: torch.device, model: str | None = None) -> tuple[Precision, ...]:
    """The reduced precisions ``device`` supports for ``model``, fastest first (quantized ones
    only for the networks in `QUANTIZED_MODELS`; none of them when ``model`` is None)."""
    return tuple(
        p
        for p in FAST_CANDIDATES.get(device.type, ())
        if (p not in QUANTIZED_MODELS or model in QUANTIZED_MODELS[p]) and supported(p, device)
    )


def fast_precision(device: torch.device, model: str | None = None) -> Precision | None:
    """The fastest reduced precision ``device`` supports for ``model``, None if it has none worth
    using (`fast_candidates`)."""
    return next(iter(fast_candidates(device, model)), None)


def dtype_for(precision: str, device: torch.device) -> torch.dtype:
    """The dtype weights and activations take for ``precision`` on ``device``; raises
    `PrecisionUnsupportedError` where it is unknown or not native."""
    if precision not in PRECISIONS:
        raise PrecisionUnsupportedError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision not in DTYPES:
        raise PrecisionUnsupportedError(
            f"{precision} is a quantized copy of a network, calibrated on windows, not a dtype to load it in"
        )
    if not supported(precision, device):
        why = (
            " without native bf16 (it would be slower than fp32)" if (precision, device.type) == ("bf16", "cpu") else ""
        )
        raise PrecisionUnsupportedError(f"{precision} is not supported on {device.type}{why}")
    return DTYPES[precision]


def device_description(device: torch.device) -> str:
    """The device type and what it is, as a verdict records it: a check on one CPU or GPU says
    nothing about another (``cpu: <processor model>``, ``cuda: <GPU name>``)."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu: {_cpu_name()}"
    return device.type


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown processor"


def check_target(model: str, model_sha256: str, device: torch.device, precision: str) -> CheckTarget:
    """What a check of ``precision`` against fp32 for ``model`` on ``device`` holds for, here and now."""
    from desktop_app import __version__

    return CheckTarget(
        model=model,
        model_sha256=model_sha256,
        device=device_description(device),
        torch_version=str(torch.__version__),
        app_version=__version__,
        precision=precision,
    )
