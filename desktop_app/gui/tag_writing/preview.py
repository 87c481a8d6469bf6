"""What the "Write genre to tags" dialog and Edit → Undo say, as plain data (no Qt).

The dialog shows a plan (`analysis.genre_choices.plan_genre_writes`) and then a batch's report
(`library.tag_writes.BatchReport`) as rows of text; these helpers make those rows, the option
choices and every sentence, so the widgets only place them and tests check the wording and the
numbers without a window. A `TrackSelection` says which tracks, read on a worker when planning.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection

from desktop_app.analysis.genre_choices import GenreWritePlan
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.library.tag_batches import BatchSummary
from desktop_app.library.tag_writes import TYPED, BatchReport, LeftAlone, Mode
from desktop_app.wording import genre_values, plural

TYPED_TITLE = "A genre I type"
PREVIEW_COLUMNS = ("File", "Genre tag before", "Genre tag after", "From", "Folder")
LEFT_ALONE_COLUMNS = ("File", "Why it is left alone", "Folder")


@dataclass(frozen=True)
class TrackSelection:
    """The tracks to write: ``description`` for the dialog ("the selected tracks", "the playlist
    'Jazz'"), ``read`` to find their ids (on a worker, when the dialog plans)."""

    description: str
    read: Callable[[Connection], list[int]]


def given_tracks(track_ids: Sequence[int], description: str | None = None) -> TrackSelection:
    """Tracks already known by id (the table's selection); the dialog adds how many."""
    ids = list(track_ids)
    return TrackSelection(description or "the selected tracks", lambda _conn: ids)


@dataclass(frozen=True)
class SourceOption:
    key: str
    """A model name of `TAXONOMIES`, or `TYPED`."""
    title: str


def source_options(models: Sequence[str]) -> list[SourceOption]:
    """The models that have analysed tracks (`genre_sources`), then "A genre I type"."""
    return [SourceOption(m, TAXONOMIES[m].title) for m in models] + [SourceOption(TYPED, TYPED_TITLE)]


def default_confidence(source: str) -> float:
    """The minimum confidence a source starts at: its taxonomy's low-confidence threshold."""
    return TAXONOMIES[source].low_confidence if source in TAXONOMIES else 0.0


@dataclass(frozen=True)
class WriteOptions:
    """The dialog's choices: from which model (or `TYPED` with ``genre``), replace or add, and
    the minimum confidence (ignored for a typed genre)."""

    source: str
    genre: str = ""
    mode: Mode = "replace"
    min_confidence: float | None = None

    @property
    def model(self) -> str | None:
        return None if self.source == TYPED else self.source

    def problem(self) -> str | None:
        """Why these options cannot be planned yet, if they cannot."""
        if self.source == TYPED and not self.genre.strip():
            return "Type the genre to write."
        return None


class _Row(Protocol):
    """A planned write (`PlannedWrite`) or a written one (`WriteEntry`): both carry these."""

    @property
    def path(self) -> str: ...
    @property
    def confidence(self) -> float | None: ...
    @property
    def old_values(self) -> tuple[str, ...]: ...
    @property
    def new_values(self) -> tuple[str, ...]: ...


def source_text(source: str, confidence: float | None) -> str:
    """Where a value came from: "CCMusic 87%", or "typed"."""
    if source == TYPED or source not in TAXONOMIES:
        return "typed" if source == TYPED else source
    sure = f" {confidence:.0%}" if confidence is not None else ""
    return TAXONOMIES[source].title + sure


def preview_cells(row: _Row, source: str) -> tuple[str, ...]:
    """One file's row under `PREVIEW_COLUMNS`."""
    folder, name = os.path.split(row.path)
    return (
        name,
        genre_values(row.old_values),
        genre_values(row.new_values),
        source_text(source, row.confidence),
        folder,
    )


def left_alone_cells(item: LeftAlone) -> tuple[str, ...]:
    """One file's row under `LEFT_ALONE_COLUMNS`."""
    folder, name = os.path.split(item.path)
    return name, item.reason, folder


def apply_text(count: int) -> str:
    """The Apply button: it names how many files it changes."""
    return f"Write genre to {plural(count, 'file')}"


def plan_summary(result: GenreWritePlan, options: WriteOptions) -> str:
    """What the preview holds, in one or two sentences."""
    plan = result.plan
    parts = [f"{plural(len(plan.writes), 'file')} would change"]
    if plan.left_alone:
        parts.append(f"{plural(len(plan.left_alone), 'file')} left alone (see their reasons)")
    text = "; ".join(parts) + "."
    if result.without_genre and options.model is not None:
        threshold = options.min_confidence
        if threshold is None:
            threshold = default_confidence(options.model)
        title = TAXONOMIES[options.model].title
        text += (
            f" {plural(result.without_genre, 'track')} of {result.selected:,} "
            f"{'has' if result.without_genre == 1 else 'have'} no {title} genre at {threshold:.0%} or above: "
            "not written."
        )
    if plan.cancelled:
        text = "Stopped reading the files: " + text
    return text


def report_summary(report: BatchReport, total: int, left_before: int = 0, verb: str = "Written") -> str:
    """What a batch did with ``total`` files (``left_before`` more were left alone when planning,
    and are in ``report.left_alone`` too): changed, left alone (reasons in the list), stopped."""
    text = f"{verb}: {plural(len(report.changed), 'file')}."
    if report.left_alone:
        text += f" Left alone: {plural(len(report.left_alone), 'file')}, with the reasons listed."
    if report.cancelled:
        rest = total - len(report.changed) - (len(report.left_alone) - left_before)
        text += f" Cancelled: {plural(max(rest, 0), 'file')} not {verb.lower()}."
    return text


@dataclass(frozen=True)
class UndoTarget:
    """The batch Edit → Undo writes back: the latest with files still written."""

    batch_id: int
    files: int
    source: str
    summary: BatchSummary

    @property
    def action_text(self) -> str:
        return f"Undo genre tags ({plural(self.files, 'file')})"

    def question(self) -> str:
        written = f"{self.summary.created_at:%Y-%m-%d %H:%M}"
        return (
            f"Write back the previous genre tags of {plural(self.files, 'file')}, "
            f"as they were before the genre from {source_text(self.source, None)} was written on {written}? "
            "Files changed since then are left alone."
        )


def undo_target(summaries: Sequence[BatchSummary]) -> UndoTarget | None:
    """The latest batch with written files (as `undo_batch` picks by default), if any."""
    for summary in summaries:
        if summary.undoable:
            return UndoTarget(summary.id, summary.undoable, summary.source, summary)
    return None
