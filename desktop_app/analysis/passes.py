"""What every analysis pass over the library reports: progress per track and a summary at the end.

The CCMusic network's pass (`classify_library`) and the built-in tagger's (`tag_library`) report
the same way, so the CLI's progress bar and JSON and the window's analysis queue read either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.inference.pipeline import PipelineResult
from desktop_app.library.analyses import AnalysisRecord
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

    def record(self, path: str, error: str | None) -> None:
        """Count one finished track (``error``: why it could not be analysed)."""
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
        }


def on_this_machine(library: Library, todo: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(track id, stored path) as (track id, the path this machine decodes), through its mappings."""
    local = library.paths.to_local
    return [(track_id, local(path)) for track_id, path in todo]


def drive(
    results: Iterable[PipelineResult[int, Any]],
    total: int,
    store: Callable[[PipelineResult[int, Any]], AnalysisRecord],
    summary: PassSummary,
    *,
    started: float,
    cancelled: Callable[[], bool],
    progress: Callable[[PassProgress], None] | None = None,
    on_result: Callable[[int, AnalysisRecord], None] | None = None,
) -> PassSummary:
    """Store each pipeline result as it arrives (``store`` commits it and returns the track's
    headline row), count it, and report it; then close the summary."""
    for done, result in enumerate(results, start=1):
        record = store(result)
        summary.record(result.path, record.error)
        if on_result is not None:
            on_result(result.key, record)
        if progress is not None:
            progress(PassProgress(done, total, result.path, result.key))
    summary.cancelled = cancelled()
    summary.seconds = time.perf_counter() - started
    return summary
