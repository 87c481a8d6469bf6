"""The app icon: an SVG and its PNG renderings at every desktop size, loaded through resources.py."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from desktop_app.gui import resources
from tests.locations import REPO

ROOT = REPO


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), without any image library."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def pixels(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGBA8888)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4).astype(int)


def test_every_size_is_a_square_png_of_that_size() -> None:
    assert resources.ICON_SIZES == (16, 24, 32, 48, 64, 128, 256, 512)
    for size in resources.ICON_SIZES:
        assert png_size(resources.icon_png(size)) == (size, size)
    svg = resources.resource_path(resources.ICON_SVG).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and 'viewBox="0 0 256 256"' in svg


def test_pngs_are_rendered_from_the_current_svg(tmp_path: Path) -> None:
    """Editing the SVG without running packaging/render_icons.py fails here."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        from render_icons import render
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    for size in (16, 48, 256):
        fresh = tmp_path / f"{size}.png"
        render(resources.resource_path(resources.ICON_SVG), size, fresh)
        difference = np.abs(pixels(fresh) - pixels(resources.icon_png(size)))
        assert difference.mean() < 1.0 and difference.max() < 64, f"{size}px icon differs from the SVG"


def test_icon_is_not_blank_and_has_a_transparent_corner() -> None:
    image = pixels(resources.icon_png(64))
    assert image[0, 0, 3] == 0  # round icon: corners transparent
    assert image[32, 32, 3] == 255 and len({tuple(p) for p in image.reshape(-1, 4)}) > 100


def test_app_icon_offers_every_size(qapp) -> None:
    resources.app_icon.cache_clear()
    icon = resources.app_icon()
    assert sorted(s.width() for s in icon.availableSizes()) == list(resources.ICON_SIZES)
    assert icon.pixmap(QSize(32, 32)).width() == 32


def test_a_bundle_folder_is_searched_before_the_checkout(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(resources.RESOURCES_ENV, raising=False)
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / resources.ICON_SVG).write_text("<svg/>")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path(resources.ICON_SVG) == tmp_path / "resources" / resources.ICON_SVG


def test_the_window_and_application_carry_the_icon() -> None:
    """In a fresh process, as the app starts: application() sets the icon and the desktop id."""
    code = (
        "from desktop_app.gui.app import DESKTOP_ID, application\n"
        "app = application()\n"
        "assert app.desktopFileName() == DESKTOP_ID, app.desktopFileName()\n"
        "assert not app.windowIcon().isNull()\n"
        "assert app.windowIcon().availableSizes()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=ROOT)
