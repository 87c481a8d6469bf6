"""`genrescope analyze FILE` (one file, library untouched) and `genrescope classify` (the library)."""

from __future__ import annotations

import argparse
import sys
import time

from desktop_app.cli.common import add_db_option, open_library_from, print_json, progress_bar


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", metavar="W",
                        help="checkpoint to use (default: $GENRESCOPE_WEIGHTS, else the installed model)")
    parser.add_argument("--device", help="auto (default: CUDA, then MPS, then CPU), cpu, cuda or mps")


def register(commands: argparse._SubParsersAction) -> None:
    analyze = commands.add_parser(
        "analyze", help="predict the genre of one audio file (the library is not touched)",
        epilog="example: genrescope analyze song.flac --json",
    )
    analyze.add_argument("file", metavar="FILE")
    _add_model_options(analyze)
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument("--dump-inputs", metavar="OUT.npy",
                         help="save the network's input batch, float32 [windows, 3, 224, 224], in time order")
    analyze.set_defaults(run=run_analyze)

    classify = commands.add_parser(
        "classify", help="analyse every library track the model has not analysed yet (resumable)",
        epilog="example: genrescope classify --limit 100 --json",
    )
    add_db_option(classify)
    _add_model_options(classify)
    classify.add_argument("--limit", type=int, metavar="N", help="analyse at most N tracks")
    classify.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    classify.set_defaults(run=run_classify)


def _load(args: argparse.Namespace):  # -> (GenreClassifier | None, error message | None)
    from desktop_app.inference.checkpoint import CheckpointError
    from desktop_app.inference.device import DeviceUnavailableError
    from desktop_app.inference.loading import NoModelError, open_classifier
    from desktop_app.inference.model_store import ModelStoreError

    try:
        return open_classifier(args.weights, args.device), None
    except (NoModelError, CheckpointError, ModelStoreError, DeviceUnavailableError, ValueError) as exc:
        return None, str(exc)


def run_analyze(args: argparse.Namespace) -> int:
    import numpy as np

    from desktop_app.audio.decode import AudioDecodeError
    from desktop_app.audio.prepare import prepare_track
    from desktop_app.inference.summary import summarize

    started = time.perf_counter()
    try:
        track = prepare_track(args.file)
    except AudioDecodeError as exc:
        if args.json:
            print_json({"file": args.file, "error": exc.reason})
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.dump_inputs:
        np.save(args.dump_inputs, np.ascontiguousarray(track.inputs, dtype=np.float32))

    report: dict[str, object] = {
        "file": args.file,
        "duration": round(track.duration_s, 3),
        "windows": len(track.inputs),
        "short_clip": track.short_clip,
        "silent": track.silent,
        "top5": None,
        "majority": None,
        "window_probs": None,
        "model_sha256": None,
        "model_origin": None,
        "device": None,
    }
    classifier, problem = _load(args)
    if classifier is None:
        report["model_error"] = problem
    else:
        song = summarize(classifier.predict(track.inputs), model=classifier.identity)
        report.update(
            top5=[{"genre": s.key, "display_name": s.display_name, "probability": round(s.probability, 6)}
                  for s in song.top5],
            majority=song.majority.key,
            window_probs=[[round(float(p), 6) for p in row] for row in song.window_probs],
            model_sha256=classifier.identity.sha256,
            model_origin=classifier.identity.origin,
            model_label=classifier.identity.label,
            device=str(classifier.device),
        )
    report["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print_json(report)
    else:
        _print_analysis(report, track)
    return 0


def _print_analysis(report: dict, track) -> None:
    notes = [n for flag, n in ((track.short_clip, "shorter than 11.4 s: one stretched window"),
                               (track.silent, "silent: the prediction means nothing")) if flag]
    print(f"{report['file']}: {report['duration']:.1f} s, {report['windows']} windows"
          + (f" ({'; '.join(notes)})" if notes else ""))
    if report["top5"] is None:
        print(f"No prediction: {report['model_error']}")
        return
    for score in report["top5"]:
        print(f"  {score['probability'] * 100:5.1f}%  {score['display_name']}")
    print(f"Majority vote of the windows: {report['majority']}")
    print(f"Model: {report['model_label']} on {report['device']}")


def run_classify(args: argparse.Namespace) -> int:
    from desktop_app.inference.classify_library import classify_tracks

    classifier, problem = _load(args)
    if classifier is None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if classifier.identity.origin == "test":
        print("warning: these are TEST weights; their predictions are not real", file=sys.stderr)
    with open_library_from(args) as library, progress_bar("analysing") as bar:
        summary = classify_tracks(library, classifier, limit=args.limit,
                                  progress=lambda p: bar.update(p.done, p.total))
    if args.json:
        print_json(summary.as_json())
    else:
        print(f"{summary.analysed} analysed, {summary.failed} failed in {summary.seconds:.1f} s "
              f"on {summary.device} ({classifier.identity.label})")
        for err in summary.error_files:
            print(f"  {err['path']}: {err['reason']}", file=sys.stderr)
    return 0
