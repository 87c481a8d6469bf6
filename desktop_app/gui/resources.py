"""The files the GUI ships with (genre palette, app icon), found in one place.

Every resource is looked up through `resource_path`, never by a path relative to the current
directory, so the app finds them whatever folder it is started from. The ``resources`` folder is
searched in this order:

1. ``$GENRESCOPE_RESOURCES`` — an explicit folder (packagers, tests);
2. ``<bundle>/_internal/resources`` — a PyInstaller bundle (``sys._MEIPASS``), where
   packaging/pyinstaller/genrescope.spec puts them;
3. ``<repository root>/resources`` — a source checkout or an editable install (``pip install -e``),
   found relative to this file (``desktop_app/gui/resources.py`` → ``../../../resources``);
4. ``<sys.prefix>/share/genrescope/resources``, then the same under ``site.getuserbase()`` (a
   ``pip install --user``) — a regular (wheel) install, for which pyproject.toml lists the files
   under ``[tool.setuptools.data-files]``."""

from __future__ import annotations

import json
import os
import re
import site
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon

from desktop_app.genres.broad import BROAD_KEYS
from desktop_app.genres.ccmusic import GENRE_KEYS

RESOURCES_ENV = "GENRESCOPE_RESOURCES"
PALETTE_FILE = "genre_palette.json"
ICON_SVG = "genrescope.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
"""The PNG sizes rendered from the SVG (packaging/render_icons.py) and installed for the desktop."""

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class ResourceError(RuntimeError):
    """A resource file is missing or malformed: the installation is broken, the message says how."""


def resource_dirs() -> list[Path]:
    """The candidate ``resources`` folders, in lookup order."""
    candidates = []
    override = os.environ.get(RESOURCES_ENV)
    if override:
        candidates.append(Path(override).expanduser())
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for prefix in (sys.prefix, site.getuserbase()):
        candidates.append(Path(prefix) / "share" / "genrescope" / "resources")
    return candidates


def resource_path(name: str) -> Path:
    """The first existing ``<resources>/<name>``; `ResourceError` lists where it looked."""
    dirs = resource_dirs()
    for folder in dirs:
        path = folder / name
        if path.is_file():
            return path
    looked = ", ".join(str(d) for d in dirs)
    raise ResourceError(f"resource {name!r} not found; looked in: {looked}")


@dataclass(frozen=True)
class GenrePalette:
    """One colour per genre key, plus the colours of the two non-genre states."""

    genres: Mapping[str, str]
    not_analysed: str
    low_confidence: str

    def hex(self, key: str | None) -> str:
        """The genre's colour; an unknown or missing key gets the "not analysed" colour."""
        return self.genres.get(key or "", self.not_analysed)

    def qcolor(self, key: str | None, alpha: int = 255) -> QColor:
        colour = QColor(self.hex(key))
        colour.setAlpha(alpha)
        return colour


@lru_cache(maxsize=1)
def genre_palette() -> GenrePalette:
    """The palette from ``genre_palette.json``, checked to name every genre with a #RRGGBB colour.

    CCMusic genres and broad genres share one mapping: their keys are distinct."""
    path = resource_path(PALETTE_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        genres = {key: data["genres"][key] for key in GENRE_KEYS}
        genres.update({key: data["broad_genres"][key] for key in BROAD_KEYS})
        palette = GenrePalette(genres, data["not_analysed"], data["low_confidence"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResourceError(f"{path}: not a valid genre palette ({exc!r})") from exc
    colours = [*palette.genres.values(), palette.not_analysed, palette.low_confidence]
    bad = [c for c in colours if not isinstance(c, str) or not _HEX_COLOUR.fullmatch(c)]
    if bad:
        raise ResourceError(f"{path}: colours must be #RRGGBB, got {bad}")
    return palette


def icon_png_name(size: int) -> str:
    """``icons/genrescope-<size>.png`` under the resources folder."""
    return f"genrescope-{size}.png"


def icon_png(size: int) -> Path:
    return resource_path(f"icons/{icon_png_name(size)}")


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    """The window and application icon, from the PNGs (no SVG icon-engine plugin needed)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_png(size)), QSize(size, size))
    return icon
