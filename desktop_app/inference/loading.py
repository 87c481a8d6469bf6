"""Which weights to use: ``--weights FILE``, else ``GENRESCOPE_WEIGHTS``, else the installed model.

The CLI and the window both open their classifier here, so they agree on the choice and on the
message a person sees when there is no usable model.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from desktop_app.config import resolve_weights_path
from desktop_app.inference.hub import manual_install_instructions
from desktop_app.inference.model_store import installed_model

if TYPE_CHECKING:
    from desktop_app.inference.engine import GenreClassifier


class NoModelError(Exception):
    """No weights were named and none are installed."""


def open_classifier(weights: str | os.PathLike[str] | None = None, device: str | None = None) -> GenreClassifier:
    """Load the chosen weights strictly; raises NoModelError, CheckpointError or ModelStoreError."""
    from desktop_app.inference.engine import GenreClassifier

    path = resolve_weights_path(weights)
    if path is not None:
        return GenreClassifier.from_file(path, origin="file", device=device)
    model = installed_model()
    if model is None:
        raise NoModelError(
            "No genre model is installed. Run `genrescope model install` to download it. "
            + manual_install_instructions()
        )
    return model.open_classifier(device=device)
