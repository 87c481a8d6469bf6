"""The `genrescope` command: the window when no command is given, else a headless subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from desktop_app import __version__
from desktop_app.cli import (
    analysis_commands,
    db_commands,
    explain_commands,
    library_commands,
    listen_commands,
    model_commands,
    my_genres_commands,
    playlist_commands,
    similar_commands,
    tag_commands,
)
from desktop_app.cli.common import add_db_option, check_db_option
from desktop_app.cli.terminal import safe_terminal_output

EPILOG = """examples:
  genrescope                           open the window
  genrescope ~/Music/new-album song.mp3
                                       open the window and add these folders and files
  genrescope scan ~/Music              add or update a music folder
  genrescope tracks --json             list the library as JSON lines
  genrescope model install             download and install the genre model
  genrescope analyze song.flac --json  predict one file's genre
  genrescope classify                  analyse the library (resumable)
  genrescope listen --seconds 30       classify what the microphone hears, live
  genrescope playlist export-genres --format m3u8 --out-dir ~/Music/Genres
                                       one playlist file per predicted genre
  genrescope tag write --genre-from ccmusic --dry-run
                                       what writing the genres into the files would change

A path whose name is a command (a folder called "scan") opens the window when written ./scan.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genrescope",
        description="Genrescope: a music-library organizer that classifies genre from the audio.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"genrescope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    library_commands.register(commands)
    analysis_commands.register(commands)
    explain_commands.register(commands)
    model_commands.register(commands)
    playlist_commands.register(commands)
    similar_commands.register(commands)
    my_genres_commands.register(commands)
    db_commands.register(commands)
    tag_commands.register(commands)
    listen_commands.register(commands)
    return parser


def build_window_parser(commands: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genrescope",
        description="Open the Genrescope window, adding any files or folders given. "
        f"Commands ({', '.join(commands)}) run headless: see genrescope --help.",
    )
    add_db_option(parser)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="music files or folders to add")
    return parser


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _wants_window(argv: Sequence[str], commands: Sequence[str]) -> bool:
    """No command among the arguments: the window (``--db DB`` may come first)."""
    rest = list(argv)
    while rest[:1] == ["--db"] or (rest and rest[0].startswith("--db=")):
        rest = rest[2:] if rest[0] == "--db" else rest[1:]
    if not rest:
        return True
    first = rest[0]
    return first not in commands and first not in ("-h", "--help", "--version")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = _command_names(parser)
    if _wants_window(arguments, commands):
        window_args = build_window_parser(commands).parse_args(arguments)
        if not check_db_option(window_args.db):  # a mistyped URL: say so before Qt starts
            return 2
        from desktop_app.gui.app import run  # Qt loads only for the window

        return run(window_args.paths, window_args.db)
    args = parser.parse_args(arguments)
    try:
        with safe_terminal_output():
            return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
