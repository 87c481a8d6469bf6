"""Where a file's audio begins, so that decoders never parse the ID3v2 tags in front of it.

libsndfile (mpg123) and FFmpeg parse every frame of a leading ID3v2 tag, in time that grows with
the square of the frame count: a 2 MB MP3 carrying 100,000 tiny frames kept libsndfile busy for
15 s and FFmpeg for 51 s, and a 16 MB tag would take hours. The tags are the scanner's business;
the decoders get a view of the file that starts after them.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO

_HEADER = 10
_FOOTER_FLAG = 0x10


def id3v2_end(file: BinaryIO, size: int) -> int:
    """The offset after the ID3v2 tags at the start of ``file`` (0 when there are none).

    Consecutive tags are all skipped. A tag that claims to run past the end of the file is not
    trusted, and the file is then decoded from its first byte as before.
    """
    end = 0
    while True:
        file.seek(end)
        header = file.read(_HEADER)
        if len(header) < _HEADER or header[:3] != b"ID3" or header[3] == 0xFF or header[4] == 0xFF:
            return end
        size_bytes = header[6:10]
        if any(b & 0x80 for b in size_bytes):
            return end
        # A syncsafe integer: 7 bits per byte.
        length = _HEADER + (size_bytes[0] << 21 | size_bytes[1] << 14 | size_bytes[2] << 7 | size_bytes[3])
        if header[5] & _FOOTER_FLAG:
            length += _HEADER
        if end + length > size:
            return end
        end += length


class FileFrom(io.RawIOBase):
    """A read-only view of an open file that begins at ``start``: byte 0 of the view is ``start``."""

    def __init__(self, file: BinaryIO, start: int) -> None:
        super().__init__()
        self._file = file
        self._start = start
        file.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._file.readinto(buffer)  # type: ignore[attr-defined]

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            offset += self._start
        position = self._file.seek(offset, whence)
        if position < self._start:
            position = self._file.seek(self._start)
        return position - self._start

    def tell(self) -> int:
        return self._file.tell() - self._start
