"""What every analysis pass over the library reports: progress per track and a summary at the end.

The CCMusic network's pass (`classify_library`) and the built-in tagger's (`tag_library`) report
the same way, so the CLI's progress bar and JSON and the window's analysis queue read either.
The summary names the pass's worker and the tracks it stored, and counts the results it dropped
because another worker had taken their tracks over (`claimed_work`), so several workers' reports
together show whether any track was analysed twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_app.analysis.claimed_work import DEFAULT_LEASE_SECONDS, ClaimedWork
from desktop_app.inference.pipeline import PipelineResult
from desktop_app.library.analyses import AnalysisRecord, count_to_analyse
from desktop_app.library.database import Library


@dataclass(slots=True)
class PassProgress:
    done: int
    total: int
    path: str
    track_id: int | None = None


@dataclass(slots=True)
class PassSummary:
    analysed: int = 0
    failed: int = 0
    already_done: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    device: str = ""
    models: dict[str, str] = field(default_factory=dict)
    """Model name -> SHA-256 of the weights (or table) whose rows this pass stored."""
    model_origin: str = ""
    error_files: list[dict[str, str]] = field(default_factory=list)
    worker: str = ""
    """The name this pass claimed tracks under (`claimed_work.worker_name`)."""
    track_ids: list[int] = field(default_factory=list)
    """The tracks whose analyses (or failures) this pass stored, in the order it stored them."""
    taken_over: int = 0
    """Tracks analysed but not stored: their claim had expired and another worker had taken them."""
    precision: str = "fp32"
    """What the network ran (and its stored rows came from): ``fp32`` (exact), ``bf16``, ``fp16``, ``int8``."""

    def record(self, track_id: int, path: str, error: str | None) -> None:
        """Count one finished, stored track (``error``: why it could not be analysed)."""
        self.track_ids.append(track_id)
        if error:
            self.failed += 1
            self.error_files.append({"path": path, "reason": error})
        else:
            self.analysed += 1

    def as_json(self) -> dict[str, object]:
        return {
            "analysed": self.analysed,
            "failed": self.failed,
            "already_done": self.already_done,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
            "models": self.models,
            "model_origin": self.model_origin,
            "device": self.device,
            "error_files": self.error_files,
            "worker": self.worker,
            "taken_over": self.taken_over,
            "track_ids": self.track_ids,
            "precision": self.precision,
        }


def on_this_machine(library: Library, todo: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """(track id, stored path) as (track id, the path this machine decodes), through its mappings."""
    local = library.paths.to_local
    return ((track_id, local(path)) for track_id, path in todo)


def drive(
    results: Iterable[PipelineResult[int, Any]],
    total: int,
    store: Callable[[PipelineResult[int, Any]], AnalysisRecord | None],
    summary: PassSummary,
    *,
    started: float,
    cancelled: Callable[[], bool],
    progress: Callable[[PassProgress], None] | None = None,
    on_result: Callable[[int, AnalysisRecord], None] | None = None,
) -> PassSummary:
    """Store each pipeline result as it arrives (``store`` commits it and returns the track's
    headline row, or None when another worker had taken the track over), count it, and report it;
    then close the summary."""
    for done, result in enumerate(results, start=1):
        record = store(result)
        if record is None:
            summary.taken_over += 1
        else:
            summary.record(result.key, result.path, record.error)
            if on_result is not None:
                on_result(result.key, record)
        if progress is not None:
            progress(PassProgress(done, total, result.path, result.key))
    summary.cancelled = cancelled()
    summary.seconds = time.perf_counter() - started
    return summary


def run_pass(
    library: Library,
    model_id: int,
    summary: PassSummary,
    *,
    pipeline: Callable[[Iterable[tuple[int, str]]], Iterator[PipelineResult[int, Any]]],
    save: Callable[[ClaimedWork, PipelineResult[int, Any]], AnalysisRecord | None],
    started: float,
    cancelled: Callable[[], bool],
    track_ids: Sequence[int] | None = None,
    limit: int | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    progress: Callable[[PassProgress], None] | None = None,
    on_result: Callable[[int, AnalysisRecord], None] | None = None,
) -> PassSummary:
    """Analyse the tracks (of ``track_ids``, else all; at most ``limit``) that ``model_id`` has not
    analysed, claiming them as it goes (`claimed_work`), and `drive` the results.

    ``pipeline`` turns (track id, path) pairs into results; ``save`` stores one result, in a
    transaction where ``ClaimedWork.finish`` says it still holds the track, and returns its
    headline row (None when it does not hold it any more).
    """
    with library.engine.connect() as conn:
        todo = count_to_analyse(conn, model_id, track_ids)
    if track_ids is not None:
        summary.already_done = len(set(track_ids)) - todo
    total = todo if limit is None else min(limit, todo)
    with ClaimedWork(library, model_id, track_ids=track_ids, limit=limit, lease_seconds=lease_seconds) as work:
        summary.worker = work.worker
        return drive(
            work.results(lambda claimed: pipeline(on_this_machine(library, claimed)), cancelled),
            total,
            lambda result: save(work, result),
            summary,
            started=started,
            cancelled=cancelled,
            progress=progress,
            on_result=on_result,
        )
