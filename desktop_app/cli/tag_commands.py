"""`genrescope tag write` (genres into the files' tags, with a dry run) and `genrescope tag undo`."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar
from desktop_app.cli.library_commands import MODEL_NAMES
from desktop_app.wording import genre_values

WRITE_EPILOG = """examples:
  genrescope tag write --genre-from ccmusic --min-confidence 0.7 --dry-run
  genrescope tag write --genre-from broad-genre --tracks ~/Music/Jazz --mode add
  genrescope tag write --genre "Film score" --tracks 'album:"Blade Runner"'
  genrescope tag undo

Only the genre field changes: every other tag, the pictures, the padding and the audio stay as
they were. Each file is replaced by a changed copy in one step, so an interruption leaves it
either as it was or written. The old values are kept in the library: `genrescope tag undo`
writes them back (the last batch, or the one named). Files that are missing, read-only, on a
read-only file system, changed on disk since the last scan, or in a format without a known
genre field are left alone, with the reason.
"""


def _min_confidence(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (0.6 means 60%)")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    tag = commands.add_parser(
        "tag",
        help="write genres into the files' tags, or undo that",
        epilog="examples:\n  genrescope tag write --genre-from ccmusic --dry-run\n  genrescope tag undo\n"
        "  genrescope tag batches",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = tag.add_subparsers(dest="tag_command", metavar="ACTION", required=True)

    write = actions.add_parser(
        "write",
        help="write each track's genre into its file's genre tag",
        epilog=WRITE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(write)
    source = write.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--genre-from", metavar="MODEL", choices=MODEL_NAMES, help=f"the model's top-1 genre: {', '.join(MODEL_NAMES)}"
    )
    source.add_argument("--genre", metavar="GENRE", help="this genre, as typed, for every selected track")
    write.add_argument(
        "--min-confidence",
        type=_min_confidence,
        metavar="X",
        help="only tracks whose top-1 probability is at least X (default: the model's low-confidence threshold)",
    )
    write.add_argument(
        "--tracks",
        metavar="SEARCH_OR_PATH",
        help="a folder or file (the tracks under it), or a search such as 'artist:Miles year:1959' (default: all)",
    )
    write.add_argument(
        "--mode",
        choices=("replace", "add"),
        default="replace",
        help="replace the genre tag (default), or add the genre as one more value when it is not there yet",
    )
    write.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
    write.add_argument("--json", action="store_true", help="print the result as one JSON object")
    write.set_defaults(run=run_write)

    undo = actions.add_parser(
        "undo",
        help="write back the genre tags a batch replaced (default: the last batch)",
        epilog="examples:\n  genrescope tag undo\n  genrescope tag undo 3 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(undo)
    undo.add_argument("batch", nargs="?", type=int, metavar="BATCH_ID", help="the batch (see `genrescope tag batches`)")
    undo.add_argument("--json", action="store_true", help="print the result as one JSON object")
    undo.set_defaults(run=run_undo)

    listing = actions.add_parser(
        "batches",
        help="list the batches written, the latest first",
        epilog="example: genrescope tag batches --json",
    )
    add_db_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=run_batches)


def run_write(args: argparse.Namespace) -> int:
    from desktop_app.analysis.genre_choices import GenreChoiceError, plan_genre_writes, selected_tracks
    from desktop_app.library.tag_writes import apply_plan

    with open_library_from(args) as library:
        with library.engine.connect() as conn:
            track_ids = selected_tracks(conn, args.tracks, args.genre_from)
        try:
            with progress_bar("reading tags") as bar:
                plan = plan_genre_writes(
                    library,
                    track_ids,
                    model=args.genre_from,
                    genre=args.genre,
                    mode=args.mode,
                    min_confidence=args.min_confidence,
                    progress=lambda p: bar.update(p.done, p.total),
                ).plan
        except GenreChoiceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.dry_run:
            _report(args, None, [_planned(w) for w in plan.writes], plan.left_alone, False)
            return 0
        with progress_bar("writing tags") as bar:
            report = apply_plan(library, plan, progress=lambda p: bar.update(p.done, p.total))
    _report(args, report.batch_id, [_written(e) for e in report.changed], report.left_alone, report.cancelled)
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from desktop_app.library.tag_writes import TagWriteError, undo_batch

    with open_library_from(args) as library:
        try:
            with progress_bar("undoing") as bar:
                report = undo_batch(library, args.batch, progress=lambda p: bar.update(p.done, p.total))
        except TagWriteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    changes: list[dict[str, object]] = [
        {"path": e.path, "old": list(e.new_values), "new": list(e.old_values)} for e in report.changed
    ]
    _report(args, report.batch_id, changes, report.left_alone, report.cancelled, verb="restored")
    return 0


def run_batches(args: argparse.Namespace) -> int:
    from desktop_app.library.tag_batches import batch_summaries
    from desktop_app.library.tag_writes import settle_interrupted

    with open_library_from(args) as library:
        settle_interrupted(library)
        with library.engine.connect() as conn:
            summaries = batch_summaries(conn)
    for s in summaries:
        if args.json:
            print_json(
                {
                    "id": s.id,
                    "source": s.source,
                    "mode": s.mode,
                    "min_confidence": s.min_confidence,
                    "created_at": s.created_at.isoformat(),
                    "cancelled": s.cancelled,
                    "files": s.states,
                }
            )
        else:
            states = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in sorted(s.states.items()))
            print(f"{s.id:>5}  {s.created_at:%Y-%m-%d %H:%M}  {s.source} ({s.mode})  {states or 'no files'}")
    return 0


def _planned(write) -> dict[str, object]:  # write: library.tag_writes.PlannedWrite
    return {
        "path": write.path,
        "tag": write.tag_kind,
        "old": list(write.old_values),
        "new": list(write.new_values),
        "confidence": None if write.confidence is None else round(write.confidence, 4),
    }


def _written(entry) -> dict[str, object]:  # entry: library.tag_batches.WriteEntry
    return {
        "path": entry.path,
        "old": list(entry.old_values),
        "new": list(entry.new_values),
        "confidence": None if entry.confidence is None else round(entry.confidence, 4),
    }


def _report(
    args: argparse.Namespace,
    batch_id: int | None,
    changes: list[dict[str, object]],
    left_alone,  # Sequence[library.tag_writes.LeftAlone]
    cancelled: bool,
    verb: str = "written",
) -> None:
    dry_run = getattr(args, "dry_run", False)
    skipped = [{"path": item.path, "reason": item.reason} for item in left_alone]
    if args.json:
        print_json(
            {"batch_id": batch_id, "dry_run": dry_run, verb: changes, "left_alone": skipped, "cancelled": cancelled}
        )
        return
    for change in changes:
        confidence = change.get("confidence")
        sure = f"  ({confidence:.0%})" if isinstance(confidence, float) else ""
        print(f"{change['path']}: {genre_values(change['old'])} → {genre_values(change['new'])}{sure}")
    for item in skipped:
        print(f"left alone: {item['path']}: {item['reason']}", file=sys.stderr)
    what = "would be written (dry run: nothing was written)" if dry_run else verb
    batch = f" (batch {batch_id})" if batch_id is not None else ""
    stopped = ", cancelled" if cancelled else ""
    print(f"{len(changes)} files {what}{batch}, {len(skipped)} left alone{stopped}")
