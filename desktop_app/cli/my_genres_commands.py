"""`genrescope learn-genres`: learn "My genres" from the library's own genre tags or playlists."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import add_db_option, open_library_from, print_json


def register(commands: argparse._SubParsersAction) -> None:
    learn = commands.add_parser(
        "learn-genres",
        help="learn your own genres from the tracks you already tagged (or put in playlists)",
        epilog="examples:\n  genrescope learn-genres\n  genrescope learn-genres --from playlists --json\n\n"
        "The evaluation is printed before anything uses the genres; apply them with\n"
        "  genrescope classify --model my-genres",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(learn)
    learn.add_argument(
        "--from",
        dest="source",
        choices=("tags", "playlists"),
        default="tags",
        help="the labels: each track's genre tag (default), or the manual playlists it is in",
    )
    learn.add_argument("--json", action="store_true", help="print the evaluation as one JSON object")
    learn.set_defaults(run=run_learn)


def run_learn(args: argparse.Namespace) -> int:
    from desktop_app.analysis.my_genres import LearnError, describe, embedding_model_id, learn, save

    with open_library_from(args) as library:
        try:
            with library.engine.connect() as conn:
                training = learn(conn, embedding_model_id(conn), args.source)
        except LearnError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        model_id = save(library, training)
    if args.json:
        print_json(
            {
                "model_id": model_id,
                "source": training.source,
                "genres": list(training.classifier.genres),
                "evaluation": training.evaluation.as_json(),
            }
        )
    else:
        print("\n".join(describe(training.evaluation, training.classifier.genres)))
        print("Apply them with: genrescope classify --model my-genres")
    return 0


def print_refreshed(args: argparse.Namespace, report: dict[str, object]) -> int:
    """`classify`'s My genres step: retrain if the labels changed, then classify new tracks."""
    from desktop_app.analysis.my_genres import LearnError, bring_up_to_date, describe

    with open_library_from(args) as library:
        try:
            done = bring_up_to_date(library)
        except LearnError as exc:
            report["my-genres"] = {"error": str(exc)}
            if args.model == "all":
                return 0  # nothing learned yet: nothing to apply
            print(f"error: {exc}", file=sys.stderr)
            return 2
    entry: dict[str, object] = {
        "model_id": done.model_id,
        "classified": done.classified,
        "retrained": done.retrained is not None,
    }
    if done.retrained is not None:
        entry["evaluation"] = done.retrained.evaluation.as_json()
        print("Your genre labels changed since My genres were learned; learned again:", file=sys.stderr)
        print("\n".join(describe(done.retrained.evaluation, done.retrained.classifier.genres)), file=sys.stderr)
    report["my-genres"] = entry
    if not args.json:
        print(f"My genres: {done.classified} classified")
    return 0
