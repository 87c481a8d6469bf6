"""The window's saved settings read without Qt: the command line opens the library the window chose
and analyses in the precision it chose.

The window keeps its settings with QSettings in ``settings.ini`` in the data folder
(`desktop_app.gui.settings`); Settings → Library location stores the library there. The command
line must open the same library (a person who moved the window to PostgreSQL expects ``genrescope
classify`` to classify that library), but must not load Qt to find out, so the file is read here
with configparser and each value unescaped as QSettings escapes it in an INI file: a value with
``;``, ``,`` or ``=`` (or a space at either end) in double quotes, ``\\`` escapes inside (``\\"``,
``\\\\``, ``\\n``, ``\\x1f``, ``\\0``…), unquoted commas separating the items of a list, and a text
starting with ``@`` written as ``@@`` (``@ByteArray(…)``, ``@Variant(…)`` are other types). A
missing, unreadable or garbled file, or a value that is not one text, reads as "not set".
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from desktop_app.config.paths import data_dir, resolve_db_path

SETTINGS_FILE = "settings.ini"
LOCATION_KEY = "library/location"
"""Settings → Library location: a SQLite file or a database URL, as the person gave it."""
PRECISION_KEY = "inference/precision"
"""Settings → Precision: ``auto``, ``exact`` or ``fast`` (`analysis.precision_switch`)."""
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX = "0123456789abcdefABCDEF"
_OCTAL = "01234567"


def settings_path() -> Path:
    """The window's settings file (``GENRESCOPE_DATA_DIR`` moves it with the data folder)."""
    return data_dir() / SETTINGS_FILE


def saved_library_location(path: Path | None = None) -> str | None:
    """The library chosen in the window's Settings (in the file at ``path``, default `settings_path`),
    or None when there is none or the file cannot be read as QSettings writes it."""
    value = saved_text(path if path is not None else settings_path(), LOCATION_KEY)
    return value or None


def precision_setting(path: Path | None = None) -> str | None:
    """Settings → Precision as saved (``auto``, ``exact``, ``fast``), None when not set; the command
    line follows it unless ``--precision`` or ``GENRESCOPE_PRECISION`` says otherwise."""
    value = saved_text(path if path is not None else settings_path(), PRECISION_KEY)
    return value if value in ("auto", "exact", "fast") else None


def resolve_library(explicit: str | os.PathLike[str] | None = None) -> Path | str:
    """The library this run opens, chosen the same way by the window and by every command:
    ``--db`` (``explicit``), else ``GENRESCOPE_DB``, else the window's Settings → Library location,
    else the default file (`resolve_db_path`)."""
    return resolve_db_path(explicit, saved_library_location())


def saved_text(path: Path, key: str) -> str | None:
    """The text QSettings stored under ``key`` (``group/name``) in the INI file at ``path``, or None."""
    group, _, name = key.rpartition("/")
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), comment_prefixes=(";", "#"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # QSettings keys keep their case
    try:
        with path.open(encoding="utf-8") as file:
            parser.read_file(file)
        raw = parser.get(group or "%General", name)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    items = _unescaped_items(raw)
    if items is None or len(items) != 1:
        return None  # not set, or a list
    text = items[0]
    if text.startswith("@@"):
        return text[1:]
    return None if text.startswith("@") else text  # another type (@ByteArray, @Variant…)


def _unescaped_items(raw: str) -> list[str] | None:
    """A value as QSettings escaped it, back to its items (one for a text); None if it ends inside
    quotes or an escape."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        i += 1
        if ch == '"':
            quoted = not quoted
        elif ch == "\\":
            if i == len(raw):
                return None
            ch = raw[i]
            i += 1
            if ch == "x":
                end = i
                while end < len(raw) and raw[end] in _HEX:
                    end += 1
                current.append(chr(int(raw[i:end] or "0", 16)))
                i = end
            elif ch in _OCTAL:
                end = i
                while end < len(raw) and raw[end] in _OCTAL:
                    end += 1
                current.append(chr(int(raw[i - 1 : end], 8)))
                i = end
            else:
                current.append(_ESCAPES.get(ch, ch))
        elif ch == "," and not quoted:
            items.append("".join(current))
            current = []
            while i < len(raw) and raw[i] == " ":  # QSettings writes ", " between items
                i += 1
        else:
            current.append(ch)
    if quoted:
        return None
    items.append("".join(current))
    return items
