"""XSPF 1 ("spiff"): XML with percent-encoded URI locations; durations in milliseconds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from desktop_app.errors import LibraryError
from desktop_app.library.playlist_formats.entries import PlaylistItem, ReadEntry
from desktop_app.library.playlist_formats.locations import location_uri, resolve_uri_reference

NAMESPACE = "http://xspf.org/ns/0/"
_NS = {"x": NAMESPACE}


class XspfError(LibraryError, ValueError):
    """Not an XSPF playlist (not XML, or no playlist/trackList)."""


def _child(parent: ET.Element, tag: str, text: str | None) -> None:
    if text:
        ET.SubElement(parent, tag).text = text


def write_xspf(items: Sequence[PlaylistItem], title: str) -> str:
    """Elements in the order of the XSPF schema: location, title, creator, album, duration."""
    ET.register_namespace("", NAMESPACE)
    playlist = ET.Element(f"{{{NAMESPACE}}}playlist", version="1")
    _child(playlist, f"{{{NAMESPACE}}}title", title)
    track_list = ET.SubElement(playlist, f"{{{NAMESPACE}}}trackList")
    for item in items:
        track = ET.SubElement(track_list, f"{{{NAMESPACE}}}track")
        _child(track, f"{{{NAMESPACE}}}location", location_uri(item.location))
        _child(track, f"{{{NAMESPACE}}}title", item.title)
        _child(track, f"{{{NAMESPACE}}}creator", item.artist)
        _child(track, f"{{{NAMESPACE}}}album", item.album)
        if item.duration is not None:
            _child(track, f"{{{NAMESPACE}}}duration", str(round(item.duration * 1000)))
    ET.indent(playlist)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(playlist, encoding="unicode") + "\n"


def _text(element: ET.Element, tag: str) -> str | None:
    found = element.find(f"x:{tag}", _NS)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def read_xspf(text: str, playlist_dir: str) -> list[ReadEntry]:
    """Tracks with a location (the first one when there are several); others have nothing to play."""
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise XspfError(f"not valid XML: {exc}") from None
    track_list = root.find("x:trackList", _NS) if root.tag == f"{{{NAMESPACE}}}playlist" else None
    if track_list is None:
        raise XspfError("not an XSPF playlist (no playlist/trackList in the XSPF namespace)")
    entries: list[ReadEntry] = []
    for track in track_list.findall("x:track", _NS):
        location = _text(track, "location")
        if location is None:
            continue
        duration = _text(track, "duration")
        title = _text(track, "title")
        creator = _text(track, "creator")
        shown = f"{creator} - {title}" if creator and title else title or creator
        seconds = int(duration) / 1000 if duration and duration.isdigit() else None
        entries.append(ReadEntry(location, resolve_uri_reference(location, playlist_dir), shown, seconds))
    return entries
