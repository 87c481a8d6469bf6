"""`genrescope analyze FILE` (one file, library untouched) and `genrescope classify` (the library)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar

if TYPE_CHECKING:
    from desktop_app.analysis.precision_switch import PrecisionChoice

MODEL_CHOICES = ("all", "ccmusic", "musicnn-msd", "musicnn-mtt")
"""``--model``: the networks that run (the registry's `NETWORK_CHOICES`; written out so that
``--help`` does not import the model stack)."""
LEASE_SECONDS = 120.0
"""``--lease-seconds``' default: `claimed_work.DEFAULT_LEASE_SECONDS`, written out for the same reason."""
MODEL_NETWORKS_HELP = (
    "which network: the built-in tagger (musicnn-msd, musicnn-mtt: both run, with the broad genres "
    "derived from them), the CCMusic network (ccmusic)"
)
MODEL_HELP = f"{MODEL_NETWORKS_HELP}, or all available (default)"


PRECISION_CHOICES = ("auto", "exact", "fast")
"""``--precision``: `precision_switch.CHOICES`, written out for the same reason."""
PRECISION_HELP = (
    "auto (default; $GENRESCOPE_PRECISION, else the window's setting): exact fp32 until the device's "
    "reduced precision (int8 for CCMusic on CPUs with VNNI, bf16 on CPUs with native bf16, fp16 on CUDA) "
    "has been checked against exact on "
    "your music, then that where it agreed; exact: always fp32; fast: the reduced precision without any "
    "check. The verdicts: genrescope model precision"
)


def _add_model_options(
    parser: argparse.ArgumentParser, choose_network: bool = True, choose_precision: bool = True
) -> None:
    if choose_network:
        parser.add_argument("--model", choices=MODEL_CHOICES, default="all", help=MODEL_HELP)
    parser.add_argument(
        "--weights",
        metavar="W",
        help="CCMusic checkpoint to use (default: $GENRESCOPE_WEIGHTS, else the installed model)",
    )
    parser.add_argument("--device", help="auto (default: CUDA, then MPS, then CPU), cpu, cuda or mps")
    if choose_precision:  # explanations always run exact
        parser.add_argument("--precision", choices=PRECISION_CHOICES, default=None, help=PRECISION_HELP)


