"""`genrescope scan` and `genrescope tracks`."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar, track_line

TRACK_FIELDS = ("id", "path", "title", "artist", "album", "duration", "tag_genre", "available", "error")


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
        "tracks", help="list the tracks in the library", epilog="example: genrescope tracks --json"
    )
    add_db_option(tracks)
    tracks.add_argument("--json", action="store_true", help="one JSON object per line")
    tracks.set_defaults(run=run_tracks)


def run_scan(args: argparse.Namespace) -> int:
    from desktop_app.library.scanner import Scanner

    with open_library_from(args) as library, progress_bar("scanning") as bar:
        scanner = Scanner(
            library, workers=args.workers, progress=lambda p: bar.update(p.done, p.total)
        )
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
    from desktop_app.library.queries import iter_tracks

    with open_library_from(args) as library:
        for track in iter_tracks(library):
            if args.json:
                print_json({name: track[name] for name in TRACK_FIELDS})
            else:
                print(track_line(track["id"], track["path"], track["artist"], track["title"],
                                 track["available"], track["error"]))
    return 0
