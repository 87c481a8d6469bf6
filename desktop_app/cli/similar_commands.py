"""`genrescope similar`: the library tracks that sound most like a track or any audio file."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json, track_line

SIMILAR_MODELS = ("musicnn-msd", "musicnn-mtt")
"""`analysis.similar.SIMILAR_MODELS`, written out so that ``--help`` imports nothing heavy."""


def register(commands: argparse._SubParsersAction) -> None:
    similar = commands.add_parser(
        "similar",
        help="the library tracks that sound most like a track or an audio file",
        epilog="examples:\n  genrescope similar 42\n  genrescope similar ~/Downloads/new-song.mp3 --limit 20 --json\n\n"
        "A file that is not in the library is analysed on the spot (the built-in tagger, a few seconds).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    similar.add_argument("seed", metavar="FILE_OR_TRACK_ID", help="a library track's id, or an audio file")
    add_db_option(similar)
    similar.add_argument(
        "--model",
        choices=SIMILAR_MODELS,
        default=SIMILAR_MODELS[0],
        help="whose embeddings (default: musicnn-msd, which measured best)",
    )
    similar.add_argument("--limit", type=int, default=10, metavar="N", help="how many tracks (default: 10)")
    similar.add_argument("--device", help="for a file not in the library: cpu, cuda or mps (default: the best)")
    similar.add_argument("--json", action="store_true", help="one JSON object per line")
    similar.set_defaults(run=run_similar)


def run_similar(args: argparse.Namespace) -> int:
    from desktop_app.analysis.similar import find_seed, similar_tracks
    from desktop_app.audio.decode import AudioDecodeError
    from desktop_app.library.similarity import SimilarityError

    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    with open_library_from(args) as library:
        try:
            seed = find_seed(library, args.seed)
            found = similar_tracks(library, seed, model=args.model, limit=args.limit, device=args.device)
        except (SimilarityError, AudioDecodeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    for track in found:
        if args.json:
            print_json(
                {
                    "id": track.track_id,
                    "path": track.path,
                    "artist": track.artist,
                    "title": track.title,
                    "similarity": round(track.similarity, 4),
                }
            )
        else:
            print(
                f"{track.similarity:6.3f}  "
                + track_line(track.track_id, track.path, track.artist, track.title, True).lstrip()
            )
    if not found and not args.json:
        print("No other track in the library has an embedding yet.")
    return 0
