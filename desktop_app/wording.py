"""Words for counts, shared by the window and the command line: "1 track", "12,345 tracks".

Qt-free and dependency-free, so every layer may use it; one place instead of a hand-written
``'s' if n != 1`` in every message.
"""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` with thousands separators and ``noun``, made plural unless ``count`` is 1
    (``plural_form``, else ``noun + "s"``): ``plural(2345, "track")`` → "2,345 tracks"."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
