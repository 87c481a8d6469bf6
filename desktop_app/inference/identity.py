"""Which weights produced a result.

Every prediction carries a ``ModelIdentity`` so the app can always say which file (by SHA-256) and
which source its genres came from, and so results from test weights are never mistaken for the
published model.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Origin = Literal["hub", "imported", "test", "file", "builtin"]
ORIGINS: tuple[Origin, ...] = get_args(Origin)

_SHA256 = re.compile(r"[0-9a-f]{64}")

MODEL_TITLES = {
    "ccmusic": "CCMusic VGG19_BN CQT",
    "musicnn-msd": "MusiCNN (Million Song Dataset)",
    "musicnn-mtt": "MusiCNN (MagnaTagATune)",
    "broad-genre": "Broad genre (from MusiCNN tags)",
    "my-genres": "My genres (learned from your library)",
}
"""How each model is named to a person."""


@dataclass(frozen=True)
class ModelIdentity:
    """The loaded checkpoint's SHA-256, its path, and where it came from.

    origin: ``hub`` downloaded by Genrescope, ``imported`` copied in by the user, ``file`` used in
    place (e.g. ``--weights``), ``test`` random weights built by tests or the benchmark,
    ``builtin`` shipped with the app (the tagger).
    model: which network (``ccmusic``, ``musicnn-msd``, ``musicnn-mtt``).
    """

    sha256: str
    path: str
    origin: Origin
    model: str = "ccmusic"

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"not a lowercase hex SHA-256: {self.sha256!r}")
        if self.origin not in ORIGINS:
            raise ValueError(f"unknown model origin {self.origin!r}; expected one of {ORIGINS}")

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]

    @property
    def label(self) -> str:
        """One line for the status bar and for exported results."""
        name = Path(self.path).name
        if self.model != "ccmusic":
            kind = "TEST weights (random, not a trained model)" if self.origin == "test" else "built-in"
            return f"{MODEL_TITLES.get(self.model, self.model)} ({kind}, sha256 {self.short_sha})"
        if self.origin == "test":
            return f"TEST weights (random, not a trained model) {name}, sha256 {self.short_sha}"
        source = {
            "hub": "downloaded from the CCMusic hub",
            "imported": "imported",
            "file": f"file {name}",
            "builtin": "built-in",
        }[self.origin]
        return f"CCMusic VGG19_BN CQT ({source}, sha256 {self.short_sha})"


def combined_sha256(shas: dict[str, str]) -> str:
    """One SHA-256 for several models run as one (the built-in tagger's two networks), by name:
    it changes when any of them does."""
    text = "\n".join(f"{name}={sha}" for name, sha in sorted(shas.items()))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
