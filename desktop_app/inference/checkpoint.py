"""Reading a genre checkpoint safely and refusing, with a reason, any file that does not fit.

The reference demo loads with ``strict=False``, which silently keeps random weights when a file
does not match. Here a checkpoint is either the exact CCMusic VGG19_BN/16-class state_dict or a
``CheckpointError`` that tells the user what the file is instead. Files are only ever read with
``torch.load(..., weights_only=True)``, which refuses pickles that would run code.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import BinaryIO

import torch

from desktop_app.errors import InferenceError
from desktop_app.genres.ccmusic import NUM_CLASSES
from desktop_app.inference.network import expected_shapes

HASH_CHUNK = 1 << 20
_HEAD_WEIGHT = "classifier.9.weight"
_WRAPPER_KEYS = ("state_dict", "model")  # what training scripts commonly save around the weights
_PREFIX = "module."  # added by (Distributed)DataParallel


class Problem(Enum):
    """Why a checkpoint was refused; lets callers react without parsing the message."""

    MISSING = "missing"
    UNREADABLE = "unreadable"
    NOT_A_CHECKPOINT = "not_a_checkpoint"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    UNSAFE = "unsafe"
    CHECKSUM = "checksum"
    NOT_A_STATE_DICT = "not_a_state_dict"
    WRONG_BACKBONE = "wrong_backbone"
    WRONG_CLASSES = "wrong_classes"
    KEYS = "keys"
    SHAPES = "shapes"
    NON_FINITE = "non_finite"


class CheckpointError(InferenceError):
    """A file that cannot be used as the genre model; ``str()`` is a message for the user."""

    def __init__(self, path: Path, problem: Problem, detail: str) -> None:
        super().__init__(f"Cannot use {path} as the genre model: {detail}")
        self.path = path
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class LoadedCheckpoint:
    """A validated state_dict (float32, CPU, exact keys and shapes) and the file it came from."""

    path: Path
    sha256: str
    size: int
    state_dict: dict[str, torch.Tensor]


def load_checkpoint(path: str | Path, expected_sha256: str | None = None) -> LoadedCheckpoint:
    """Hash, safely unpickle and strictly validate ``path``; raise ``CheckpointError`` otherwise.

    With ``expected_sha256`` the bytes are checked before anything is unpickled.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, Problem.MISSING, "the file does not exist")
    if not path.is_file():
        raise CheckpointError(path, Problem.MISSING, "it is a folder, not a checkpoint file")
    try:
        f = path.open("rb")
    except OSError as exc:
        raise CheckpointError(path, Problem.UNREADABLE, f"it cannot be read ({exc.strerror})") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        _check_file_type(path, f, size)
        f.seek(0)
        sha256 = sha256_of(f)
        if expected_sha256 is not None and sha256 != expected_sha256.lower():
            raise CheckpointError(
                path,
                Problem.CHECKSUM,
                f"its SHA-256 is {sha256}, expected {expected_sha256.lower()} "
                "(the file is damaged or not the one that was meant)",
            )
        if expected_sha256 is None:
            _check_members(path, f)
        f.seek(0)
        obj = _safe_load(path, f)
    state = validate_state_dict(path, obj)
    return LoadedCheckpoint(path=path, sha256=sha256, size=size, state_dict=state)


def sha256_of(f: BinaryIO) -> str:
    """SHA-256 of an open binary file from its current position, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    while chunk := f.read(HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _check_file_type(path: Path, f: BinaryIO, size: int) -> None:
    """Refuse files that are obviously something else before torch sees them."""
    if size == 0:
        raise CheckpointError(path, Problem.NOT_A_CHECKPOINT, "the file is empty")
    head = f.read(512)
    if head.startswith(b"\x80"):
        return  # torch's legacy format: a pickle stream
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path, f)
        return
    if head.startswith(b"version https://git-lfs"):
        what = "a Git LFS pointer (a small text file standing in for the real 488 MB file)"
    elif head.startswith(b"\x89PNG"):
        what = "a PNG image"
    elif head.startswith(b"\xff\xd8\xff"):
        what = "a JPEG image"
    elif head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        what = "a web page (HTML), not the model file"
    elif _looks_like_text(head):
        what = "a text file"
    else:
        what = "not a PyTorch checkpoint (unknown file type)"
    raise CheckpointError(path, Problem.NOT_A_CHECKPOINT, f"it is {what}")


def _check_zip(path: Path, f: BinaryIO) -> None:
    """torch's format is a ZIP holding ``<name>/data.pkl``; its directory sits at the very end."""
    f.seek(0)
    try:
        names = zipfile.ZipFile(f).namelist()
    except zipfile.BadZipFile:
        raise _truncated(path) from None
    if not any(name.endswith("/data.pkl") for name in names):
        raise CheckpointError(
            path,
            Problem.NOT_A_CHECKPOINT,
            "it is a ZIP archive but not a PyTorch checkpoint (if it contains save.pt, extract that file and use it)",
        )


def _check_members(path: Path, f: BinaryIO) -> None:
    """Every ZIP member against its CRC-32: torch.load checks none, and would load a file with a
    damaged byte in its weights (a bad copy, a failing disk) without a word. One more read of the
    file, about 0.2 s for the 488 MB model; a known SHA-256 makes it unnecessary."""
    f.seek(0)
    if f.read(4) != b"PK\x03\x04":
        return  # the legacy format carries no checksums
    f.seek(0)
    try:
        damaged = zipfile.ZipFile(f).testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise _truncated(path) from None
    if damaged is not None:
        raise CheckpointError(
            path,
            Problem.CORRUPT,
            f"it is damaged: the bytes of {damaged} do not match their stored checksum; download or copy it again",
        )


