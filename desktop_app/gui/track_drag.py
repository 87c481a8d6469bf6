"""Dragging tracks between views: the track ids travel as JSON under the app's own MIME type."""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QMimeData

TRACK_IDS_MIME = "application/x-genrescope-track-ids"


def track_ids_mime(track_ids: Sequence[int]) -> QMimeData:
    mime = QMimeData()
    mime.setData(TRACK_IDS_MIME, json.dumps([int(t) for t in track_ids]).encode("ascii"))
    return mime


def track_ids_from(mime: QMimeData) -> list[int]:
    """The dragged track ids; empty for anything else (files, text, a broken payload)."""
    if not mime.hasFormat(TRACK_IDS_MIME):
        return []
    try:
        ids = json.loads(bytes(mime.data(TRACK_IDS_MIME).data()).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return []
    return [int(t) for t in ids if isinstance(t, int)] if isinstance(ids, list) else []
