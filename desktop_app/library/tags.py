"""Reading tags and stream information with mutagen, and explaining files that cannot be read.

Runs in scanner worker processes, so it returns plain picklable data and never raises for a
bad file: the reason goes into the result instead.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO

import mutagen
from mutagen.id3 import ID3

from desktop_app.library.genres import split_genres

# Tag keys per field, across mutagen's tag flavours: Vorbis comments / APEv2 (case-insensitive
# names), ID3 frames, MP4 atoms and ASF (WMA) attributes.
_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "TIT2", "\xa9nam", "Title"),
    "artist": ("artist", "TPE1", "\xa9ART", "Author"),
    "album": ("album", "TALB", "\xa9alb", "WM/AlbumTitle"),
    "album_artist": ("albumartist", "album artist", "TPE2", "aART", "WM/AlbumArtist"),
    "track": ("tracknumber", "track", "TRCK", "trkn", "WM/TrackNumber"),
    "disc": ("discnumber", "disc", "TPOS", "disk", "WM/PartOfSet"),
    "year": ("date", "year", "TDRC", "TYER", "\xa9day", "WM/Year"),
    "genre": ("genre", "TCON", "\xa9gen", "WM/Genre"),
}

_FORMAT_NAMES = {
    "MP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "ogg",
    "OggOpus": "opus",
    "OggFLAC": "ogg",
    "OggSpeex": "ogg",
    "OggTheora": "ogg",
    "MP4": "m4a",
    "AAC": "aac",
    "WAVE": "wav",
    "AIFF": "aiff",
    "ASF": "wma",
    "WavPack": "wv",
    "MonkeysAudio": "ape",
    "TrueAudio": "tta",
    "Musepack": "mpc",
    "OptimFROG": "ofr",
    "DSF": "dsf",
    "DSDIFF": "dff",
    "SMF": "mid",
}

_FIRST_INT = re.compile(r"\d+")


@dataclass(slots=True)
class FileInfo:
    """What the library stores about one file; ``error`` is set when it could not be read."""

    path: str
    size: int
    mtime: float
    format: str | None = None
    duration: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bitrate: int | None = None
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genre: str | None = None
    genres: list[str] = field(default_factory=list)
    error: str | None = None


def _texts(value: object) -> list[str]:
    """Tag values of any mutagen flavour as strings (MP4 track tuples become "n/m")."""
    items = value if isinstance(value, list) else getattr(value, "text", [value])
    if not isinstance(items, list):
        items = [items]
    out = []
    for item in items:
        if isinstance(item, tuple):
            item = "/".join(str(part) for part in item if part)
        elif isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        text = str(getattr(item, "value", item)).strip()
        if text:
            out.append(text)
    return out


def _lookup(tags: object, keys: tuple[str, ...]) -> list[str]:
    if tags is None:
        return []
    lowered: dict[str, str] | None = None
    for key in keys:
        try:
            if key in tags:  # type: ignore[operator]
                return _texts(tags[key])  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            continue
        if lowered is None:
            try:
                lowered = {str(k).lower(): k for k in tags.keys()}  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                lowered = {}
        if key.lower() in lowered:
            return _texts(tags[lowered[key.lower()]])  # type: ignore[index]
    return []


def _first_int(texts: list[str]) -> int | None:
    for text in texts:
        match = _FIRST_INT.search(text)
        if match:
            return int(match.group())
    return None


def _genres(tags: object) -> list[str]:
    if isinstance(tags, ID3):
        frame = tags.get("TCON")
        return list(frame.genres) if frame is not None else []
    return _lookup(tags, _FIELD_KEYS["genre"])


def _corrupt_reason(exc: mutagen.MutagenError, path: str) -> str:
    """mutagen's message without the path (shown beside it anyway), or a plain one instead of
    its internals (a bare OSError for a read past the end, a codec error on a garbage chunk id)."""
    detail = str(exc).replace(repr(path), "the file").strip()
    if not detail or isinstance(exc.__context__, (OSError, UnicodeError)):
        detail = "its structure cannot be parsed (cut off, damaged, or not audio)"
    return f"corrupt or truncated audio: {detail}"


# The fewest bits per second that a format's audio needs: a header announcing more time than the
# file's bytes can hold at that rate is not believed (a 10-hour WAV header on two seconds of
# samples, an MP3 whose Xing header counts four billion frames).
_MPEG_MIN_BITRATE = 8000


def _plausible_length(fmt: str, length: float, size: int, stream: object) -> float:
    bits = getattr(stream, "bits_per_sample", 0) or 0
    channels = getattr(stream, "channels", 0) or 0
    rate = getattr(stream, "sample_rate", 0) or 0
    if fmt in ("wav", "aiff") and bits and channels and rate:
        lowest = bits * channels * rate  # uncompressed: exactly this rate
    elif fmt == "mp3":
        lowest = _MPEG_MIN_BITRATE
    else:
        return length
    return min(length, size * 8 / lowest)


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "file disappeared during the scan"
    if exc.errno == errno.EISDIR:
        return "is a folder, not a file"
    return f"could not be read: {exc.strerror or exc}"


class _Nameless:
    """A file seen without its name, so mutagen judges the type by content alone."""

    def __init__(self, file: BinaryIO) -> None:
        self.read, self.seek, self.tell = file.read, file.seek, file.tell


def _open_audio(path: str) -> mutagen.FileType | None:
    """mutagen's guess trusts the extension as much as the content; when that guess fails,
    a second look by content alone reads files that merely have the wrong extension, and tells
    content that is no audio at all (None) from audio that is damaged (the first error)."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as first_error:
        if isinstance(first_error.__context__, OSError):
            raise
        with open(path, "rb") as file:
            try:
                return mutagen.File(_Nameless(file))
            except Exception:
                raise first_error from None
    return audio


