"""Which genre model the window uses: a file named by ``GENRESCOPE_WEIGHTS``, else the installed one.

Finding it is cheap (a manifest and a stat); loading it imports torch and reads ~488 MB, so that
happens only in the analysis worker, through `ModelSource.open_classifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.config import resolve_weights_path
from desktop_app.inference import model_store
from desktop_app.inference.identity import ModelIdentity, Origin
from desktop_app.library.browse import ModelInfo

if TYPE_CHECKING:
    from desktop_app.inference.engine import GenreClassifier


@dataclass(frozen=True)
class ModelSource:
    """A checkpoint to load; ``sha256`` is known for an installed model, learnt on load for a file."""

    path: Path
    origin: Origin
    sha256: str | None
    installed: model_store.InstalledModel | None = None

    def info(self) -> ModelInfo | None:
        """How the window names this model before it has analysed anything (None if not hashed yet)."""
        if self.sha256 is None:
            return None
        identity = ModelIdentity(self.sha256, str(self.path), self.origin)
        return ModelInfo(None, self.sha256, identity.label, self.origin)

    def open_classifier(self, device: str) -> GenreClassifier:
        """Validate and load the weights on ``device`` (imports torch: call off the GUI thread)."""
        if self.installed is not None:
            return self.installed.open_classifier(device=device)
        from desktop_app.inference.engine import GenreClassifier

        return GenreClassifier.from_file(self.path, origin=self.origin, device=device)


@dataclass(frozen=True)
class ModelState:
    """The model to use, or why there is none (``problem`` is None when simply not installed)."""

    source: ModelSource | None
    problem: str | None = None


def find_model() -> ModelState:
    weights = resolve_weights_path()
    if weights is not None:
        if not weights.is_file():
            return ModelState(None, f"GENRESCOPE_WEIGHTS names {weights}, which is not a file.")
        return ModelState(ModelSource(weights, "file", None))
    try:
        installed = model_store.installed_model()
    except model_store.ModelStoreError as exc:
        return ModelState(None, str(exc))
    if installed is None:
        return ModelState(None)
    return ModelState(ModelSource(installed.path, installed.origin, installed.sha256, installed))
