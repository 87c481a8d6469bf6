"""The genre field of each tag format Genrescope writes, read and set with mutagen, and nothing else.

Writing genres into files is only safe where the format's genre field is known exactly: ID3v2.3
and v2.4 (MP3, and the ID3 chunk of WAV and AIFF), Vorbis comments (FLAC, Ogg Vorbis, Opus), MP4
atoms (M4A: AAC, ALAC) and APEv2 (WavPack, Monkey's Audio, Musepack, OptimFROG). Any other file is
refused with the reason, before anything is written.

Values are kept as the file holds them (an ID3 "(17)" reference stays "(17)"), so an undo writes
back exactly what was there; an empty list means the file has no genre field. Every format here
holds several values: ID3v2.4 as separate strings, ID3v2.3 joined with "/", Vorbis comments as
several GENRE fields, MP4 as several data atoms of one ©gen, APEv2 as one NUL-separated item.
Saving keeps the tag's size where the new values fit in its padding, so the audio does not move,
and an MP3's ID3v1 tag is left byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mutagen
from mutagen.apev2 import APEv2File
from mutagen.id3 import ID3, TCON, Encoding
from mutagen.mp4 import MP4
from mutagen.ogg import OggFileType

from desktop_app.errors import LibraryError

_ID3_TYPES = {"MP3": "MP3", "WAVE": "WAV", "AIFF": "AIFF"}
_VORBIS_TYPES = {"FLAC": "FLAC", "OggVorbis": "Ogg Vorbis", "OggOpus": "Opus"}
_APE_TYPES = {"WavPack": "WavPack", "MonkeysAudio": "Monkey's Audio", "Musepack": "Musepack", "OptimFROG": "OptimFROG"}
_VORBIS_KEY = "GENRE"
_APE_KEY = "Genre"
_MP4_KEY = "\xa9gen"
_ID3V1_SIZE = 128


class GenreFieldError(LibraryError):
    """A file whose genre field Genrescope does not read or write; the message says why."""


@dataclass(frozen=True, slots=True)
class GenreField:
    """A file's genre field as it is now: the tag kind ("ID3v2.4", "Vorbis comment", ...) and its values."""

    kind: str
    values: tuple[str, ...]


