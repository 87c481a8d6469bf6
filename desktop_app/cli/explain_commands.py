"""`genrescope explain FILE`: where in the spectrogram a network found a genre or a tag, headless.

CCMusic (the default, ``--genre``): Grad-CAM per 11.4 s window; the picture shows each explained
window exactly as the network saw it (496 × 369 px, its own colour scale, before JPEG), windows
side by side in time order, with the heat laid over it. The built-in tagger (``--model
musicnn-msd|musicnn-mtt --tag``): the heat of `inference.explain_tagger` per 3 s patch; the
picture shows each patch's log-mel input (187 frames × 96 bands, low bands at the bottom) with
the heat over it, patches side by side. Both report the heat's peaks in seconds and Hz.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from desktop_app.cli.analysis_commands import _add_model_options
from desktop_app.cli.common import print_json

if TYPE_CHECKING:
    import numpy as np

    from desktop_app.audio.prepare import TaggerInputs, TrackInputs
    from desktop_app.genres.ccmusic import Genre
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.explain import Explanation, Peak
    from desktop_app.inference.explain_tagger import PatchExplanation
    from desktop_app.inference.tagger import Tagger

DEFAULT_OPACITY = 0.6
MODELS = ("ccmusic", "musicnn-msd", "musicnn-mtt")


def register(commands: argparse._SubParsersAction) -> None:
    explain = commands.add_parser(
        "explain",
        help="show where the network heard a genre (Grad-CAM heatmap over the spectrogram)",
        epilog="examples:\n  genrescope explain song.flac\n"
        "  genrescope explain song.flac --genre Opera --out heatmap.png --window 3 --json\n"
        "  genrescope explain song.flac --model musicnn-mtt --tag drums --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("file", metavar="FILE")
    explain.add_argument(
        "--model",
        choices=MODELS,
        default="ccmusic",
        help="the network to explain: the CCMusic genre network (default) or one of the built-in tagger's networks",
    )
    explain.add_argument(
        "--genre",
        metavar="G",
        help="CCMusic genre to explain, e.g. Opera or 'soft rock' (default: the predicted genre)",
    )
    explain.add_argument(
        "--tag", metavar="T", help="tagger tag to explain, e.g. drums or 'heavy metal' (default: the song's top tag)"
    )
    explain.add_argument("--out", metavar="heatmap.png", help="write the spectrogram with the heatmap (PNG)")
    explain.add_argument(
        "--window",
        type=int,
        metavar="N",
        help="explain only window N (1 = the first 11.4 s CCMusic window or 3 s tagger patch)",
    )
    explain.add_argument(
        "--opacity",
        type=float,
        default=DEFAULT_OPACITY,
        metavar="A",
        help=f"heatmap opacity from 0 to 1 (default {DEFAULT_OPACITY})",
    )
    _add_model_options(explain, choose_network=False, choose_precision=False)
    explain.add_argument(
        "--json", action="store_true", help="print one JSON object: per-window class scores and heatmap peaks"
    )
    explain.set_defaults(run=run_explain)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run_explain(args: argparse.Namespace) -> int:
    if not 0.0 <= args.opacity <= 1.0:
        return _fail(f"--opacity must be between 0 and 1, got {args.opacity}")
    if args.model != "ccmusic":
        return _run_tagger(args)  # its text report says where the heat is: it needs neither option
    if not args.out and not args.json:
        return _fail("nothing to produce: give --out heatmap.png, --json, or both")
    if args.tag:
        return _fail("--tag is for the tagger's networks (--model musicnn-msd or musicnn-mtt); CCMusic takes --genre")
    from desktop_app.genres.ccmusic import GENRES
    from desktop_app.genres.taxonomy import CCMUSIC, UnknownLabelError

    try:
        requested = GENRES[CCMUSIC.find(args.genre).index] if args.genre else None
    except UnknownLabelError as exc:
        return _fail(str(exc))
    started = time.perf_counter()
    from desktop_app.analysis.model_loading import open_ccmusic

    classifier, problem = open_ccmusic(args.weights, args.device)  # explanations: always exact
    if classifier is None:
        return _fail(f"{problem}\nAn explanation needs the genre model: nothing was computed.")
    if classifier.identity.origin == "test":
        print("warning: these are TEST weights; their explanations are not meaningful", file=sys.stderr)

    from desktop_app.audio.decode import AudioDecodeError
    from desktop_app.audio.prepare import prepare_track
    from desktop_app.inference import explain

    try:
        track = prepare_track(args.file)
    except AudioDecodeError as exc:
        return _fail(str(exc), code=1)
    bins, frames = track.cqt_db.shape
    geometries = explain.window_geometries(bins, frames, track.sample_count)
    if args.window is not None and not 1 <= args.window <= len(geometries):
        return _fail(f"--window must be between 1 and {len(geometries)} for this file, got {args.window}")
    windows = [args.window - 1] if args.window is not None else list(range(len(geometries)))
    evidence = explain.gather_evidence(classifier, windows, track.inputs[windows], [geometries[w] for w in windows])
    genre = requested or explain.predicted_genre(evidence)
    explanations = explain.explain(classifier, evidence, genre)

    image_size = _write_image(args.out, track.cqt_db, explanations, args.opacity) if args.out else None
    report = _report(args, track, classifier, genre, requested is None, explanations, image_size)
    report["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print_json(report)
    else:
        _print_report(report)
    return 0


def _write_image(path: str, cqt_db: np.ndarray, explanations: list[Explanation], opacity: float) -> tuple[int, int]:
    import numpy as np
    from PIL import Image

    from desktop_app.inference.explain import overlay_image

    parts = [
        overlay_image(cqt_db[:, e.geometry.first_frame : e.geometry.first_frame + e.geometry.frames], e, opacity)
        for e in explanations
    ]
    picture = np.concatenate(parts, axis=1)
    Image.fromarray(picture).save(path, format="PNG")
    return picture.shape[1], picture.shape[0]


def _report(
    args: argparse.Namespace,
    track: TrackInputs,
    classifier: GenreClassifier,
    genre: Genre,
    predicted: bool,
    explanations: list[Explanation],
    image_size: tuple[int, int] | None,
) -> dict[str, object]:
    from desktop_app.genres.ccmusic import GENRE_KEYS

    windows = []
    for e in explanations:
        probabilities = e.evidence.probabilities
        start, end = track.window_bounds[e.window]
        windows.append(
            {
                "window": e.window + 1,
                "start": round(start, 3),
                "end": round(end, 3),
                "top1": GENRE_KEYS[int(probabilities.argmax())],
                "genre_score": round(float(probabilities[genre.index]), 6),
                "scores": {key: round(float(p), 6) for key, p in zip(GENRE_KEYS, probabilities)},
                "peaks": _peaks(e.peaks()),
            }
        )
    return {
        "file": args.file,
        "duration": round(track.duration_s, 3),
        "genre": genre.key,
        "genre_display_name": genre.display_name,
        "genre_source": "predicted" if predicted else "requested",
        "windows": windows,
        "image": {"path": args.out, "width": image_size[0], "height": image_size[1]} if image_size else None,
        "short_clip": track.short_clip,
        "silent": track.silent,
        "model_sha256": classifier.identity.sha256,
        "model_origin": classifier.identity.origin,
        "model_label": classifier.identity.label,
        "device": str(classifier.device),
    }


def _peaks(peaks: list[Peak]) -> list[dict[str, object]]:
    return [
        {"time": round(p.seconds, 3), "note": p.note, "hz": round(p.hz, 2), "heat": round(p.heat, 4)} for p in peaks
    ]


def _peak_text(peaks: list[dict]) -> str:
    return ", ".join(f"{p['time']:.1f} s at {p['note']} ({p['hz']:.1f} Hz)" for p in peaks)


def _print_report(report: dict) -> None:
    source = "predicted" if report["genre_source"] == "predicted" else "requested"
    notes = [
        note
        for flag, note in (
            (report["short_clip"], "shorter than 11.4 s: one stretched window"),
            (report["silent"], "silent: the explanation means nothing"),
        )
        if flag
    ]
    print(
        f"{report['file']}: Grad-CAM for {report['genre_display_name']} ({source}), "
        f"{len(report['windows'])} window(s)" + (f" ({'; '.join(notes)})" if notes else "")
    )
    for window in report["windows"]:
        peaks = _peak_text(window["peaks"])
        print(
            f"  window {window['window']} ({window['start']:.1f}-{window['end']:.1f} s): "
            f"{window['genre_score'] * 100:.1f}% {report['genre_display_name']}; "
            + (f"heat peaks: {peaks}" if peaks else "nothing in this window speaks for it")
        )
    _print_footer(report)


def _print_footer(report: dict) -> None:
    if report["image"]:
        image = report["image"]
        print(f"wrote {image['path']} ({image['width']} x {image['height']} px)")
    print(f"Model: {report['model_label']} on {report['device']}")


def _run_tagger(args: argparse.Namespace) -> int:
    if args.genre or args.weights:
        option = "--genre" if args.genre else "--weights"
        return _fail(f"{option} is for CCMusic (--model ccmusic); the tagger's networks are built in and take --tag")
    from desktop_app.genres.taxonomy import UnknownLabelError, taxonomy

    try:
        requested = taxonomy(args.model).find(args.tag).index if args.tag else None
    except UnknownLabelError as exc:
        return _fail(str(exc))
    started = time.perf_counter()
    from desktop_app.analysis.model_loading import open_builtin_tagger

    tagger, problem = open_builtin_tagger(args.device)  # explanations: always exact
    if tagger is None:
        return _fail(f"{problem}\nNothing was computed.", code=1)

    from desktop_app.audio.decode import AudioDecodeError
    from desktop_app.audio.prepare import prepare_for_tagger
    from desktop_app.inference.explain_tagger import explain_tag
    from desktop_app.inference.tagger import split

    try:
        track = prepare_for_tagger(args.file)
    except AudioDecodeError as exc:
        return _fail(str(exc), code=1)
    count = len(track.inputs)
    if args.window is not None and not 1 <= args.window <= count:
        return _fail(f"--window must be between 1 and {count} for this file, got {args.window}")
    patches = [args.window - 1] if args.window is not None else list(range(count))
    if requested is None:
        song = split(tagger.predict(track.inputs[patches])).probabilities[args.model].mean(axis=0)
        tag = int(song.argmax())
    else:
        tag = requested
    explanations = explain_tag(tagger.networks[args.model], args.model, track.inputs[patches], patches, tag)

    image_size = _write_tagger_image(args.out, track, explanations, args.opacity) if args.out else None
    report = _tagger_report(args, track, tagger, requested is None, explanations, image_size)
    report["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print_json(report)
    else:
        _print_tagger_report(report)
    return 0


def _write_tagger_image(
    path: str, track: TaggerInputs, explanations: list[PatchExplanation], opacity: float
) -> tuple[int, int]:
    import numpy as np
    from PIL import Image

    from desktop_app.inference.explain_tagger import overlay_image

    picture = np.concatenate([overlay_image(track.inputs[e.patch], e, opacity) for e in explanations], axis=1)
    Image.fromarray(picture).save(path, format="PNG")
    return picture.shape[1], picture.shape[0]


def _tagger_report(
    args: argparse.Namespace,
    track: TaggerInputs,
    tagger: Tagger,
    predicted: bool,
    explanations: list[PatchExplanation],
    image_size: tuple[int, int] | None,
) -> dict[str, object]:
    identity = tagger.identities[args.model]
    first = explanations[0]
    return {
        "file": args.file,
        "duration": round(track.duration_s, 3),
        "model": args.model,
        "tag": first.tag_name,
        "tag_source": "predicted" if predicted else "requested",
        "method": "Grad-CAM over time x gradient-times-input over mel bands",
        "patches": [
            {
                "patch": e.patch + 1,
                "start": round(e.bounds[0], 3),
                "end": round(e.bounds[1], 3),
                "tag_score": round(e.probability, 6),
                "peaks": _peaks(e.peaks()),
            }
            for e in explanations
        ],
        "image": {"path": args.out, "width": image_size[0], "height": image_size[1]} if image_size else None,
        "short_clip": track.short_clip,
        "silent": track.silent,
        "model_sha256": identity.sha256,
        "model_origin": identity.origin,
        "model_label": identity.label,
        "device": str(tagger.device),
    }


def _print_tagger_report(report: dict) -> None:
    notes = [
        note
        for flag, note in (
            (report["short_clip"], "shorter than 3 s: one repeated patch"),
            (report["silent"], "silent: the explanation means nothing"),
        )
        if flag
    ]
    print(
        f"{report['file']}: heat of {report['tag']!r} ({report['tag_source']}) for {report['model']}, "
        f"{len(report['patches'])} patch(es) of 3 s" + (f" ({'; '.join(notes)})" if notes else "")
    )
    for patch in report["patches"]:
        peaks = _peak_text(patch["peaks"])
        print(
            f"  patch {patch['patch']} ({patch['start']:.1f}-{patch['end']:.1f} s): "
            f"{patch['tag_score'] * 100:.1f}% {report['tag']}; "
            + (f"heat peaks: {peaks}" if peaks else "nothing in this patch speaks for it")
        )
    _print_footer(report)
