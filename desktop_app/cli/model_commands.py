"""`genrescope model install | import | status`."""

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
    report["models"] = [
        {
            "name": m.name,
            "title": m.title,
            "available": m.available,
            "sha256": m.sha256,
            "origin": m.origin,
            "classes": len(m.taxonomy.labels),
            "problem": m.problem,
        }
        for m in statuses()
    ]
    try:
        report["device"] = str(select_device(args.device))
    except (DeviceUnavailableError, ValueError) as exc:
        report["device"] = None
        report["device_error"] = str(exc)
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
    return 0 if report["state"] != "broken" else 1
