"""`genrescope db …`: a shared library's per-machine path mappings, and copying a library elsewhere.

``db map`` / ``db unmap`` / ``db map --list`` edit and show the mappings that let each machine
find a shared library's files where it mounts them (`library.path_mappings`); ``db migrate``
copies a whole library into a new database, SQLite to PostgreSQL or back (`library.library_copy`).
"""

from __future__ import annotations

import argparse
import os
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar

MAP_EPILOG = """examples:
  genrescope db map /mnt/music /Volumes/music      this machine finds /mnt/music/… under /Volumes/music/…
  genrescope db map /mnt/music /media/nas --machine kitchen-pc
  genrescope db map --list --json                  every machine's mappings
  genrescope db unmap /mnt/music

A library stores each track's path as the machine that scanned it saw it. Scans, analyses,
playback and playlist exports on this machine go through its mappings (longest prefix first;
prefixes match whole folder names). The machine's name is its host name, or $GENRESCOPE_MACHINE.
A local folder that does not exist here (yet) is stored anyway, with a warning: the share may
simply not be mounted right now.
"""

MIGRATE_EPILOG = """examples:
  genrescope db migrate --from ~/.local/share/genrescope/library.sqlite3 --to postgresql://me@nas/music
  genrescope db migrate --from postgresql://me@nas/music --to ~/music-copy.sqlite3 --json

Every table is copied with its ids into a target that must be empty (a new database), in one
transaction, then verified: on any failure or difference nothing is kept. The source is only read;
a source at an older schema version is refused until this version has opened it once.
"""


def register(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser(
        "db",
        help="a library's path mappings per machine, and migrating it to another database",
        epilog="examples:\n  genrescope db map /mnt/music /Volumes/music\n  genrescope db map --list\n"
        "  genrescope db migrate --from library.sqlite3 --to postgresql://me@nas/music",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)

    map_ = sub.add_parser(
        "map",
        help="say where this machine (or --machine) finds a library folder",
        epilog=MAP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    map_.add_argument("library_prefix", nargs="?", metavar="LIBRARY_PREFIX", help="a folder as the library stores it")
    map_.add_argument("local_prefix", nargs="?", metavar="LOCAL_PREFIX", help="the same folder on this machine")
    map_.add_argument("--machine", metavar="NAME", help="whose mapping (default: this machine's name)")
    map_.add_argument("--list", action="store_true", help="list the mappings (every machine's, or --machine's)")
    map_.add_argument("--json", action="store_true", help="with --list: one JSON object per mapping")
    add_db_option(map_)
    map_.set_defaults(run=run_map)

    unmap = sub.add_parser(
        "unmap",
        help="forget a folder's mapping on this machine (or --machine)",
        epilog="examples:\n  genrescope db unmap /mnt/music\n  genrescope db unmap /mnt/music --machine kitchen-pc",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    unmap.add_argument("library_prefix", metavar="LIBRARY_PREFIX", help="the folder as the library stores it")
    unmap.add_argument("--machine", metavar="NAME", help="whose mapping (default: this machine's name)")
    add_db_option(unmap)
    unmap.set_defaults(run=run_unmap)

    migrate = sub.add_parser(
        "migrate",
        help="copy a whole library into a new, empty database (e.g. SQLite to PostgreSQL) and verify it",
        epilog=MIGRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="SOURCE", help="a SQLite file or URL")
    migrate.add_argument("--to", dest="target", required=True, metavar="TARGET", help="a SQLite file or URL")
    migrate.add_argument("--json", action="store_true", help="print the rows copied per table as one JSON object")
    migrate.set_defaults(run=run_migrate)


def run_map(args: argparse.Namespace) -> int:
    from desktop_app.library.path_mappings import PathMappingError, list_mappings, machine_name, set_mapping

    if args.list:
        if args.library_prefix is not None:
            print("error: --list takes no folders", file=sys.stderr)
            return 2
        with open_library_from(args) as library:
            mappings = list_mappings(library, args.machine)
        if args.json:
            for mapping in mappings:
                print_json(mapping.as_json())
        else:
            here = machine_name()
            for mapping in mappings:
                mark = "  (this machine)" if mapping.machine == here else ""
                print(f"{mapping.machine}: {mapping.library_prefix} -> {mapping.local_prefix}{mark}")
            if not mappings:
                print("no path mappings")
        return 0
    if args.library_prefix is None or args.local_prefix is None:
        print("error: give LIBRARY_PREFIX and LOCAL_PREFIX, or --list", file=sys.stderr)
        return 2
    with open_library_from(args) as library:
        try:
            mapping = set_mapping(library, args.library_prefix, args.local_prefix, args.machine)
        except PathMappingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"{mapping.machine}: {mapping.library_prefix} -> {mapping.local_prefix}")
    if mapping.machine == machine_name() and not os.path.isdir(mapping.local_prefix):
        print(f"warning: {mapping.local_prefix} is not a folder on this machine (not mounted?)", file=sys.stderr)
    return 0


def run_unmap(args: argparse.Namespace) -> int:
    from desktop_app.library.path_mappings import PathMappingError, machine_name, remove_mapping

    with open_library_from(args) as library:
        try:
            removed = remove_mapping(library, args.library_prefix, args.machine)
        except PathMappingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if not removed:
        print(f"error: {args.machine or machine_name()} has no mapping of {args.library_prefix}", file=sys.stderr)
        return 1
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from desktop_app.library.library_copy import LibraryCopyError, copy_library
    from desktop_app.library.location import LibraryLocationError, parse_location

    try:
        source, target = parse_location(args.source), parse_location(args.target)
    except LibraryLocationError as exc:
        print(f"genrescope: {exc}", file=sys.stderr)
        return 2
    try:
        with progress_bar("copying", unit="row") as bar:
            report = copy_library(source, target, progress=lambda p: bar.update(p.done, p.total))
    except (LibraryCopyError, LibraryLocationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json({"source": str(source), "target": str(target), "verified": True, **report.as_json()})
    else:
        counts = ", ".join(f"{n:,} {name}" for name, n in report.tables.items())
        print(f"copied {source} to {target} and verified it in {report.seconds:.1f} s: {counts}")
    return 0
