"""Words shared by the window and the command line: counts ("1 track", "12,345 tracks") and a
genre field's values ("Rock | Pop").

Qt-free and dependency-free, so every layer may use it; one place instead of a hand-written
``'s' if n != 1`` in every message.
"""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` with thousands separators and ``noun``, made plural unless ``count`` is 1
    (``plural_form``, else ``noun + "s"``): ``plural(2345, "track")`` → "2,345 tracks"."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def genre_values(values: object) -> str:
    """A genre field's values as one line: "Rock | Pop", or "(no genre)"."""
    shown = [str(value) for value in values] if isinstance(values, list | tuple) else []
    return " | ".join(shown) if shown else "(no genre)"
