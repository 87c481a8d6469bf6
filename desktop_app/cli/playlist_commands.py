"""`genrescope playlist …`: list, show, create (genre, smart, from a seed track), export, export-genres, import,
delete."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from desktop_app.cli.common import add_db_option, open_library_from, print_json, track_line
from desktop_app.wording import plural

if TYPE_CHECKING:
    from desktop_app.library.playlist_formats import FormatName

FORMAT_NAMES = ("m3u8", "pls", "xspf")
# The default is the taxonomy's (Taxonomy.low_confidence), resolved when a command runs:
# importing the library to build the parser would slow every start, the window's included.
MIN_CONFIDENCE_HELP = (
    "lowest top-1 confidence, 0-1 (default: the low-confidence line: 0.2 for broad genres, 0.4 for CCMusic's)"
)
GENRE_MODELS = ("broad-genre", "ccmusic")
MODEL_HELP = (
    "whose genres: broad-genre (the built-in tagger's) or ccmusic; default: the first that "
    "knows GENRE (broad genres first)"
)
EPILOG = """examples:
  genrescope playlist create Metal --genre metal --smart
  genrescope playlist create "Soft rock" --genre soft_rock --min-confidence 0.6 --smart
  genrescope playlist create "Like this" --seed ~/Music/song.flac --length 25
  genrescope playlist export "Soft rock" --format xspf --out ~/Music/soft-rock.xspf --relative
  genrescope playlist export-genres --format m3u8 --out-dir ~/Music/Genres
  genrescope playlist import ~/Downloads/party.pls --name Party
