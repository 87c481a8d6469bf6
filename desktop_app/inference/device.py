"""Which torch device runs the network: CUDA, then Apple MPS, then CPU, unless the user says.

The preference comes from the caller (a setting or ``--device``), else ``GENRESCOPE_DEVICE``,
else ``auto``. An explicit device that is not available is an error, not a silent fallback:
the user asked for it and should learn why they are not getting it.
"""

from __future__ import annotations

import os
from typing import Literal, get_args

import torch

from desktop_app.errors import InferenceError

DevicePreference = Literal["auto", "cpu", "cuda", "mps"]
DEVICE_PREFERENCES: tuple[DevicePreference, ...] = get_args(DevicePreference)
DEVICE_ENV = "GENRESCOPE_DEVICE"


class DeviceUnavailableError(InferenceError, RuntimeError):
    """An explicitly requested device is not usable on this machine or with this torch build."""


def _why_unavailable(name: str) -> str:
    if name == "cuda":
        if torch.version.cuda is None:
            return f"this torch build ({torch.__version__}) has no CUDA support"
        return "no usable NVIDIA GPU was found (torch.cuda.is_available() is False)"
    if not torch.backends.mps.is_built():
        return f"this torch build ({torch.__version__}) has no MPS support (Apple silicon only)"
    return "MPS is not available (needs macOS 12.3+ on Apple silicon)"


def select_device(preference: str | None = None) -> torch.device:
    """The device for ``preference`` ('auto'|'cpu'|'cuda'|'mps'; None reads GENRESCOPE_DEVICE)."""
    choice = (preference or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if choice not in DEVICE_PREFERENCES:
        raise ValueError(f"unknown device {choice!r}; choose one of {', '.join(DEVICE_PREFERENCES)}")
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if choice == "auto":
        return torch.device(next(name for name in ("cuda", "mps", "cpu") if available[name]))
    if not available[choice]:
        raise DeviceUnavailableError(
            f"Device {choice!r} was requested but {_why_unavailable(choice)}. Choose 'auto' or 'cpu' instead."
        )
    return torch.device(choice)
