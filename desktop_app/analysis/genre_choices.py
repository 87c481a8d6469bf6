"""Which genre to write into which track's tags: a model's top-1 genre, or one the person typed.

Joins the models (which analyses are current, `current`; how a model's genres are named,
`genres.taxonomy`) with the library's tag writing (`library.tag_writes`), which knows neither: it
takes `GenreChoice` records. The genre is written by its display name ("Soft rock", not the key
"soft_rock"); a track whose top-1 probability is under the minimum confidence is left out.
`plan_genre_writes` is the one way the command line and the window go from tracks to a plan.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from desktop_app.analysis.current import current_models
from desktop_app.errors import AnalysisError
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.library.analyses import predictions_of
from desktop_app.library.browse import TrackView, ordered_track_ids, track_ids_under
from desktop_app.library.database import Library
from desktop_app.library.search import parse_search
from desktop_app.library.tag_writes import (
    TYPED,
    CancelCheck,
    GenreChoice,
    Mode,
    ProgressCallback,
    TagPlan,
    plan_tag_writes,
)

_BATCH = 1000


class GenreChoiceError(AnalysisError):
    """No genres to choose from: an unknown model, or one that has analysed nothing yet."""


def model_genre_choices(
    conn: Connection, model: str, track_ids: Sequence[int], min_confidence: float | None = None
) -> list[GenreChoice]:
    """Each track's top-1 genre by the current model named ``model`` (a `TAXONOMIES` name), where it
    has one at ``min_confidence`` or above (default: the taxonomy's low-confidence threshold)."""
    if model not in TAXONOMIES:
        raise GenreChoiceError(f"unknown model {model!r}; known: {', '.join(TAXONOMIES)}")
    info = current_models(conn).get(model)
    if info is None or info.id is None:
        raise GenreChoiceError(f"{TAXONOMIES[model].title} has analysed no track yet: run `genrescope classify` first")
    taxonomy = TAXONOMIES[model]
    threshold = taxonomy.low_confidence if min_confidence is None else min_confidence
    choices: list[GenreChoice] = []
    for start in range(0, len(track_ids), _BATCH):
        batch = track_ids[start : start + _BATCH]
        found = predictions_of(conn, batch, [info.id])
        for track_id in batch:
            prediction = found.get(track_id, {}).get(info.id)
            if prediction is None or prediction.top1 is None or prediction.confidence is None:
                continue
            if prediction.confidence >= threshold:
                choices.append(GenreChoice(track_id, taxonomy.display_name(prediction.top1), prediction.confidence))
    return choices


def typed_genre_choices(track_ids: Sequence[int], genre: str) -> list[GenreChoice]:
    """The genre the person typed, for every track."""
    name = " ".join(genre.split())
    if not name:
        raise GenreChoiceError("the genre to write is empty")
    return [GenreChoice(track_id, name) for track_id in track_ids]


def selected_tracks(conn: Connection, selection: str | None, model: str | None = None) -> list[int]:
    """The shown tracks a selection names: an existing file or folder (the tracks at or under it),
    else the search box's language (``artist:Miles year:1959 blue``, ``predicted:`` by ``model``);
    None: every shown track."""
    if selection is not None and os.path.exists(selection):
        return track_ids_under(conn, [os.path.abspath(selection)])
    model_id = None
    if model is not None:
        info = current_models(conn).get(model)
        model_id = info.id if info is not None else None
    view = TrackView(search=parse_search(selection or ""), model_id=model_id, taxonomy=model or "ccmusic")
    return list(ordered_track_ids(conn, view))


def genre_sources(conn: Connection) -> list[str]:
    """The models whose genres can be written: those in `TAXONOMIES` that have analysed a track,
    in its order (broad genre, CCMusic, My genres, then the taggers' tags)."""
    found = current_models(conn)
    return [name for name in TAXONOMIES if name in found and found[name].id is not None]


@dataclass(frozen=True, slots=True)
class GenreWritePlan:
    """A plan, and how many of the ``selected`` tracks had a genre to write (``chosen``; the others
    have no prediction at the minimum confidence)."""

    plan: TagPlan
    selected: int
    chosen: int

    @property
    def without_genre(self) -> int:
        return self.selected - self.chosen


def plan_genre_writes(
    library: Library,
    track_ids: Sequence[int],
    *,
    model: str | None = None,
    genre: str | None = None,
    mode: Mode = "replace",
    min_confidence: float | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck = lambda: False,
) -> GenreWritePlan:
    """Plan writing ``model``'s top-1 genre (at ``min_confidence`` or above), or else the typed
    ``genre``, into the tracks' files (`plan_tag_writes`: reads each file, writes none).
    `GenreChoiceError` when there is nothing to choose from."""
    with library.engine.connect() as conn:
        if model is not None:
            choices = model_genre_choices(conn, model, track_ids, min_confidence)
        else:
            choices = typed_genre_choices(track_ids, genre or "")
    plan = plan_tag_writes(
        library,
        choices,
        source=model or TYPED,
        mode=mode,
        min_confidence=min_confidence if model is not None else None,
        progress=progress,
        should_cancel=should_cancel,
    )
    return GenreWritePlan(plan, len(track_ids), len(choices))