def _truncated(path: Path) -> CheckpointError:
    return CheckpointError(
        path,
        Problem.TRUNCATED,
        f"the file is truncated or damaged ({path.stat().st_size:,} bytes; the published "
        "checkpoint is about 488 MB); download or copy it again",
    )


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _safe_load(path: Path, f: BinaryIO) -> object:
    try:
        return torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        message = str(exc)
        if "Weights only load failed" in message:
            found = re.search(r"GLOBAL ([\w.]+)", message)
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(
                path,
                Problem.UNSAFE,
                f"it contains Python objects{what} that could run code when loaded; "
                "it was refused without running anything",
            ) from None
        raise CheckpointError(path, Problem.CORRUPT, f"it is corrupted ({message})") from None
    except (RuntimeError, EOFError) as exc:
        message = str(exc)
        if isinstance(exc, EOFError) or "EOF" in message or "truncated" in message:
            raise _truncated(path) from None
        raise CheckpointError(path, Problem.CORRUPT, f"it could not be read ({message})") from None


def validate_state_dict(path: Path, obj: object) -> dict[str, torch.Tensor]:
    """The exact CCMusic state_dict held by ``obj`` as float32 tensors, or ``CheckpointError``.

    Accepted wrappings: the state_dict itself, or a dict holding it under 'state_dict' or 'model';
    keys may carry a 'module.' prefix on every key. Nothing else is guessed.
    """
    state = _unwrap(path, obj)
    expected = expected_shapes()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        _refuse_foreign_layout(path, state, missing, unexpected)
    head = state[_HEAD_WEIGHT]
    if head.ndim == 2 and head.shape[0] != NUM_CLASSES:
        raise CheckpointError(
            path,
            Problem.WRONG_CLASSES,
            f"it has {head.shape[0]} classes, expected {NUM_CLASSES} (the CCMusic genres)",
        )
    wrong = [
        f"{k} is {tuple(v.shape)}, expected {expected[k]}" for k, v in state.items() if tuple(v.shape) != expected[k]
    ]
    if wrong:
        raise CheckpointError(path, Problem.SHAPES, f"tensor shapes differ: {_few(wrong)}")
    # Weights and statistics are floating point; only BatchNorm's step counters are integers.
    kinds = [k for k, v in state.items() if v.is_floating_point() == k.endswith("num_batches_tracked")]
    if kinds:
        raise CheckpointError(path, Problem.SHAPES, f"tensor types differ: {_few(kinds)}")
    non_finite = [k for k, v in state.items() if v.is_floating_point() and not _all_finite(v)]
    if non_finite:
        raise CheckpointError(path, Problem.NON_FINITE, f"it holds NaN or infinite weights in {_few(non_finite)}")
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}


_FINITE_CHUNK = 1 << 22


def _all_finite(tensor: torch.Tensor) -> bool:
    """``torch.isfinite(t).all()`` a few million values at a time: at once, on the 99-million-value
    classifier layer, its temporaries added 800 MB to the model's loading peak."""
    return all(bool(torch.isfinite(chunk).all()) for chunk in tensor.reshape(-1).split(_FINITE_CHUNK))


def _unwrap(path: Path, obj: object) -> dict[str, torch.Tensor]:
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not obj:
        what = "an empty dictionary" if isinstance(obj, Mapping) else f"a {type(obj).__name__}"
        raise CheckpointError(path, Problem.NOT_A_STATE_DICT, f"it holds {what}, not a model state_dict")
    not_tensors = [str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(
            path,
            Problem.NOT_A_STATE_DICT,
            f"it is not a plain state_dict (entries that are not tensors: {_few(not_tensors)})",
        )
    keys = [str(k) for k in obj]
    if all(k.startswith(_PREFIX) for k in keys):
        return {k[len(_PREFIX) :]: v for k, v in zip(keys, obj.values())}
    return dict(zip(keys, obj.values()))


# Key patterns of the backbones people are likely to pick up by mistake, among them CCMusic's
# sibling folders (convnext_base_cqt, vit_b_16_cqt, ...) and plain torchvision downloads.
_BACKBONES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("a ResNet", ("layer1.0.conv1.weight", "fc.weight")),
    ("a Vision Transformer (ViT)", ("conv_proj.weight", "encoder.ln.weight")),
    ("a ConvNeXt", ("features.1.0.block.0.weight",)),
    ("a DenseNet", ("features.denseblock1.denselayer1.conv1.weight",)),
    ("a VGG19 without BatchNorm", ("features.2.weight", "features.34.weight")),
)


def _refuse_foreign_layout(
    path: Path, state: Mapping[str, torch.Tensor], missing: list[str], unexpected: list[str]
) -> None:
    for name, keys in _BACKBONES:
        if all(k in state for k in keys):
            raise CheckpointError(
                path,
                Problem.WRONG_BACKBONE,
                f"it looks like {name} state_dict (keys such as {_few(list(keys))}), not the VGG19_BN genre network",
            )
    if "classifier.6.weight" in state and _HEAD_WEIGHT not in state:
        classes = state["classifier.6.weight"].shape[0]
        raise CheckpointError(
            path,
            Problem.WRONG_CLASSES,
            f"it has torchvision's plain VGG head with {classes} classes, expected the CCMusic "
            f"head with {NUM_CLASSES} classes (is it the ImageNet VGG19_BN?)",
        )
    parts = [f"missing {len(missing)} keys ({_few(missing)})"] if missing else []
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected keys ({_few(unexpected)})")
    raise CheckpointError(path, Problem.KEYS, "its keys do not match: " + "; ".join(parts))


def _few(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items) - limit} more)"