def as_stored(kind: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """``values`` as a genre field of this kind holds them once written: ID3v2.3 has one string."""
    return ("/".join(values),) if kind == "ID3v2.3" and len(values) > 1 else values


def _padding_keeping_size(info: mutagen.PaddingInfo) -> int:
    """Keep the tag's total size when the new content fits (the audio stays where it is), else
    mutagen's default padding."""
    return info.padding if info.padding >= 0 else info.get_default_padding()


def open_for_genre(path: str) -> mutagen.FileType:
    """The file opened by mutagen, if Genrescope writes its genre field; else `GenreFieldError`."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise GenreFieldError(f"its tags cannot be read: {exc}") from exc
    if audio is None:
        raise GenreFieldError("not a recognised audio format")
    name = type(audio).__name__
    if name in _ID3_TYPES:
        audio = _reopen(audio, path)
        if isinstance(audio.tags, ID3) and audio.tags.version < (2, 3, 0):
            raise GenreFieldError("its ID3v2.2 tag would have to be converted to a newer version to be written")
        return audio
    if name in _VORBIS_TYPES or name in _APE_TYPES or isinstance(audio, MP4):
        return audio
    raise GenreFieldError(
        f"{name} files are not written: genres are written only into ID3 (MP3, WAV, AIFF), Vorbis comments "
        "(FLAC, Ogg Vorbis, Opus), MP4 (M4A) and APEv2 (WavPack, Monkey's Audio, Musepack) tags"
    )


def _reopen(audio: mutagen.FileType, path: str) -> mutagen.FileType:
    """``path`` (the file ``audio`` was read from, or a copy) opened as the same type, ID3 frames as
    stored: not converted to another ID3 version, and no ID3v1 values merged into them."""
    if type(audio).__name__ in _ID3_TYPES:
        return type(audio)(path, translate=False, load_v1=False)
    return type(audio)(path)


def genre_field(audio: mutagen.FileType) -> GenreField:
    """The genre values of a file opened by `open_for_genre`, exactly as stored."""
    tags: Any = audio.tags
    if type(audio).__name__ in _ID3_TYPES:
        version = tags.version[1] if isinstance(tags, ID3) else 4
        frame = tags.get("TCON") if tags is not None else None
        return GenreField(f"ID3v2.{version}", tuple(frame.text) if frame is not None else ())
    if isinstance(audio, MP4):
        return GenreField("MP4", tuple(tags.get(_MP4_KEY, ())) if tags is not None else ())
    if isinstance(audio, (OggFileType,)) or type(audio).__name__ == "FLAC":
        values = [value for key, value in (tags or []) if key.lower() == "genre"]
        return GenreField("Vorbis comment", tuple(values))
    item = tags.get(_APE_KEY) if tags is not None else None
    return GenreField("APEv2", tuple(item) if item is not None else ())


def read_genre_field(path: str) -> GenreField:
    """The genre field of the file at ``path``; `GenreFieldError` for a file Genrescope does not write."""
    return genre_field(open_for_genre(path))


def write_genre_values(original: mutagen.FileType, copy_path: str, values: Sequence[str]) -> None:
    """Set the genre field of ``copy_path``, a byte copy of the file ``original`` was opened from,
    to ``values`` (none: remove the field); every other tag, the padding and the audio stay."""
    audio = _reopen(original, copy_path)
    values = list(values)
    if type(audio).__name__ in _ID3_TYPES:
        _set_id3(audio, copy_path, values)
    elif isinstance(audio, MP4):
        _set_mp4(audio, values)
    elif isinstance(audio, APEv2File):
        _set_ape(audio, values)
    else:
        _set_vorbis(audio, values)


def _tags(audio: mutagen.FileType, values: list[str]) -> Any:
    """The file's tags, added when it has none and there are values to write; None if neither."""
    if audio.tags is None:
        if not values:
            return None
        audio.add_tags()
    return audio.tags


def _set_id3(audio: mutagen.FileType, path: str, values: list[str]) -> None:
    tags = _tags(audio, values)
    if tags is None:
        return
    version = tags.version[1] if tags.version >= (2, 3, 0) else 4
    encoding = _id3_encoding(tags.get("TCON"), values)
    tags.delall("TCON")
    if values:
        tags.add(TCON(encoding=encoding, text=values))
    if type(audio).__name__ != "MP3":  # WAV, AIFF: the ID3 tag is a chunk of its own, no ID3v1
        audio.save(v2_version=version, v23_sep="/", padding=_padding_keeping_size)
        return
    v1 = _id3v1(path)
    audio.save(v2_version=version, v23_sep="/", padding=_padding_keeping_size, v1=0 if v1 is None else 1)
    if v1 is not None:  # mutagen would write an ID3v1 of its own making: put the old one back
        with open(path, "r+b") as file:
            file.seek(-_ID3V1_SIZE, 2)
            file.write(v1)


def _id3_encoding(old: TCON | None, values: list[str]) -> int:
    """The old frame's text encoding where it can hold the new values (an undo writes the frame back
    as it was), else UTF-8 (which mutagen writes as UTF-16 in an ID3v2.3 tag)."""
    if old is None:
        return Encoding.UTF8
    if old.encoding == Encoding.LATIN1:
        try:
            "".join(values).encode("latin-1")
        except UnicodeEncodeError:
            return Encoding.UTF8
    return int(old.encoding)


def _id3v1(path: str) -> bytes | None:
    with open(path, "rb") as file:
        file.seek(0, 2)
        if file.tell() < _ID3V1_SIZE:
            return None
        file.seek(-_ID3V1_SIZE, 2)
        tail = file.read(_ID3V1_SIZE)
    return tail if tail.startswith(b"TAG") else None


def _set_vorbis(audio: mutagen.FileType, values: list[str]) -> None:
    comments = _tags(audio, values)
    if comments is None:
        return
    old = [(key, value) for key, value in comments]
    first = next((i for i, (key, _) in enumerate(old) if key.lower() == "genre"), len(old))
    key = old[first][0] if first < len(old) else _VORBIS_KEY
    kept = [(k, v) for k, v in old if k.lower() != "genre"]
    before = sum(1 for k, _ in old[:first] if k.lower() != "genre")
    comments[:] = [*kept[:before], *((key, value) for value in values), *kept[before:]]
    audio.save(padding=_padding_keeping_size)


def _set_mp4(audio: MP4, values: list[str]) -> None:
    tags = _tags(audio, values)
    if tags is None:
        return
    tags.pop("gnre", None)  # the numeric ID3v1-style genre: the text one replaces it
    if values:
        tags[_MP4_KEY] = values
    else:
        tags.pop(_MP4_KEY, None)
    audio.save(padding=_padding_keeping_size)


def _set_ape(audio: mutagen.FileType, values: list[str]) -> None:
    tags = _tags(audio, values)
    if tags is None:
        return
    if values:
        tags[_APE_KEY] = values
    elif _APE_KEY in tags:
        del tags[_APE_KEY]
    audio.save()
