"""The `genrescope` command: subcommands that drive the same core as the window, headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from desktop_app import __version__
from desktop_app.cli import library_commands

EPILOG = """examples:
  genrescope scan ~/Music              add or update a music folder
  genrescope tracks --json             list the library as JSON lines
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
