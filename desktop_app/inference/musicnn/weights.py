"""The tagger weights shipped with Genrescope, and the only way they are loaded.

``musicnn-msd`` and ``musicnn-mtt`` are the original musicnn 0.1.0 checkpoints converted by
packaging/musicnn/convert.py (weights/ORIGIN.md says from what, and how). They ship inside the
package, so their SHA-256s are known here: a file that differs (a damaged install, a partial
copy, someone else's file put in its place) is refused with the reason before torch unpickles
a byte of it, and the rest is loaded with ``torch.load(weights_only=True)`` and strictly.

Importing this module needs no torch: the registry reads the specs (names, titles, SHA-256s,
tags) to list models without loading any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.errors import InferenceError
from desktop_app.genres.musicnn_tags import MSD_TAGS, MTT_TAGS

if TYPE_CHECKING:
    import torch

    from desktop_app.inference.musicnn.network import MusiCNN
    from desktop_app.inference.musicnn.vgg import MusicnnVGG
    from desktop_app.inference.tagger import Tagger

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class TaggerSpec:
    """One shipped tagger: what it is called, which file holds it, what its outputs mean."""

    name: str
    display_name: str
    filename: str
    sha256: str
    tags: tuple[str, ...]
    original: str
    """The checkpoint it was converted from, in the musicnn 0.1.0 wheel."""
    architecture: str = "musicnn"
    """``musicnn`` (`network.MusiCNN`) or ``vgg`` (`vgg.MusicnnVGG`, the baselines)."""

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.filename


MUSICNN_MSD = TaggerSpec(
    name="musicnn-msd",
    display_name="MusiCNN (Million Song Dataset)",
    filename="msd_musicnn.pt",
    sha256="f46dcf57c2b68c298bf7d3ea22db4353cf7efe4d3d7c0abc1ef61b125f1ac35f",
    tags=MSD_TAGS,
    original="MSD_musicnn",
)
MUSICNN_MTT = TaggerSpec(
    name="musicnn-mtt",
    display_name="MusiCNN (MagnaTagATune)",
    filename="mtt_musicnn.pt",
    sha256="38e6a2375ba1cfb18825a47ad7ea7b8d9901a816b7267fb86e959f9bf951c49d",
    tags=MTT_TAGS,
    original="MTT_musicnn",
)
SHIPPED_TAGGERS: dict[str, TaggerSpec] = {spec.name: spec for spec in (MUSICNN_MSD, MUSICNN_MTT)}
"""The taggers the app runs, by model name, MSD first (the order of `Tagger`'s outputs)."""

VGG_MSD = TaggerSpec(
    name="musicnn-vgg-msd",
    display_name="musicnn VGG baseline (Million Song Dataset)",
    filename="msd_vgg.pt",
    sha256="f4b011a98c2536a41928e7c4fa960fb4a32767299842e751341523dfe71183de",
    tags=MSD_TAGS,
    original="MSD_vgg",
    architecture="vgg",
)
VGG_MTT = TaggerSpec(
    name="musicnn-vgg-mtt",
    display_name="musicnn VGG baseline (MagnaTagATune)",
    filename="mtt_vgg.pt",
    sha256="6314db1dca8a2224ae9a869e8cd7161b01e41cc5df7cc7e7e66786ed9ad3b85f",
    tags=MTT_TAGS,
    original="MTT_vgg",
    architecture="vgg",
)
BASELINE_TAGGERS: dict[str, TaggerSpec] = {spec.name: spec for spec in (VGG_MSD, VGG_MTT)}
"""The original package's VGG-like baselines, shipped and checked like the taggers but not run by
the app: the musicnn networks score better on both datasets (weights/ORIGIN.md)."""
ALL_TAGGERS: dict[str, TaggerSpec] = {**SHIPPED_TAGGERS, **BASELINE_TAGGERS}


_ARCHITECTURE_NAMES = {"musicnn": "MusiCNN", "vgg": "musicnn VGG"}


class TaggerWeightsError(InferenceError):
    """A shipped tagger could not be loaded; ``str()`` is a message for the user."""

    def __init__(self, spec: TaggerSpec, path: Path, reason: str) -> None:
        super().__init__(
            f"Cannot load the built-in tagger {spec.display_name} from {path}: {reason}. "
            "Reinstalling Genrescope restores the file."
        )
        self.spec = spec
        self.path = path
        self.reason = reason


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_tagger_network(
    spec: TaggerSpec, device: str | torch.device = "cpu", path: Path | None = None
) -> MusiCNN | MusicnnVGG:
    """``spec``'s network in eval mode on ``device``, from its shipped file (or ``path``).

    The file's SHA-256 must be ``spec.sha256``; then it is read with ``weights_only=True`` and
    loaded strictly. Raises `TaggerWeightsError` with the reason otherwise.
    """
    import torch

    from desktop_app.inference.musicnn.network import build_musicnn
    from desktop_app.inference.musicnn.vgg import build_vgg

    path = spec.path if path is None else Path(path)
    try:
        digest = sha256_of_file(path)
    except FileNotFoundError:
        raise TaggerWeightsError(spec, path, "the file is missing") from None
    except IsADirectoryError:
        raise TaggerWeightsError(spec, path, "it is a folder, not a weights file") from None
    except OSError as exc:
        raise TaggerWeightsError(spec, path, f"the file cannot be read ({exc.strerror})") from None
    if digest != spec.sha256:
        raise TaggerWeightsError(
            spec,
            path,
            f"the file is damaged or not the shipped one: its SHA-256 is {digest}, expected {spec.sha256}",
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a file with the right hash cannot get here unless torch changed
        raise TaggerWeightsError(spec, path, f"torch cannot read it ({exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise TaggerWeightsError(spec, path, "it does not hold a state_dict of tensors")
    build = build_vgg if spec.architecture == "vgg" else build_musicnn
    model = build(num_classes=len(spec.tags))
    misfit = _misfit(state, {k: tuple(v.shape) for k, v in model.state_dict().items()})
    if misfit:
        raise TaggerWeightsError(
            spec, path, f"it does not fit the {_ARCHITECTURE_NAMES[spec.architecture]} network ({misfit})"
        )
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def _misfit(state: dict[str, torch.Tensor], expected: dict[str, tuple[int, ...]]) -> str:
    """What keeps ``state`` from loading strictly, in a few words ("" when it fits)."""
    problems = []
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k} {tuple(state[k].shape)} not {shape}"
        for k, shape in expected.items()
        if k in state and tuple(state[k].shape) != shape
    ]
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
        if keys:
            problems.append(f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}")
    return "; ".join(problems)


def load_tagger(device: str | None = None, precision: str = "fp32") -> Tagger:
    """Both shipped taggers, checked and loaded, as one `Tagger` on ``device`` (None: automatic) in
    ``precision`` (`Tagger`)."""
    from desktop_app.inference.identity import ModelIdentity
    from desktop_app.inference.tagger import Tagger

    networks = {name: load_tagger_network(spec) for name, spec in SHIPPED_TAGGERS.items()}
    identities = {
        name: ModelIdentity(sha256=spec.sha256, path=str(spec.path), origin="builtin", model=name)
        for name, spec in SHIPPED_TAGGERS.items()
    }
    return Tagger(networks, identities, device=device, precision=precision)