def read_file_info(path: str, size: int, mtime: float) -> FileInfo:
    """Tags and stream info of one file; never raises for a bad file."""
    info = FileInfo(path=path, size=size, mtime=mtime)
    if size == 0:
        info.error = "empty file (0 bytes)"
        return info
    try:
        audio = _open_audio(path)
    except OSError as exc:
        info.error = _os_reason(exc)
        return info
    except mutagen.MutagenError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError) and cause.errno is not None:
            info.error = _os_reason(cause)
        else:
            info.error = _corrupt_reason(exc, path)
        return info
    except Exception as exc:  # mutagen raises assorted errors on hostile input
        info.error = f"corrupt audio ({type(exc).__name__}: {exc})"
        return info
    if audio is None:
        info.error = "not a recognised audio format (the content does not match any audio type)"
        return info

    info.format = _FORMAT_NAMES.get(type(audio).__name__, type(audio).__name__.lower())
    stream = audio.info
    length = getattr(stream, "length", None)
    info.duration = _plausible_length(info.format, float(length), size, stream) if length else None
    info.sample_rate = getattr(stream, "sample_rate", None) or None
    info.channels = getattr(stream, "channels", None) or None
    bitrate = getattr(stream, "bitrate", None)
    info.bitrate = int(bitrate) if bitrate else None
    if not info.duration:
        info.error = "no audio in the file (zero length)"

    tags = audio.tags
    info.title = next(iter(_lookup(tags, _FIELD_KEYS["title"])), None)
    info.artist = "; ".join(_lookup(tags, _FIELD_KEYS["artist"])) or None
    info.album = next(iter(_lookup(tags, _FIELD_KEYS["album"])), None)
    info.album_artist = next(iter(_lookup(tags, _FIELD_KEYS["album_artist"])), None)
    info.track_number = _first_int(_lookup(tags, _FIELD_KEYS["track"]))
    info.disc_number = _first_int(_lookup(tags, _FIELD_KEYS["disc"]))
    year = _first_int(_lookup(tags, _FIELD_KEYS["year"]))
    info.year = year if year and 0 < year < 10000 else None
    written = _genres(tags)
    info.genre = "; ".join(written) or None
    info.genres = split_genres(written)
    return info


def file_name_problem(path: str) -> str | None:
    """Why a path cannot be stored as text, if it cannot (names that are not valid UTF-8)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        try:
            os.path.basename(path).encode("utf-8")
        except UnicodeEncodeError:
            return "file name is not valid UTF-8 (rename the file to add it)"
        return "a folder name in its path is not valid UTF-8 (rename the folder to add its files)"
    return None


def printable_path(path: str) -> str:
    """A text form of any path, escaping bytes that are not UTF-8."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
