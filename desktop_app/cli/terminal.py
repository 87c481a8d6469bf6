"""Text for a terminal: control characters that come from file names, tags or playlists are shown
escaped (``\\x1b``) instead of being obeyed.

A file named ``"\\x1b]0;...\\x07.mp3"`` or an ID3 title carrying escape sequences would otherwise
retitle, clear or reprogram the terminal of whoever lists the library, and a carriage return
would let one line overwrite another. Only a terminal is filtered: output to a pipe or a file,
JSON included (which escapes control characters itself), stays exact.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_ESCAPED = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if chr(code) not in "\n\t"}


class SafeTerminal(io.TextIOBase):
    """A terminal stream that escapes control characters; ``unfiltered`` is the stream itself
    (for the progress bar, whose carriage returns are meant)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.unfiltered = stream

    def write(self, text: str) -> int:
        self.unfiltered.write(text.translate(_ESCAPED))
        return len(text)

    def flush(self) -> None:
        self.unfiltered.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.unfiltered.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.unfiltered.encoding


@contextmanager
def safe_terminal_output() -> Iterator[None]:
    """Filter sys.stdout and sys.stderr while the block runs, where they are terminals."""
    saved = sys.stdout, sys.stderr
    try:
        sys.stdout, sys.stderr = (SafeTerminal(s) if s is not None and s.isatty() else s for s in saved)
        yield
    finally:
        sys.stdout, sys.stderr = saved