def register(commands: argparse._SubParsersAction) -> None:
    analyze = commands.add_parser(
        "analyze",
        help="predict the genre of one audio file (the library is not touched)",
        epilog="examples:\n  genrescope analyze song.flac --json\n  genrescope analyze song.flac --model musicnn-msd",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("file", metavar="FILE")
    _add_model_options(analyze)
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument(
        "--dump-inputs",
        metavar="OUT.npy",
        help="save the network's input batch, float32 [windows, 3, 224, 224], in time order",
    )
    analyze.set_defaults(run=run_analyze)

    classify = commands.add_parser(
        "classify",
        help="analyse every library track the model has not analysed yet (resumable)",
        epilog="examples:\n  genrescope classify --limit 100 --json\n  genrescope classify --model musicnn-msd\n"
        "  genrescope classify --model my-genres",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(classify)
    classify.add_argument(
        "--model",
        choices=(*MODEL_CHOICES, "my-genres"),
        default="all",
        help=f"{MODEL_NETWORKS_HELP}, your learned genres (my-genres: learned again first if your labels "
        "changed), or all available (default)",
    )
    _add_model_options(classify, choose_network=False)
    classify.add_argument("--limit", type=int, metavar="N", help="analyse at most N tracks")
    classify.add_argument(
        "--lease-seconds",
        type=_positive_seconds,
        default=LEASE_SECONDS,
        metavar="S",
        help="several workers may classify one library at once (other machines, the window): each "
        "claims a few tracks at a time, renewing its claims while it runs; a worker that stops "
        "(killed, machine off) loses them S seconds later to the others (default: %(default)g)",
    )
    classify.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    classify.set_defaults(run=run_classify)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return seconds


def _wants(args: argparse.Namespace, network: str) -> bool:
    if network == "tagger":
        return args.model in ("all", "musicnn-msd", "musicnn-mtt")
    return args.model in ("all", network)


def _choice(args: argparse.Namespace) -> PrecisionChoice:
    """``--precision``, else $GENRESCOPE_PRECISION, else the window's setting, else auto."""
    from desktop_app.analysis.precision_switch import resolve_choice
    from desktop_app.config.window_settings import precision_setting

    return resolve_choice(args.precision, precision_setting())


def _load(args: argparse.Namespace):  # -> (ClassifierRun | None, error message | None)
    from desktop_app.analysis.model_loading import open_ccmusic_run

    try:
        choice = _choice(args)
    except ValueError as exc:
        return None, str(exc)
    return open_ccmusic_run(args.weights, args.device, choice)


def _load_tagger(args: argparse.Namespace):  # -> (TaggerRun | None, error message | None)
    from desktop_app.analysis.model_loading import open_tagger_for_analysis

    try:
        choice = _choice(args)
    except ValueError as exc:
        return None, str(exc)
    return open_tagger_for_analysis(args.device, choice)


def _precision_note(name: str, plan, calibrating: bool = False) -> None:  # plan: precision_switch.PrecisionPlan
    """Say on stderr when a network runs reduced precision because the person asked, unchecked
    (``calibrating``: int8 has no calibration yet, so the first windows run exact to make one)."""
    if plan.state == "fast-chosen":
        checked = "" if plan.verdict is not None and plan.verdict.decided else ", not checked against exact"
        first = "; its first windows run exact fp32 to calibrate it" if calibrating else ""
        print(f"note: {name} runs {plan.precision} as asked (--precision fast){checked}{first}", file=sys.stderr)
    elif plan.state == "unsupported" and plan.choice == "fast":
        print(f"note: {name} runs exact fp32: this device has no faster reduced precision", file=sys.stderr)


def _precision_report(run) -> dict[str, object]:  # run: TaggerRun | ClassifierRun
    from desktop_app.analysis.precision_switch import refreshed

    return refreshed(run.plan, run.check).as_json()


def _tagger_report(args: argparse.Namespace, inputs) -> dict[str, object]:
    """The ``taggers`` and ``broad_genre`` entries of `analyze`'s report."""
    from desktop_app.analysis.tag_results import verdict

    run, problem = _load_tagger(args)
    if run is None:
        return {"taggers": None, "broad_genre": None, "tagger_error": problem}
    _precision_note("the built-in tagger", run.plan)
    tagger = run.analyse
    probs = tagger.predict(inputs.inputs)
    if run.check is not None:
        run.check.observe(os.path.abspath(args.file), inputs.inputs, probs, silent=inputs.silent)
    return {
        **tagger_entries(verdict(probs, tagger), tagger, args.model),
        "patches": len(inputs.inputs),
        "tagger_short_clip": inputs.short_clip,
        "tagger_precision": _precision_report(run),
    }


def tagger_entries(found, tagger, model: str = "all") -> dict[str, object]:
    """A song's tags and broad genres as `analyze` reports them (found: analysis.tag_results.TaggerVerdict)."""
    from desktop_app.inference.tagger import TAGGERS

    shown = TAGGERS if model == "all" else (model,)
    taggers = {
        name: {
            "tags": {tag: round(p, 6) for tag, p in found.tags[name].as_dict().items()},
            "top5": [{"tag": s.tag, "probability": round(s.probability, 6)} for s in found.tags[name].top5],
            "patches": found.tags[name].patches,
            "model_sha256": tagger.identities[name].sha256,
            "model_label": tagger.identities[name].label,
        }
        for name in shown
    }
    broad = {
        "top5": [
            {
                "genre": s.key,
                "display_name": s.display_name,
                "probability": round(s.probability, 6),
                "from_tag": s.evidence,
            }
            for s in found.broad.top5
        ],
        "model_sha256": found.broad.sha256,
    }
    return {"taggers": taggers, "broad_genre": broad, "tagger_device": str(tagger.device)}


def ccmusic_entries(song, classifier) -> dict[str, object]:
    """A song's CCMusic genres as `analyze` reports them (song: inference.summary.SongPrediction)."""
    return {
        "top5": [
            {"genre": s.key, "display_name": s.display_name, "probability": round(s.probability, 6)} for s in song.top5
        ],
        "majority": song.majority.key,
        "window_probs": [[round(float(p), 6) for p in row] for row in song.window_probs],
        "model_sha256": classifier.identity.sha256,
        "model_origin": classifier.identity.origin,
        "model_label": classifier.identity.label,
        "device": str(classifier.device),
        "precision_used": classifier.precision,
    }


def run_analyze(args: argparse.Namespace) -> int:
    import numpy as np

    from desktop_app.audio.decode import AudioDecodeError
    from desktop_app.audio.prepare import prepare_for_all, prepare_for_tagger
    from desktop_app.inference.summary import summarize

    started = time.perf_counter()
    ccmusic_wanted = _wants(args, "ccmusic")
    if args.dump_inputs and not ccmusic_wanted:
        print("error: --dump-inputs saves the CCMusic network's inputs; use --model ccmusic or all", file=sys.stderr)
        return 2
    try:
        if ccmusic_wanted:
            track, tagger_inputs = prepare_for_all(args.file)  # one decode for every network
        else:
            track, tagger_inputs = None, prepare_for_tagger(args.file)  # 16 kHz only, no CQT
    except AudioDecodeError as exc:
        if args.json:
            print_json({"file": args.file, "error": exc.reason})
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.dump_inputs and track is not None:
        np.save(args.dump_inputs, np.ascontiguousarray(track.inputs, dtype=np.float32))

    report: dict[str, object] = {
        "file": args.file,
        "duration": round((track or tagger_inputs).duration_s, 3),
        "windows": len(track.inputs) if track is not None else None,
        "short_clip": track.short_clip if track is not None else tagger_inputs.short_clip,
        "silent": tagger_inputs.silent,
        "top5": None,
        "majority": None,
        "window_probs": None,
        "model_sha256": None,
        "model_origin": None,
        "device": None,
    }
    run, problem = _load(args) if ccmusic_wanted else (None, f"not asked for (--model {args.model})")
    if run is None or track is None:
        report["model_error"] = problem
    else:
        _precision_note("CCMusic", run.plan, run.analyse.calibrating)
        classifier = run.analyse
        probs = classifier.predict(track.inputs)
        if run.check is not None:
            run.check.observe(os.path.abspath(args.file), track.inputs, probs, silent=track.silent)
        song = summarize(probs, model=classifier.identity)
        report.update(ccmusic_entries(song, classifier))
        report["precision"] = _precision_report(run)
    if _wants(args, "tagger"):
        report.update(_tagger_report(args, tagger_inputs))
    report["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print_json(report)
    else:
        print_analysis(report)
    return 0


def print_analysis(report: dict) -> None:
    short = (
        "shorter than 11.4 s: one stretched window"
        if report["windows"] is not None
        else "shorter than 3 s: one repeated patch"
    )
    notes = [
        n
        for flag, n in ((report["short_clip"], short), (report["silent"], "silent: the prediction means nothing"))
        if flag
    ]
    parts = [
        f"{report['windows']} windows" if report["windows"] is not None else None,
        f"{report['patches']} patches" if report.get("patches") is not None else None,
    ]
    print(
        f"{report['file']}: {report['duration']:.1f} s, {', '.join(p for p in parts if p)}"
        + (f" ({'; '.join(notes)})" if notes else "")
    )
    if report.get("broad_genre"):
        print("Broad genre (from the built-in tagger's tags):")
        for score in report["broad_genre"]["top5"]:
            print(f"  {score['probability'] * 100:5.1f}%  {score['display_name']}  ({score['from_tag']})")
    for tagger in (report.get("taggers") or {}).values():
        tags = ", ".join(f"{s['tag']} {s['probability'] * 100:.0f}%" for s in tagger["top5"])
        print(f"Tags, {tagger['model_label']}: {tags}")
    if report.get("tagger_error"):
        print(f"No tags: {report['tagger_error']}")
    if report["top5"] is None:
        print(f"CCMusic: no prediction: {report['model_error']}")
        return
    print("CCMusic genres:")
    for score in report["top5"]:
        print(f"  {score['probability'] * 100:5.1f}%  {score['display_name']}")
    print(f"Majority vote of the windows: {report['majority']}")
    print(f"Model: {report['model_label']} on {report['device']} ({report['precision_used']})")


def run_classify(args: argparse.Namespace) -> int:
    """The tagger's pass over the whole library first (no download: real broad genres), then CCMusic's."""
    report: dict[str, object] = {}
    status = 0
    if _wants(args, "tagger"):
        status = max(status, _classify_with_tagger(args, report))
    if _wants(args, "ccmusic"):
        status = max(status, _classify_with_ccmusic(args, report))
    if _wants(args, "my-genres"):
        from desktop_app.cli.my_genres_commands import print_refreshed

        status = max(status, print_refreshed(args, report))
    if args.json:
        print_json(report if args.model == "all" else next(iter(report.values())))
    return status


def _classify_with_tagger(args: argparse.Namespace, report: dict[str, object]) -> int:
    from desktop_app.analysis.tag_library import tag_tracks

    run, problem = _load_tagger(args)
    if run is None:
        print(f"error: the built-in tagger cannot run: {problem}", file=sys.stderr)
        report["tagger"] = {"error": problem}
        return 2
    _precision_note("the built-in tagger", run.plan)
    with open_library_from(args) as library, progress_bar("tagging") as bar:
        summary = tag_tracks(
            library,
            run.analyse,
            limit=args.limit,
            lease_seconds=args.lease_seconds,
            progress=lambda p: bar.update(p.done, p.total),
            precision_check=run.check,
        )
    report["tagger"] = {**summary.as_json(), "precision_check": _precision_report(run)}
    if not args.json:
        _print_pass(f"Tagger: {summary.analysed} tagged", summary, "")
        _print_precision(run)
    return 0


def _classify_with_ccmusic(args: argparse.Namespace, report: dict[str, object]) -> int:
    from desktop_app.analysis.classify_library import classify_tracks

    run, problem = _load(args)
    if run is None:
        report["ccmusic"] = {"error": problem}
        if args.model == "all":  # the tagger did its part; CCMusic is an optional download
            print(f"note: CCMusic genres skipped: {problem}", file=sys.stderr)
            return 0
        print(f"error: {problem}", file=sys.stderr)
        return 2
    classifier = run.analyse
    if classifier.identity.origin == "test":
        print("warning: these are TEST weights; their predictions are not real", file=sys.stderr)
    _precision_note("CCMusic", run.plan, run.analyse.calibrating)
    with open_library_from(args) as library, progress_bar("analysing") as bar:
        summary = classify_tracks(
            library,
            classifier,
            limit=args.limit,
            lease_seconds=args.lease_seconds,
            progress=lambda p: bar.update(p.done, p.total),
            precision_check=run.check,
        )
    report["ccmusic"] = {**summary.as_json(), "precision_check": _precision_report(run)}
    if not args.json:
        _print_pass(f"CCMusic: {summary.analysed} analysed", summary, f" ({classifier.identity.label})")
        _print_precision(run)
    return 0


def _print_precision(run) -> None:  # run: TaggerRun | ClassifierRun
    from desktop_app.analysis.precision_switch import describe, refreshed

    print(f"  Precision: {describe(refreshed(run.plan, run.check))}")


def _print_pass(headline: str, summary, model: str) -> None:  # summary: analysis.passes.PassSummary
    """One line per pass, then each file that failed (on stderr)."""
    print(f"{headline}, {summary.failed} failed in {summary.seconds:.1f} s on {summary.device}{model}")
    for err in summary.error_files:
        print(f"  {err['path']}: {err['reason']}", file=sys.stderr)
