"""`genrescope listen`: classify what an audio input hears, printing each window's result as it completes.

The capture is the window's (QtMultimedia on a thread of its own, `gui.listen.capture`), run
under a QCoreApplication without any window; the analysis is listening's
(`analysis.listening`). The song-level result at the end is printed as `analyze` prints a file's.
"""

from __future__ import annotations

import argparse
import sys
import threading

from desktop_app.cli.analysis_commands import ccmusic_entries, print_analysis, tagger_entries
from desktop_app.cli.common import print_json


def register(commands: argparse._SubParsersAction) -> None:
    listen = commands.add_parser(
        "listen",
        help="classify what an audio input hears (a microphone, or what is playing), live",
        epilog="examples:\n  genrescope listen --list-devices\n  genrescope listen --seconds 30\n"
        "  genrescope listen --device what-is-playing --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: at Ctrl+C)")
    listen.add_argument(
        "--device",
        metavar="NAME",
        help="the input (its name, or part of it, as --list-devices shows it; what-is-playing: the "
        "system's output); default: the system's default input",
    )
    listen.add_argument("--list-devices", action="store_true", help="list the audio inputs and stop")
    listen.add_argument("--model", choices=("all", "ccmusic", "tagger"), default="all", help="which networks listen")
    listen.add_argument("--weights", metavar="W", help="CCMusic checkpoint to use (default: the installed model)")
    listen.add_argument("--json", action="store_true", help="JSON lines: one per window, then the song's result")
    listen.set_defaults(run=run_listen)


def _list_devices(args: argparse.Namespace) -> int:
    from desktop_app.gui.listen.capture import WHAT_IS_PLAYING, audio_inputs
    from desktop_app.gui.listen.headless import application

    application()
    from desktop_app.gui.listen.sound_server import SoundServerError, offer_what_is_playing, withdraw

    inputs = audio_inputs()
    try:
        withdraw(offer_what_is_playing())
        playing = None
    except SoundServerError as exc:
        playing = str(exc)
    if args.json:
        for found in inputs:
            print_json({"name": found.name, "id": found.id, "default": found.default})
        print_json({"name": WHAT_IS_PLAYING, "offered": playing is None, "why_not": playing})
        return 0
    if not inputs:
        print("No audio inputs.")
    for found in inputs:
        print(f"{'*' if found.default else ' '} {found.name}  ({found.id})")
    print(f"  {WHAT_IS_PLAYING}  " + ("(the system's output)" if playing is None else f"(not offered: {playing})"))
    return 0


def run_listen(args: argparse.Namespace) -> int:
    from desktop_app.analysis.listening import BROAD, CCMUSIC, Estimate, ListenSession, LiveModels
    from desktop_app.gui.listen.capture import CaptureError, LiveCapture
    from desktop_app.gui.listen.headless import application, capture_until_stopped, open_input
    from desktop_app.gui.listen.sound_server import SoundServerError, withdraw

    if args.list_devices:
        return _list_devices(args)
    application()
    try:
        device, playing = open_input(args.device)
        capture = LiveCapture(device)
    except (CaptureError, SoundServerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    models = LiveModels.load(args.weights, None, ccmusic=args.model != "tagger", tagger=args.model != "ccmusic")
    for model, why in models.missing.items():
        print(f"note: no {'CCMusic genres' if model == CCMUSIC else 'broad genres'}: {why}", file=sys.stderr)
    if models.classifier is None and models.tagger is None:
        print("error: no genre model can run", file=sys.stderr)
        return 2
    printing = threading.Lock()

    def show(estimate: Estimate) -> None:
        with printing:
            if args.json:
                print_json(
                    {
                        "model": estimate.model,
                        "window": estimate.index,
                        "start": round(estimate.start_s, 3),
                        "end": round(estimate.end_s, 3),
                        "top5": [{"genre": s.key, "probability": round(s.probability, 6)} for s in estimate.top5],
                        "song_top5": [
                            {"genre": s.key, "probability": round(s.probability, 6)} for s in estimate.song_top5
                        ],
                    }
                )
            else:
                what = "CCMusic window" if estimate.model == CCMUSIC else "Broad-genre patch"
                best = ", ".join(f"{s.display_name} {s.probability * 100:.0f}%" for s in estimate.top5[:3])
                song = estimate.song_top5[0]
                print(
                    f"{estimate.start_s:6.1f}-{estimate.end_s:6.1f} s  {what} {estimate.index + 1}: {best}"
                    f"  | so far: {song.display_name} {song.probability * 100:.0f}%",
                    flush=True,
                )

    session = ListenSession(capture.ring, capture.rate, models, on_estimate=show, record=False)
    if not args.json:
        print(f"Listening to {device.description()} ({capture.rate} Hz); Ctrl+C stops.", file=sys.stderr)
    session.start()
    try:
        failure = capture_until_stopped(capture, args.seconds)
    finally:
        result = session.stop()
        if playing is not None:
            withdraw(playing)
    if failure is not None:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    if session.error is not None:
        print(f"error: listening failed: {session.error}", file=sys.stderr)
        return 1
    report: dict[str, object] = {
        "file": f"listened to {device.description()}",
        "duration": round(result.seconds, 3),
        "windows": result.ccmusic.n_windows if result.ccmusic is not None else 0,
        "patches": result.tagger.tags[next(iter(result.tagger.tags))].patches if result.tagger is not None else 0,
        "short_clip": False,
        "silent": False,
        "dropped_seconds": round(result.dropped_seconds, 3),
        "top5": None,
        "model_error": models.missing.get(CCMUSIC) or "no complete 11.4 s window yet",
    }
    if result.ccmusic is not None and models.classifier is not None:
        report.update(ccmusic_entries(result.ccmusic, models.classifier))
    if result.tagger is not None and models.tagger is not None:
        report.update(tagger_entries(result.tagger, models.tagger))
    else:
        report["tagger_error"] = models.missing.get(BROAD) or "no complete 3 s patch yet"
    if args.json:
        print_json(report)
    else:
        print_analysis(report)
    return 0
