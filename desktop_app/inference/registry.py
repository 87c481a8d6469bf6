"""The one place that knows which models exist, which are available, and how to load them.

Models: ``ccmusic`` (the CCMusic VGG19_BN: ``--weights FILE``, else ``GENRESCOPE_WEIGHTS``, else
the installed model; a 488 MB download), ``musicnn-msd`` and ``musicnn-mtt`` (the built-in tagger,
shipped with the app) and ``broad-genre`` (derived from the two taggers' tags by the table in
`genres.broad`). The CLI, the window, playlists and classify ask here, so they agree on the
choice and on the message a person sees when a model is missing.

Finding out what is available is cheap (a manifest, a stat): torch is imported only by the
``open_*`` functions, which run off the GUI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.config import resolve_weights_path
from desktop_app.errors import InferenceError
from desktop_app.genres.broad import BROAD_MODEL, table_sha256
from desktop_app.genres.taxonomy import TAXONOMIES, Taxonomy
from desktop_app.inference import model_store
from desktop_app.inference.hub import manual_install_instructions
from desktop_app.inference.identity import MODEL_TITLES, Origin
from desktop_app.inference.musicnn.weights import SHIPPED_TAGGERS

if TYPE_CHECKING:
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.tagger import Tagger

CCMUSIC = "ccmusic"
TAGGER_NAMES: tuple[str, ...] = tuple(SHIPPED_TAGGERS)
MODEL_NAMES: tuple[str, ...] = (CCMUSIC, *TAGGER_NAMES, BROAD_MODEL)
NETWORK_CHOICES: tuple[str, ...] = ("all", CCMUSIC, *TAGGER_NAMES)
"""What ``--model`` accepts where networks run (`analyze`, `classify`)."""


class NoModelError(InferenceError):
    """No CCMusic weights were named and none are installed."""


@dataclass(frozen=True)
class CCMusicSource:
    """CCMusic weights to load; ``sha256`` is known for an installed model, learnt on load for a file."""

    path: Path
    origin: Origin
    sha256: str | None
    installed: model_store.InstalledModel | None = None

    def open_classifier(self, device: str | None = None, precision: str = "fp32") -> GenreClassifier:
        """Validate and load the weights on ``device`` in ``precision`` (imports torch: call off
        the GUI thread)."""
        if self.installed is not None:
            return self.installed.open_classifier(device=device, precision=precision)
        from desktop_app.inference.engine import GenreClassifier

        return GenreClassifier.from_file(self.path, origin=self.origin, device=device, precision=precision)


@dataclass(frozen=True)
class CCMusicState:
    """The CCMusic weights to use, or why there are none (``problem`` is None when simply not installed)."""

    source: CCMusicSource | None
    problem: str | None = None


def find_ccmusic(weights: str | os.PathLike[str] | None = None) -> CCMusicState:
    """``weights``, else ``GENRESCOPE_WEIGHTS``, else the installed model; cheap (no torch)."""
    path = resolve_weights_path(weights)
    if path is not None:
        if not path.is_file():
            named = "--weights" if weights else "GENRESCOPE_WEIGHTS"
            return CCMusicState(None, f"{named} names {path}, which is not a file.")
        return CCMusicState(CCMusicSource(path, "file", None))
    try:
        installed = model_store.installed_model()
    except model_store.ModelStoreError as exc:
        return CCMusicState(None, str(exc))
    if installed is None:
        return CCMusicState(None)
    return CCMusicState(CCMusicSource(installed.path, installed.origin, installed.sha256, installed))


def open_classifier(
    weights: str | os.PathLike[str] | None = None, device: str | None = None, precision: str = "fp32"
) -> GenreClassifier:
    """Load the chosen CCMusic weights strictly in ``precision``; raises NoModelError,
    CheckpointError, ModelStoreError or (a precision the device lacks) PrecisionUnsupportedError."""
    return ccmusic_source(weights).open_classifier(device, precision)


def ccmusic_source(weights: str | os.PathLike[str] | None = None) -> CCMusicSource:
    """The CCMusic weights `open_classifier` loads, not loaded yet; raises NoModelError or
    ModelStoreError when there are none (cheap: no torch)."""
    path = resolve_weights_path(weights)
    if path is not None:  # a named file is loaded as it is: CheckpointError says what is wrong with it
        return CCMusicSource(path, "file", None)
    state = find_ccmusic()
    if state.source is None:
        if state.problem is not None:
            raise model_store.ModelStoreError(state.problem)
        raise NoModelError(
            "No CCMusic genre model is installed. Run `genrescope model install` to download it. "
            + manual_install_instructions()
        )
    return state.source


def open_tagger(device: str | None = None, precision: str = "fp32") -> Tagger:
    """Both built-in taggers, SHA-256-checked and loaded strictly, in ``precision`` (imports torch)."""
    from desktop_app.inference.musicnn.weights import load_tagger

    return load_tagger(device, precision)


@dataclass(frozen=True)
class ModelStatus:
    """What the CLI's ``model status`` and the window say about one model."""

    name: str
    title: str
    taxonomy: Taxonomy
    available: bool
    sha256: str | None
    origin: str | None
    problem: str | None = None


def builtin_sha256() -> dict[str, str]:
    """The SHA-256 every shipped model's rows are stored under, by model name (no file is read)."""
    shas = {name: spec.sha256 for name, spec in SHIPPED_TAGGERS.items()}
    return {**shas, BROAD_MODEL: table_sha256(shas)}


def statuses() -> list[ModelStatus]:
    """Every model, available or not, in `MODEL_NAMES` order."""
    state = find_ccmusic()
    source = state.source
    found = [
        ModelStatus(
            CCMUSIC,
            MODEL_TITLES[CCMUSIC],
            TAXONOMIES[CCMUSIC],
            source is not None,
            source.sha256 if source else None,
            source.origin if source else None,
            state.problem or (None if source else "not installed: genrescope model install"),
        )
    ]
    shas = builtin_sha256()
    missing = [name for name, spec in SHIPPED_TAGGERS.items() if not spec.path.is_file()]
    for name in (*TAGGER_NAMES, BROAD_MODEL):
        broken = [name] if name in missing else missing if name == BROAD_MODEL else []
        problem = f"the shipped weights of {', '.join(broken)} are missing: reinstall Genrescope" if broken else None
        found.append(
            ModelStatus(name, MODEL_TITLES[name], TAXONOMIES[name], not broken, shas[name], "builtin", problem)
        )
    return found


def status(name: str) -> ModelStatus:
    for entry in statuses():
        if entry.name == name:
            return entry
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
