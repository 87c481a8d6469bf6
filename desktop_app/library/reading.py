"""The scanner's worker task, in a module light enough for worker processes to import quickly."""

from __future__ import annotations

from collections.abc import Sequence

from desktop_app.library.tags import FileInfo, read_file_info
from desktop_app.library.walk import FoundFile


def read_chunk(files: Sequence[FoundFile]) -> list[FileInfo]:
    """Worker entry point: one task reads a chunk of files."""
    return [
        FileInfo(path=f.path, size=f.size, mtime=f.mtime, error=f.problem)
        if f.problem
        else read_file_info(f.path, f.size, f.mtime)
        for f in files
    ]