"""


def _min_confidence(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (0.6 means 60%)")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def register(commands: argparse._SubParsersAction) -> None:
    playlist = commands.add_parser(
        "playlist",
        help="genre, smart and manual playlists; export and import M3U8, PLS, XSPF",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = playlist.add_subparsers(dest="playlist_command", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="the playlists with their track counts",
        epilog="examples:\n  genrescope playlist list\n  genrescope playlist list --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser(
        "show",
        help="a playlist's tracks in order",
        epilog='examples:\n  genrescope playlist show "Soft rock"\n  genrescope playlist show Party --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("name", metavar="NAME")
    _common(show)
    show.set_defaults(run=run_show)

    create = actions.add_parser(
        "create",
        help="a playlist of one predicted genre (top-1 = GENRE, confidence ≥ X), or of tracks that "
        "follow on from a seed track",
        epilog='GENRE is a broad genre (Rock, Hip-hop, "Ambient / New age") or a CCMusic genre, by key\n'
        '(Soft_rock) or display name ("Soft rock"), any case.\n\n'
        "examples:\n  genrescope playlist create Jazz --genre jazz --smart\n"
        "  genrescope playlist create Opera --genre opera --model ccmusic\n"
        '  genrescope playlist create "Soft rock" --genre "Soft rock" --min-confidence 0.6 --smart\n'
        "  genrescope playlist create Dance --genre dance_pop --order album_order\n"
        '  genrescope playlist create "Like this" --seed 42 --length 25',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument("name", metavar="NAME")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--genre", metavar="GENRE")
    source.add_argument(
        "--seed",
        metavar="FILE_OR_TRACK_ID",
        help="start from this track (a library track's id or path) and walk to the tracks "
        "that sound most like it, each following smoothly from the last",
    )
    create.add_argument(
        "--length",
        type=_positive,
        default=25,
        metavar="N",
        help="tracks in a --seed playlist, the seed included (default: 25)",
    )
    create.add_argument("--model", choices=GENRE_MODELS, help=MODEL_HELP)
    create.add_argument("--min-confidence", type=_min_confidence, metavar="X", help=MIN_CONFIDENCE_HELP)
    create.add_argument(
        "--smart", action="store_true", help="keep it up to date with later scans and analyses instead of a snapshot"
    )
    create.add_argument(
        "--order",
        choices=("confidence", "album_order"),
        default="confidence",
        help="confidence (highest first, default) or album_order (artist, album, track number)",
    )
    _common(create)
    create.set_defaults(run=run_create)

    export = actions.add_parser(
        "export",
        help="write a playlist as M3U8, PLS or XSPF",
        epilog="examples:\n  genrescope playlist export Party --out ~/Music/party.m3u8\n"
        '  genrescope playlist export "Soft rock" --format xspf --out ~/Music/soft-rock.xspf --relative',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("name", metavar="NAME")
    export.add_argument("--format", choices=FORMAT_NAMES, help="default: from the --out extension")
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument(
        "--relative",
        action="store_true",
        help="paths relative to the playlist's folder (absolute when on another drive)",
    )
    export.add_argument("--keep-missing", action="store_true", help="also write tracks whose file is missing")
    _common(export)
    export.set_defaults(run=run_export)

    genres = actions.add_parser(
        "export-genres",
        help="one playlist file per predicted genre into a folder",
        epilog="examples:\n  genrescope playlist export-genres --format m3u8 --out-dir ~/Music/Genres\n"
        "  genrescope playlist export-genres --model ccmusic --format xspf --out-dir ~/Music/CCMusic\n"
        "  genrescope playlist export-genres --format pls --out-dir /media/usb/Genres --min-confidence 0.7 "
        "--relative",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    genres.add_argument("--format", choices=FORMAT_NAMES, required=True)
    genres.add_argument("--out-dir", required=True, metavar="DIR")
    genres.add_argument(
        "--model", choices=GENRE_MODELS, default="broad-genre", help="whose genres: broad-genre (default) or ccmusic"
    )
    genres.add_argument("--min-confidence", type=_min_confidence, metavar="X", help=MIN_CONFIDENCE_HELP)
    genres.add_argument("--relative", action="store_true", help="paths relative to DIR")
    _common(genres)
    genres.set_defaults(run=run_export_genres)

    importing = actions.add_parser(
        "import",
        help="read an M3U, M3U8, PLS or XSPF file into a manual playlist",
        epilog="examples:\n  genrescope playlist import ~/Downloads/party.pls --name Party\n"
        "  genrescope playlist import ~/Music/road-trip.xspf --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importing.add_argument("file", metavar="FILE")
    importing.add_argument("--name", help="playlist name (default: the file's name)")
    _common(importing)
    importing.set_defaults(run=run_import)

    remove = actions.add_parser(
        "delete",
        help="delete a playlist (its tracks stay in the library)",
        epilog='example: genrescope playlist delete "Soft rock"',
    )
    remove.add_argument("name", metavar="NAME")
    _common(remove)
    remove.set_defaults(run=run_delete)


def _models(conn) -> dict[str, int]:  # the current model ids, imported lazily for start-up speed
    from desktop_app.analysis.current import current_models

    return {name: info.id for name, info in current_models(conn).items() if info.id is not None}


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run_list(args: argparse.Namespace) -> int:
    from desktop_app.library.playlists import list_playlists, playlist_counts

    with open_library_from(args) as library, library.engine.connect() as conn:
        counts = playlist_counts(conn, _models(conn))
        found = list_playlists(conn)
    if args.json:  # one JSON object per line, like every listing command
        for p in found:
            print_json(
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "tracks": counts[p.id],
                    "rules": p.rules.to_json() if p.rules else None,
                }
            )
    elif not found:
        print("No playlists yet: genrescope playlist create NAME --genre GENRE")
    for p in found if not args.json else ():
        print(f"{counts[p.id]:>6}  {p.name}{'  (smart)' if p.is_smart else ''}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from desktop_app.library.playlists import PlaylistError, find_playlist, playlist_track_ids, tracks_by_id

    with open_library_from(args) as library, library.engine.connect() as conn:
        try:
            playlist = find_playlist(conn, args.name)
        except PlaylistError as exc:
            return _fail(str(exc))
        items = tracks_by_id(conn, playlist_track_ids(conn, playlist, _models(conn)))
    for track in items:
        if args.json:
            print_json(
                {
                    "id": track.id,
                    "path": track.path,
                    "title": track.title,
                    "artist": track.artist,
                    "album": track.album,
                    "duration": track.duration,
                    "available": track.available,
                }
            )
        else:
            print(track_line(track.id, track.path, track.artist, track.title, track.available))
    return 0


def run_create(args: argparse.Namespace) -> int:
    if args.seed is not None:
        return _create_from_seed(args)
    from desktop_app.genres.taxonomy import UnknownLabelError
    from desktop_app.library.playlists import (
        PlaylistError,
        create_genre_playlist,
        find_genre,
        get_playlist,
        playlist_track_ids,
    )

    try:
        taxonomy, genre = find_genre(args.genre, args.model)
    except UnknownLabelError as exc:
        return _fail(str(exc), 2)
    min_confidence = taxonomy.low_confidence if args.min_confidence is None else args.min_confidence
    with open_library_from(args) as library:
        with library.writer.begin() as conn:
            models = _models(conn)
            try:
                playlist_id = create_genre_playlist(
                    conn,
                    genre.key,
                    model=taxonomy.model,
                    name=args.name,
                    smart=args.smart,
                    min_confidence=min_confidence,
                    models=models,
                    order=args.order,
                )
            except PlaylistError as exc:
                return _fail(str(exc))
            playlist = get_playlist(conn, playlist_id)
            count = len(playlist_track_ids(conn, playlist, models))
    if taxonomy.model not in models:
        print(
            f"note: nothing in this library has {taxonomy.title} genres yet (genrescope classify); the playlist "
            "is empty" + (" until it has" if args.smart else ""),
            file=sys.stderr,
        )
    if args.json:
        print_json(
            {
                "id": playlist.id,
                "name": playlist.name,
                "kind": playlist.kind,
                "genre": genre.key,
                "model": taxonomy.model,
                "min_confidence": min_confidence,
                "tracks": count,
            }
        )
    else:
        print(
            f"Created {'smart ' if args.smart else ''}playlist {playlist.name!r}: "
            f"{plural(count, genre.display_name + ' track')} at ≥ {min_confidence:.0%} confidence"
        )
    return 0


def _create_from_seed(args: argparse.Namespace) -> int:
    from desktop_app.analysis.similar import create_seed_playlist, find_seed
    from desktop_app.library.playlists import PlaylistError
    from desktop_app.library.similarity import SimilarityError

    with open_library_from(args) as library:
        try:
            seed = find_seed(library, args.seed)
            if seed.track_id is None:
                return _fail(f"{seed.path} is not in the library: scan it first (genrescope scan)")
            playlist_id, name, track_ids = create_seed_playlist(library, seed.track_id, args.length, args.name)
        except (SimilarityError, PlaylistError) as exc:
            return _fail(str(exc))
    if args.json:
        print_json(
            {
                "id": playlist_id,
                "name": name,
                "kind": "manual",
                "seed": seed.track_id,
                "tracks": len(track_ids),
                "track_ids": track_ids,
            }
        )
    else:
        print(f"Created playlist {name!r}: {plural(len(track_ids), 'track')} from {seed.path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from desktop_app.library.playlist_files import export_playlist
    from desktop_app.library.playlists import PlaylistError, find_playlist

    fmt = args.format or Path(args.out).suffix.lower().lstrip(".")
    if fmt not in FORMAT_NAMES:
        return _fail(f"say --format {'|'.join(FORMAT_NAMES)} (the extension of {args.out} names none)", 2)
    with open_library_from(args) as library:
        with library.engine.connect() as conn:
            try:
                playlist = find_playlist(conn, args.name)
            except PlaylistError as exc:
                return _fail(str(exc))
            models = _models(conn)
        try:
            result = export_playlist(
                library,
                playlist,
                args.out,
                cast("FormatName", fmt),
                models=models,
                relative=args.relative,
                keep_unavailable=args.keep_missing,
            )
        except OSError as exc:
            return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    print_json(result.as_json()) if args.json else print(result.describe())
    return 0


def run_export_genres(args: argparse.Namespace) -> int:
    from desktop_app.library.playlist_files import export_genre_playlists

    with open_library_from(args) as library:
        with library.engine.connect() as conn:
            models = _models(conn)
        try:
            results = export_genre_playlists(
                library,
                args.out_dir,
                args.format,
                model=args.model,
                models=models,
                min_confidence=args.min_confidence,
                relative=args.relative,
            )
        except OSError as exc:
            return _fail(f"cannot write into {args.out_dir}: {exc.strerror or exc}")
    if args.json:
        print_json({"out_dir": str(Path(args.out_dir).absolute()), "playlists": [r.as_json() for r in results]})
    elif not results:
        print(
            "No genre has tracks at that confidence"
            + (
                ""
                if args.model in models
                else f": nothing in this library has {args.model} genres yet (genrescope classify)"
            )
        )
    for result in results if not args.json else ():
        print(f"{result.name}: {result.describe()}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from desktop_app.library.playlist_files import import_playlist
    from desktop_app.library.playlist_formats import PlaylistFileError

    with open_library_from(args) as library:
        try:
            result = import_playlist(library, args.file, args.name)
        except (PlaylistFileError, OSError) as exc:
            return _fail(f"cannot import {args.file}: {getattr(exc, 'strerror', None) or exc}")
    if args.json:
        print_json(result.as_json())
    else:
        print(result.describe())
        for missing in result.not_found:
            print(f"  {missing['entry']}: {missing['reason']}", file=sys.stderr)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from desktop_app.library.playlists import PlaylistError, delete_playlist, find_playlist

    with open_library_from(args) as library, library.writer.begin() as conn:
        try:
            snapshot = delete_playlist(conn, find_playlist(conn, args.name).id)
        except PlaylistError as exc:
            return _fail(str(exc))
    print_json({"deleted": snapshot.name}) if args.json else print(f"Deleted playlist {snapshot.name!r}")
    return 0
