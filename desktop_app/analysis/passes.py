"""What every analysis pass over the library reports: progress per track and a summary at the end.

The CCMusic network's pass (`classify_library`) and the built-in tagger's (`tag_library`) report
the same way, so the CLI's progress bar and JSON and the window's analysis queue read either.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
