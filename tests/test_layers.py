"""Imports run one way: a test that reads every module's imports (also those inside functions).

The house, bottom up: ``genres``, ``config``, ``temp_files`` and ``audio`` know nothing of the rest;
``library`` (database, scans, playlists) and ``inference`` (networks, weights, registry) stand
beside each other and never import one another; ``analysis`` joins audio, inference and the
library; ``gui`` and ``cli`` drive everything; only ``gui`` imports Qt (``cli`` opens the window
through it). A new import that runs the wrong way fails here with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "desktop_app"
QT = "Qt"
GROUND = {"errors", "wording"}
"""Dependency-free modules every layer may use: the error roots and counted words."""
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "wording": set(),
    "genres": {*GROUND},
    "config": {*GROUND},
    "temp_files": {*GROUND},
    "audio": {*GROUND},
    "library": {*GROUND, "genres", "temp_files"},
    "inference": {*GROUND, "audio", "config", "genres", "temp_files"},
    "analysis": {*GROUND, "audio", "genres", "inference", "library"},
    "gui": {*GROUND, QT, "analysis", "audio", "config", "genres", "inference", "library"},
    "cli": {*GROUND, "analysis", "audio", "config", "genres", "gui", "inference", "library"},
    "__main__": {"cli"},
    "__init__": set(),
}


def layer_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else path.stem


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, what) for every desktop_app layer or Qt module ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.startswith("desktop_app."):
                found.append((node.lineno, name.split(".")[1]))
            elif name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"):
                found.append((node.lineno, QT))
    return found


def test_every_import_runs_down_the_layers() -> None:
    wrong = []
    modules = sorted(ROOT.rglob("*.py"))
    assert len(modules) > 80
    for path in modules:
        layer = layer_of(path)
        assert layer in ALLOWED, f"{path}: a new top-level module or package needs its place in ALLOWED"
        for line, target in imports(path):
            if target != layer and target not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line}: {layer} imports {target}")
    assert wrong == []


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from desktop_app.inference import registry\n    import PySide6.QtCore\n")
    assert imports(module) == [(2, "inference"), (3, QT)]
