"""Loading the genre networks for one command or session, with a reason in words when one cannot load.

The CLI's ``analyze`` and ``classify`` and listening (CLI and window) load the same way: the CCMusic
network from ``--weights``/``GENRESCOPE_WEIGHTS``/the installed model, the built-in tagger from the
shipped weights. A missing or unusable model is a reason to show, never a traceback.
"""

from __future__ import annotations

from desktop_app.analysis.precision_switch import (
    ClassifierRun,
    PrecisionChoice,
    TaggerRun,
    open_classifier_run,
    open_tagger_run,
)
from desktop_app.inference.checkpoint import CheckpointError
from desktop_app.inference.device import DeviceUnavailableError
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.model_store import ModelStoreError
from desktop_app.inference.musicnn.weights import TaggerWeightsError
from desktop_app.inference.registry import NoModelError, ccmusic_source, open_classifier, open_tagger
from desktop_app.inference.tagger import Tagger


def open_ccmusic(weights: str | None, device: str | None) -> tuple[GenreClassifier | None, str | None]:
    """The CCMusic network, or None and why not (imports torch)."""
    try:
        return open_classifier(weights, device), None
    except (NoModelError, CheckpointError, ModelStoreError, DeviceUnavailableError, ValueError) as exc:
        return None, str(exc)


def open_builtin_tagger(device: str | None) -> tuple[Tagger | None, str | None]:
    """Both built-in taggers, or None and why not (imports torch)."""
    try:
        return open_tagger(device), None
    except (TaggerWeightsError, DeviceUnavailableError, ValueError) as exc:
        return None, str(exc)


def open_ccmusic_run(
    weights: str | None, device: str | None, choice: PrecisionChoice = "auto"
) -> tuple[ClassifierRun | None, str | None]:
    """The CCMusic network in the precision `precision_switch` plans, or None and why not."""
    try:
        return open_classifier_run(ccmusic_source(weights), device, choice), None
    except (NoModelError, CheckpointError, ModelStoreError, DeviceUnavailableError, ValueError) as exc:
        return None, str(exc)


def open_tagger_for_analysis(
    device: str | None, choice: PrecisionChoice = "auto"
) -> tuple[TaggerRun | None, str | None]:
    """The built-in tagger in the precision `precision_switch` plans, or None and why not."""
    try:
        return open_tagger_run(device, choice), None
    except (TaggerWeightsError, DeviceUnavailableError, ValueError) as exc:
        return None, str(exc)
