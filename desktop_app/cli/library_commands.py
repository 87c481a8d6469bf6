"""`genrescope scan`, `genrescope tracks` and `genrescope remove`."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar, track_line

TRACK_FIELDS = ("id", "path", "title", "artist", "album", "duration", "tag_genre", "available", "error")
MODEL_NAMES = ("broad-genre", "ccmusic", "my-genres", "musicnn-msd", "musicnn-mtt")
"""The registry's models, written out so that ``--help`` does not import it."""


def register(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser(
        "scan",
        help="add or update music folders or files in the library",
        epilog="example: genrescope scan ~/Music /media/usb/Music --json",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="folders or audio files")
    add_db_option(scan)
    scan.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    scan.add_argument("--workers", type=int, default=None, help="tag-reading processes (default: CPU count)")
    scan.set_defaults(run=run_scan)

    tracks = commands.add_parser(
        "tracks",
        help="list the tracks in the library, with each model's top-1 genre",
        epilog="examples:\n  genrescope tracks --json\n  genrescope tracks --genre rock\n"
        '  genrescope tracks --model ccmusic --genre "soft rock"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(tracks)
    tracks.add_argument("--json", action="store_true", help="one JSON object per line")
    tracks.add_argument(
        "--model", choices=MODEL_NAMES, help="show only this model's predictions (and filter --genre by it)"
    )
    tracks.add_argument(
        "--genre",
        metavar="GENRE",
        help="only tracks whose top-1 genre is GENRE (a broad genre, a CCMusic genre, or a "
        "tagger's tag with --model; any case)",
    )
    tracks.set_defaults(run=run_tracks)

    remove = commands.add_parser(
        "remove",
        help="remove tracks from the library (the files stay; their analyses go)",
        description="Remove the tracks at or inside PATH (files or folders), or the missing ones, from "
        "the library. The files are not touched; the tracks' analyses and manual-playlist entries go "
        "with them, and scanning the folder again adds them back as new tracks. Without --yes, it "
        "only says what would go.",
        epilog="examples:\n  genrescope remove ~/Music/podcasts\n  genrescope remove ~/Music/podcasts --yes\n"
        "  genrescope remove --missing --yes --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    remove.add_argument("paths", nargs="*", metavar="PATH", help="files or folders whose tracks to remove")
    remove.add_argument("--missing", action="store_true", help="the tracks whose files the last scan did not find")
    remove.add_argument("--yes", action="store_true", help="remove them (without it: only say what would go)")
    add_db_option(remove)
    remove.add_argument("--json", action="store_true", help="print a JSON summary")
    remove.set_defaults(run=run_remove)


def run_scan(args: argparse.Namespace) -> int:
    from desktop_app.library.scanner import Scanner

    with open_library_from(args) as library, progress_bar("scanning") as bar:
        scanner = Scanner(library, workers=args.workers, progress=lambda p: bar.update(p.done, p.total))
        result = scanner.scan(args.paths)
    if args.json:
        print_json(result.as_json())
    else:
        print(
            f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.missing} missing, {result.errors} errors in {result.seconds:.1f} s"
        )
        for err in result.error_files:
            print(f"  {err['path']}: {err['reason']}", file=sys.stderr)
    return 0


def run_tracks(args: argparse.Namespace) -> int:
    from desktop_app.analysis.current import current_models
    from desktop_app.genres.taxonomy import TAXONOMIES, UnknownLabelError
    from desktop_app.library.analyses import predictions_of
    from desktop_app.library.queries import iter_tracks

    with open_library_from(args) as library:
        with library.engine.connect() as conn:
            models = current_models(conn)  # also gives "My genres" the library's learned genres
        wanted_genre: tuple[str, str] | None = None  # (model name, class key)
        if args.genre:
            names = [args.model] if args.model else ["broad-genre", "ccmusic", "my-genres"]
            for name in names:
                try:
                    wanted_genre = (name, TAXONOMIES[name].find(args.genre).key)
                    break
                except UnknownLabelError as exc:
                    problem = str(exc)
            if wanted_genre is None:
                print(f"error: {problem}", file=sys.stderr)
                return 2
        if args.model:
            models = {name: info for name, info in models.items() if name == args.model}
        ids = {info.id: name for name, info in models.items() if info.id is not None}
        batch: list[dict] = []

        def flush() -> None:
            with library.engine.connect() as conn:
                found = predictions_of(conn, [t["id"] for t in batch], list(ids))
            for track in batch:
                predictions = {
                    ids[model_id]: {
                        "genre": prediction.top1,
                        "confidence": None if prediction.confidence is None else round(prediction.confidence, 4),
                        "precision": prediction.precision,
                    }
                    for model_id, prediction in sorted(
                        found.get(track["id"], {}).items(), key=lambda item: list(models).index(ids[item[0]])
                    )
                }
                if wanted_genre is not None:
                    name, key = wanted_genre
                    if (predictions.get(name) or {}).get("genre") != key:
                        continue
                _print_track(args, track, predictions)
            batch.clear()

        for track in iter_tracks(library):
            batch.append(track)
            if len(batch) == 500:
                flush()
        flush()
    return 0


def _print_track(args: argparse.Namespace, track: dict, predictions: dict[str, dict]) -> None:
    if args.json:
        print_json({**{name: track[name] for name in TRACK_FIELDS}, "predictions": predictions})
        return
    from desktop_app.genres.taxonomy import TAXONOMIES

    line = track_line(track["id"], track["path"], track["artist"], track["title"], track["available"], track["error"])
    shown = [
        f"{name}: {TAXONOMIES[name].display_name(p['genre'])} {p['confidence']:.2f}"
        for name, p in predictions.items()
        if p["genre"] is not None
    ]
    print(line + ("  [" + " · ".join(shown) + "]" if shown else ""))


def run_remove(args: argparse.Namespace) -> int:
    import os

    from desktop_app.library.tags import printable_path
    from desktop_app.library.track_removal import missing_track_ids, remove_tracks, track_ids_at, what_removal_takes
    from desktop_app.wording import plural

    if not args.paths and not args.missing:
        print("error: name files or folders to remove, or --missing", file=sys.stderr)
        return 2
    with open_library_from(args) as library:
        stored = [library.paths.to_library(printable_path(os.path.abspath(p))) for p in args.paths]
        with library.writer.begin() if args.yes else library.engine.connect() as conn:
            track_ids = track_ids_at(conn, stored) + (missing_track_ids(conn) if args.missing else [])
            removal = remove_tracks(conn, track_ids) if args.yes else what_removal_takes(conn, track_ids)
    counts = {"tracks": removal.tracks, "analyses": removal.analyses, "playlist_entries": removal.playlist_entries}
    if args.json:
        print_json({"removed": args.yes, **counts})
        return 0
    what = (
        f"{plural(removal.tracks, 'track')} with {plural(removal.analyses, 'analysis', 'analyses')} and "
        f"{plural(removal.playlist_entries, 'playlist entry', 'playlist entries')}"
    )
    if args.yes:
        print(f"Removed {what} from the library; the files are untouched.")
    elif removal.tracks:
        print(f"Would remove {what} from the library (the files stay). Run again with --yes to remove them.")
    else:
        print("No tracks in the library there.")
    return 0
