"""`genrescope scan` and `genrescope tracks`."""

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
