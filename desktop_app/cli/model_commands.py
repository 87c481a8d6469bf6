"""`genrescope model install | import | status | precision`."""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.common import print_json, progress_bar


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser(
        "model",
        help="install, import or inspect the genre model",
        epilog="examples:\n  genrescope model install\n  genrescope model import ~/Downloads/save.pt\n"
        "  genrescope model status --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    install = actions.add_parser(
        "install",
        help="download the published checkpoint from the model hub (about 488 MB), verify and install it",
        epilog="examples:\n  genrescope model install                 resumes an interrupted download\n"
        "  genrescope model install --hub-url https://mirror.example.org\n"
        "  genrescope model install --revision main --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    install.add_argument("--hub-url", help="base URL of the hub or a mirror (default: $GENRESCOPE_HUB_URL or the hub)")
    install.add_argument(
        "--revision",
        help="branch, tag or commit id of the hub repository to download "
        "(default: $GENRESCOPE_HUB_REVISION or the revision this release pins)",
    )
    install.add_argument("--sha256", help="expected SHA-256 of the file, if you know it")
    install.add_argument(
        "--json",
        action="store_true",
        help="print the installed model, its revision and how its checksum was checked as JSON",
    )
    install.set_defaults(run=run_install)

    imported = actions.add_parser(
        "import",
        help="validate a checkpoint file you downloaded and install a copy of it",
        epilog="example: genrescope model import ~/Downloads/save.pt",
    )
    imported.add_argument("file", metavar="FILE")
    imported.set_defaults(run=run_import)

    status = actions.add_parser(
        "status",
        help="what is installed and which device will run it",
        epilog="example: genrescope model status --json",
    )
    status.add_argument("--json", action="store_true")
    status.add_argument("--device", help="device preference to report on (auto, cpu, cuda, mps)")
    status.set_defaults(run=run_status)

    precision = actions.add_parser(
        "precision",
        help="whether analyses run reduced precision (checked against exact on your music), or reset that",
        epilog="examples:\n  genrescope model precision\n  genrescope model precision --reset\n"
        "  genrescope model precision --reset --model tagger\n\n"
        "With --precision auto (the default of analyze and classify), a model's first analyses on a device\n"
        "run exact fp32 and also the device's reduced precision (int8 for CCMusic on CPUs with VNNI,\n"
        "calibrated on the first 32 windows; bf16 on CPUs with native bf16; fp16 on CUDA) on a sample\n"
        "of your music: 200 windows over at least 10 tracks. If every sampled song's top-1 agrees,\n"
        "99 %% of windows' top-1 agree and no probability moves by 0.05 or more, later analyses run the\n"
        "reduced precision; otherwise the next one (bf16 after int8) is checked, or they stay exact.\n"
        "--reset forgets the verdicts (and int8's calibration) so the check runs again; --precision\n"
        "exact on analyze and classify (or Settings → Precision: Always exact) keeps fp32 whatever a\n"
        "verdict says.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    precision.add_argument("--reset", action="store_true", help="forget the verdicts: the next analyses check again")
    precision.add_argument(
        "--model", choices=("ccmusic", "tagger"), help="only this model (tagger: the built-in tagger's two networks)"
    )
    precision.add_argument("--device", help="device preference to report on (auto, cpu, cuda, mps)")
    precision.add_argument("--json", action="store_true")
    precision.set_defaults(run=run_precision)


def _report_installed(model) -> None:  # InstalledModel
    print(f"Installed {model.path} (sha256 {model.sha256}, {model.size:,} bytes, {model.origin}).")


def run_install(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from desktop_app.inference.checkpoint import CheckpointError
    from desktop_app.inference.hub import HubError, download_model

    with progress_bar("downloading model", unit="B") as bar:
        try:
            result = download_model(
                base_url=args.hub_url,
                revision=args.revision,
                expected_sha256=args.sha256,
                progress=lambda done, total: bar.update(done, total or 0),
            )
        except (HubError, CheckpointError) as exc:
            bar.close()
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print_json(
            {
                **asdict(result.model),
                "path": str(result.model.path),
                "revision": result.revision,
                "checksum": result.checksum,
                "server_etag": result.server_etag,
                "message": result.checksum_message(),
            }
        )
        return 0
    _report_installed(result.model)
    print(f"Revision {result.revision}. {result.checksum_message()}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from desktop_app.inference.checkpoint import CheckpointError
    from desktop_app.inference.model_store import import_model

    try:
        model = import_model(args.file)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _report_installed(model)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from desktop_app.inference.device import DeviceUnavailableError, select_device
    from desktop_app.inference.model_store import status
    from desktop_app.inference.registry import statuses

    report = status()
    try:
        device = select_device(args.device)
        report["device"] = str(device)
    except (DeviceUnavailableError, ValueError) as exc:
        device = None
        report["device"] = None
        report["device_error"] = str(exc)
    found = statuses()
    plans = _plans(device, found, _choice_or_auto())
    report["models"] = [
        {
            "name": m.name,
            "title": m.title,
            "available": m.available,
            "sha256": m.sha256,
            "origin": m.origin,
            "classes": len(m.taxonomy.labels),
            "problem": m.problem,
            "precision": plans[checked].as_json() if (checked := _checked_as(m.name)) in plans else None,
        }
        for m in found
    ]
    if args.json:
        print_json(report)
    else:
        print(report["message"])
        print(f"Models folder: {report['models_dir']}")
        for model in report["models"]:
            state = "available" if model["available"] else model["problem"]
            sha = f", sha256 {model['sha256'][:12]}" if model["sha256"] else ""
            print(f"  {model['name']:<12} {model['title']}: {state}{sha}")
        print(f"Device: {report['device'] or report['device_error']}")
        for name, plan in plans.items():
            print(f"Precision, {_MODEL_WORDS[name]}: {plan.as_json()['message']}")
    return 0 if report["state"] != "broken" else 1


_MODEL_WORDS = {"ccmusic": "CCMusic", "tagger": "built-in tagger"}


def _checked_as(model: str) -> str | None:
    """Which precision check covers ``model``: the tagger's networks and the broad genres from
    them are one check (they run as one); learned genres run no network of their own."""
    if model == "ccmusic":
        return "ccmusic"
    return "tagger" if model in ("musicnn-msd", "musicnn-mtt", "broad-genre") else None


def _choice_or_auto() -> str:
    from desktop_app.analysis.precision_switch import resolve_choice
    from desktop_app.config.window_settings import precision_setting

    try:
        return resolve_choice(None, precision_setting())
    except ValueError:
        return "auto"


def _plans(device, found, choice) -> dict:  # -> {"ccmusic" | "tagger": PrecisionPlan}
    """The precision plan of each available network on ``device`` (none without a device)."""
    from desktop_app.analysis.precision_switch import CCMUSIC, TAGGER, plan_for
    from desktop_app.inference.identity import combined_sha256
    from desktop_app.inference.registry import TAGGER_NAMES

    if device is None:
        return {}
    available = {m.name: m for m in found if m.available}
    plans = {}
    if CCMUSIC in available:
        plans[CCMUSIC] = plan_for(CCMUSIC, available[CCMUSIC].sha256, device, choice)
    if all(name in available for name in TAGGER_NAMES):
        sha = combined_sha256({name: str(available[name].sha256) for name in TAGGER_NAMES})
        plans[TAGGER] = plan_for(TAGGER, sha, device, choice)
    return plans


def run_precision(args: argparse.Namespace) -> int:
    from desktop_app.analysis.precision_switch import reset
    from desktop_app.inference.device import DeviceUnavailableError, select_device
    from desktop_app.inference.registry import statuses

    removed = reset(args.model) if args.reset else []
    try:
        device = select_device(args.device)
    except (DeviceUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plans = _plans(device, statuses(), _choice_or_auto())
    if args.model:
        plans = {name: plan for name, plan in plans.items() if name == args.model}
    if args.json:
        print_json(
            {
                "device": str(device),
                "reset": [str(path) for path in removed],
                "models": {name: plan.as_json() for name, plan in plans.items()},
            }
        )
        return 0
    if args.reset:
        verdicts = sum(path.suffix == ".json" for path in removed)
        what = "verdict" if verdicts == 1 else "verdicts"
        calibrations = len(removed) - verdicts
        also = f" and {calibrations} int8 calibration{'s' * (calibrations != 1)}" if calibrations else ""
        print(f"Forgot {verdicts} precision {what}{also}: the next analyses check again.")
    for name, plan in plans.items():
        print(f"{_MODEL_WORDS[name]}: {plan.as_json()['message']}")
    return 0
