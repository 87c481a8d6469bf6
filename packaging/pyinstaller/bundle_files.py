"""The data files the bundle needs, as PyInstaller (file, destination folder) pairs.

Kept out of the spec so tests/packaging/test_bundle.py can check, without PyInstaller, that
every migration and resource lands where the frozen app looks for it.
"""

from __future__ import annotations

from pathlib import Path

RESOURCE_PATTERNS = ("*.json", "*.svg", "icons/*.png")
MIGRATION_PATTERNS = ("*.py", "*.mako", "versions/*.py")
MIGRATIONS = Path("desktop_app") / "library" / "migrations"
TAGGER_WEIGHTS = Path("desktop_app") / "inference" / "musicnn" / "weights"
TAGGER_PATTERNS = ("*_musicnn.pt", "*.txt", "*.md")
"""The built-in tagger's shipped weights with their licence and origin (not the VGG baselines,
which the app never runs)."""


def tree(folder: Path, dest: Path, patterns: tuple[str, ...]) -> list[tuple[str, str]]:
    """(file, destination folder) pairs for the files matching ``patterns`` under ``folder``."""
    pairs = []
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                pairs.append((str(path), str(dest / path.parent.relative_to(folder))))
    return pairs


def data_files(root: Path) -> list[tuple[str, str]]:
    """Resources go to ``resources/`` (resources.py looks in ``sys._MEIPASS/resources``); the
    migrations keep their package path, because Alembic reads env.py, script.py.mako and
    versions/*.py as files next to desktop_app/library/migrate.py; so do the tagger's weights,
    which weights.py finds next to itself."""
    return [
        *tree(root / "resources", Path("resources"), RESOURCE_PATTERNS),
        *tree(root / MIGRATIONS, MIGRATIONS, MIGRATION_PATTERNS),
        *tree(root / TAGGER_WEIGHTS, TAGGER_WEIGHTS, TAGGER_PATTERNS),
    ]
