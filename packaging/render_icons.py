"""Render resources/genrescope.svg to the PNG sizes the desktop and the window use.

    .venv/bin/python packaging/render_icons.py

Run it after editing the SVG and commit the PNGs: the app, the bundle and the desktop install
read the PNGs, so neither a Qt SVG plugin nor rsvg is needed at run time. Uses Qt's own SVG
renderer (offscreen, no display needed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from desktop_app.gui.resources import ICON_SIZES, ICON_SVG, icon_png_name  # noqa: E402


def render(svg: Path, size: int, out: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    resources = ROOT / "resources"
    (resources / "icons").mkdir(exist_ok=True)
    for size in ICON_SIZES:
        out = resources / "icons" / icon_png_name(size)
        render(resources / ICON_SVG, size, out)
        print(f"{out.relative_to(ROOT)}  {out.stat().st_size:,} bytes")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
