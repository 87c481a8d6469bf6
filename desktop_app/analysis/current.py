"""Which stored analyses are current: for each model name, the library's id of the model in use.

The registry says which weights are in use (the installed CCMusic model, the shipped tagger); the
library keeps every model that ever analysed anything. The built-in models' rows are those of the
weights this version ships; CCMusic's are the installed model's, else (none installed, or a
``GENRESCOPE_WEIGHTS`` file not hashed yet) those of the CCMusic model registered last, so earlier
analyses stay visible with the label of the model that made them. Cheap: a manifest read and one query per model.
"""

from __future__ import annotations

from sqlalchemy import Connection

from desktop_app.genres.taxonomy import MY_GENRES_MODEL, use_learned_genres
from desktop_app.inference import registry
from desktop_app.library.browse import ModelInfo, current_model
from desktop_app.library.learned import latest_training


def current_models(conn: Connection) -> dict[str, ModelInfo]:
    """The current model of each name that has analysed anything, by name, in `registry.MODEL_NAMES`
    order, then the learned "My genres" (the one trained last, whose genres it also makes the
    `MY_GENRES` taxonomy's)."""
    found: dict[str, ModelInfo] = {}
    builtin = registry.builtin_sha256()
    for name in registry.MODEL_NAMES:
        if name == registry.CCMUSIC:
            source = registry.find_ccmusic().source  # a file not hashed yet: the last model used
            info = current_model(conn, source.sha256 if source is not None else None, name)
        else:
            info = current_model(conn, builtin[name], name)
        if info is not None:
            found[name] = info
    learned = latest_training(conn)
    use_learned_genres(learned.genres if learned is not None else ())
    if learned is not None:
        info = current_model(conn, None, MY_GENRES_MODEL)
        if info is not None and info.id == learned.model_id:
            found[MY_GENRES_MODEL] = info
    return found


def current_model_id(conn: Connection, name: str) -> int | None:
    info = current_models(conn).get(name)
    return info.id if info is not None else None
