"""The throwaway venv that runs the original musicnn, for convert.py and reference.py.

The original is TensorFlow 1 code that only runs on old stacks (``tf.compat.v1`` graphs,
numpy 1.x promotion rules in its log-mel), so it never enters the project's environment: these
scripts build a separate venv with exactly the versions below, run the original there in a
child process, and talk to it through files. An existing venv (``--venv DIR``) is reused when it
already holds these versions, so a second run needs no network.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

PINS = ("tensorflow-cpu==2.15.1", "numpy==1.26.4", "librosa==0.11.0")
MUSICNN = "musicnn==0.1.0"
"""Installed with --no-deps: its metadata pins tensorflow 1.x, which no longer installs."""

_CHECK = """
import importlib.metadata as m
want = {"tensorflow-cpu": "2.15.1", "numpy": "1.26.4", "librosa": "0.11.0", "musicnn": "0.1.0"}
for name, version in want.items():
    try:
        found = m.version(name)
    except m.PackageNotFoundError:
        raise SystemExit(f"{name} missing")
    if found != version:
        raise SystemExit(f"{name} {found}, want {version}")
"""


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path | None, python: str = sys.executable) -> Path:
    """A venv holding the pinned original; created (under a temp dir by default) if needed."""
    if venv is None:
        venv = Path(tempfile.mkdtemp(prefix="musicnn-original-")) / "venv"
    if venv_python(venv).exists() and _has_pins(venv):
        print(f"Using the original musicnn in {venv}", flush=True)
        return venv
    print(f"Creating {venv} with {', '.join(PINS)} and {MUSICNN} (a few minutes)...", flush=True)
    if not venv_python(venv).exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, *PINS], check=True)
    subprocess.run([*pip, "--no-deps", MUSICNN], check=True)
    if not _has_pins(venv):
        raise SystemExit(f"{venv} still lacks the pinned versions after installing them")
    return venv


def _has_pins(venv: Path) -> bool:
    result = subprocess.run([str(venv_python(venv)), "-c", _CHECK], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"{venv}: {result.stderr.strip() or result.stdout.strip()}", flush=True)
    return result.returncode == 0
