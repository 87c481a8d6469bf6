"""What the PyInstaller bundle is made of, checked without building it.

Building the bundle takes minutes and gigabytes, so CI does not build it: packaging/smoke_test.sh
(after packaging/build_bundle.sh) runs the built bundle. These tests guard the inputs that a
build would only reveal at run time: a migration or an icon missing from the data files, or a
frozen-app path that resources.py or migrate.py would not look in.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from desktop_app.gui import resources
from desktop_app.library import migrate
from tests.locations import REPO

ROOT = REPO
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING / "pyinstaller"))
from bundle_files import data_files  # noqa: E402

sys.path.remove(str(PACKAGING / "pyinstaller"))


@pytest.fixture
def frozen_root(tmp_path: Path) -> Path:
    """The bundle's ``_internal`` folder as PyInstaller lays the data files out."""
    for source, dest in data_files(ROOT):
        (tmp_path / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, tmp_path / dest / Path(source).name)
    return tmp_path


def source_files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_every_migration_file_is_bundled_where_migrate_py_reads_it(frozen_root: Path) -> None:
    frozen_migrations = frozen_root / migrate.MIGRATIONS_DIR.relative_to(ROOT)
    assert source_files(frozen_migrations) == source_files(migrate.MIGRATIONS_DIR)
    assert {"env.py", "script.py.mako"} <= {p.name for p in source_files(frozen_migrations)}
    assert len(list((frozen_migrations / "versions").glob("*.py"))) >= 3


def test_the_built_in_taggers_weights_are_bundled_with_their_licence(frozen_root: Path) -> None:
    from desktop_app.inference.musicnn.weights import SHIPPED_TAGGERS, WEIGHTS_DIR, sha256_of_file

    frozen = frozen_root / WEIGHTS_DIR.relative_to(ROOT)
    for spec in SHIPPED_TAGGERS.values():
        assert sha256_of_file(frozen / spec.filename) == spec.sha256
    assert {"LICENSE-musicnn.txt", "ORIGIN.md"} <= {p.name for p in frozen.iterdir()}
    assert not list(frozen.glob("*_vgg.pt")), "the VGG baselines are not run by the app"


def test_every_resource_is_bundled_and_found_through_meipass(frozen_root: Path, monkeypatch) -> None:
    assert source_files(frozen_root / "resources") == source_files(ROOT / "resources")
    monkeypatch.delenv(resources.RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen_root), raising=False)
    assert resources.resource_path(resources.PALETTE_FILE).is_relative_to(frozen_root)
    assert resources.icon_png(512).is_relative_to(frozen_root)


def test_entry_point_hands_worker_processes_over_before_running_the_cli() -> None:
    """Without freeze_support first, each forkserver tag-reading worker would start the app again."""
    tree = ast.parse((PACKAGING / "pyinstaller" / "genrescope_main.py").read_text())
    main_block = next(node for node in tree.body if isinstance(node, ast.If))
    first = main_block.body[0]
    assert ast.unparse(first) == "multiprocessing.freeze_support()"


def test_pyinstaller_is_an_optional_extra_not_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if "pyinstaller" in d.lower()]
    assert any(d.startswith("pyinstaller") for d in project["optional-dependencies"]["packaging"])


def test_scripts_parse_and_bundle_outputs_are_ignored_by_git() -> None:
    for script in ("build_bundle.sh", "smoke_test.sh", "linux/install.sh", "bootstrap.sh"):
        subprocess.run(["bash", "-n", str(PACKAGING / script)], check=True)
        assert os.access(PACKAGING / script, os.X_OK), script
    ignored = subprocess.run(["git", "check-ignore", "dist/genrescope/genrescope", "build/bundle-venv/x"],
                             cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == ["dist/genrescope/genrescope", "build/bundle-venv/x"]
