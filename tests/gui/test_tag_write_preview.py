"""The tag-write dialog's words and rows, without a window (gui/tag_writing/preview.py)."""

from __future__ import annotations

from datetime import datetime

from desktop_app.analysis.genre_choices import GenreWritePlan
from desktop_app.gui.tag_writing.preview import (
    WriteOptions,
    plan_summary,
    preview_cells,
    report_summary,
    source_options,
    undo_target,
)
from desktop_app.library.tag_batches import BatchSummary
from desktop_app.library.tag_writes import TYPED, BatchReport, LeftAlone, PlannedWrite, TagPlan


def _write(path: str, confidence: float | None = 0.874) -> PlannedWrite:
    return PlannedWrite(1, path, "id3", "Jazz", confidence, ("Rock", "Pop"), ("Jazz",), 10, 1.0)


def test_rows_sources_and_the_plan_in_words():
    assert preview_cells(_write("/m/a/x.mp3"), "ccmusic") == ("x.mp3", "Rock | Pop", "Jazz", "CCMusic 87%", "/m/a")
    assert preview_cells(_write("/m/y.mp3", None), TYPED)[3] == "typed"
    assert [o.title for o in source_options(["broad-genre", "my-genres"])] == ["Broad genre", "My genres", "A genre I type"]
    assert WriteOptions(TYPED, "  ").problem() == "Type the genre to write."
    plan = TagPlan("ccmusic", "replace", 0.5, (_write("/a.mp3"),), (LeftAlone("/b.mp3", "read-only file"),))
    text = plan_summary(GenreWritePlan(plan, 10, 3), WriteOptions("ccmusic", min_confidence=0.5))
    assert text == (
        "1 file would change; 1 file left alone (see their reasons). "
        "7 tracks of 10 have no CCMusic genre at 50% or above: not written."
    )


def test_a_stopped_batch_counts_what_was_not_written_and_undo_picks_the_latest_with_files():
    report = BatchReport(3, changed=[], left_alone=[LeftAlone("/b", "read-only file"), LeftAlone("/c", "gone")])
    report.cancelled = True  # 10 planned, 1 left alone when planning, 1 more while writing, 0 written
    assert report_summary(report, 10, 1) == (
        "Written: 0 files. Left alone: 2 files, with the reasons listed. Cancelled: 9 files not written."
    )
    when = datetime(2026, 3, 1, 12, 30)
    summaries = [
        BatchSummary(5, "typed", "add", None, when, when, False, {"undone": 4}),
        BatchSummary(4, "ccmusic", "replace", 0.4, when, when, True, {"written": 2, "not_written": 8}),
    ]
    target = undo_target(summaries)
    assert target is not None and (target.batch_id, target.files) == (4, 2)
    assert target.action_text == "Undo genre tags (2 files)"
    assert "genre from CCMusic was written on 2026-03-01 12:30" in target.question()
    assert undo_target(summaries[:1]) is None
