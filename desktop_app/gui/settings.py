"""The user's settings, persisted with QSettings in an INI file next to the library.

Kept in the data folder (``GENRESCOPE_DATA_DIR`` moves it) rather than the platform's settings
store, so a test, a second profile or a portable setup never touches the user's real settings.
Typed properties keep key names and defaults in one place.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from desktop_app.config import settings_path
from desktop_app.config.window_settings import LOCATION_KEY, PRECISION_KEY
from desktop_app.genres.broad import BROAD_MODEL
from desktop_app.genres.taxonomy import GENRE_TAXONOMIES, TAXONOMIES

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
DEVICE_LABELS: dict[str, str] = {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA (NVIDIA)", "mps": "MPS (Apple)"}
PRECISION_CHOICES: tuple[str, ...] = ("auto", "exact", "fast")
PRECISION_LABELS: dict[str, str] = {
    "auto": "Automatic (checked on your music)",
    "exact": "Always exact",
    "fast": "Always fast",
}
DEFAULT_TAXONOMY = BROAD_MODEL
"""Broad genres by default: the built-in tagger's, which every library has without a download."""
GENRE_TAXONOMY_NAMES: tuple[str, ...] = tuple(t.model for t in GENRE_TAXONOMIES)


def _as_bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class AppSettings:
    """Library folders, inference device, low-confidence threshold, and window layout."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store = QSettings(str(self.path), QSettings.Format.IniFormat)
        if not self.path.exists():  # it may come to hold a database password: the person's eyes only
            self.path.touch(mode=0o600)

    @property
    def library_folders(self) -> list[str]:
        value = self._store.value("library/folders", [])
        if isinstance(value, str):  # QSettings returns a lone entry as a plain string
            return [value] if value else []
        return [str(v) for v in value or []] if isinstance(value, (list, tuple)) else []

    @library_folders.setter
    def library_folders(self, folders: list[str]) -> None:
        self._store.setValue("library/folders", list(dict.fromkeys(folders)))

    def add_library_folder(self, folder: str) -> None:
        self.library_folders = [*self.library_folders, folder]

    @property
    def library_location(self) -> str | None:
        """The library the window opens (a SQLite path or a PostgreSQL URL), None for the default.

        Kept as the person gave it, so a password typed in a URL is stored here in plain text (in
        a file only they can read, like libpq's ~/.pgpass); Settings recommends ~/.pgpass instead.
        The command line reads it too, without Qt (`desktop_app.config.window_settings`).
        """
        value = self._store.value(LOCATION_KEY)
        return str(value) if value else None

    @library_location.setter
    def library_location(self, value: str | None) -> None:
        if value:
            self._store.setValue(LOCATION_KEY, value)
        else:
            self._store.remove(LOCATION_KEY)

    @property
    def rescan_on_start(self) -> bool:
        return _as_bool(self._store.value("library/rescan_on_start"), True)

    @rescan_on_start.setter
    def rescan_on_start(self, value: bool) -> None:
        self._store.setValue("library/rescan_on_start", bool(value))

    @property
    def device(self) -> str:
        value = str(self._store.value("inference/device", "auto")).lower()
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        if value not in DEVICES:
            raise ValueError(f"unknown device {value!r}; choose one of {', '.join(DEVICES)}")
        self._store.setValue("inference/device", value)

    @property
    def precision(self) -> str:
        """``auto``: reduced precision once checked against exact on the person's music
        (`analysis.precision_switch`); ``exact``: always fp32; ``fast``: reduced without a check."""
        value = str(self._store.value(PRECISION_KEY, "auto")).lower()
        return value if value in PRECISION_CHOICES else "auto"

    @precision.setter
    def precision(self, value: str) -> None:
        if value not in PRECISION_CHOICES:
            raise ValueError(f"unknown precision {value!r}; choose one of {', '.join(PRECISION_CHOICES)}")
        self._store.setValue(PRECISION_KEY, value)

    @property
    def taxonomy(self) -> str:
        """Whose genres the window browses by: ``broad-genre`` (the built-in tagger's) or ``ccmusic``."""
        value = str(self._store.value("browse/taxonomy", DEFAULT_TAXONOMY))
        return value if value in GENRE_TAXONOMY_NAMES else DEFAULT_TAXONOMY

    @taxonomy.setter
    def taxonomy(self, value: str) -> None:
        if value not in GENRE_TAXONOMY_NAMES:
            raise ValueError(f"unknown taxonomy {value!r}; choose one of {', '.join(GENRE_TAXONOMY_NAMES)}")
        self._store.setValue("browse/taxonomy", value)

    @staticmethod
    def _threshold_key(taxonomy: str) -> str:
        # CCMusic keeps the key it always had, so an existing setting carries over.
        return "inference/low_confidence" if taxonomy == "ccmusic" else f"inference/low_confidence/{taxonomy}"

    def low_confidence_for(self, taxonomy: str) -> float:
        """Top-1 probability below which ``taxonomy``'s prediction counts as "Low confidence" (0-1):
        each has its own, since tag probabilities run lower than softmax ones."""
        default = TAXONOMIES[taxonomy].low_confidence
        try:
            value = float(self._store.value(self._threshold_key(taxonomy), default))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default
        return min(max(value, 0.0), 1.0)

    @property
    def low_confidence(self) -> float:
        """The low-confidence threshold of the taxonomy shown (what Settings edits)."""
        return self.low_confidence_for(self.taxonomy)

    @low_confidence.setter
    def low_confidence(self, value: float) -> None:
        self._store.setValue(self._threshold_key(self.taxonomy), min(max(float(value), 0.0), 1.0))

    def low_confidence_thresholds(self) -> dict[str, float]:
        """Every genre taxonomy's threshold, by model name (the detail panel shows both)."""
        return {name: self.low_confidence_for(name) for name in GENRE_TAXONOMY_NAMES}

    def layout(self, name: str) -> QByteArray | None:
        """A saved geometry or splitter state, None if never saved."""
        value = self._store.value(f"window/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_layout(self, name: str, state: QByteArray) -> None:
        self._store.setValue(f"window/{name}", state)

    def sync(self) -> None:
        self._store.sync()
