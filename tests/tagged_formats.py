"""Files of every format Genrescope writes genres into, generated with rich tags, and readers of
their parts, so a test can say that writing a genre changed nothing but the genre field.

Each file has a picture, replay-gain values, a custom (or unknown) field and padding beside its
genre. `audio_payload` returns the audio stream's bytes as the container holds them (an MP3's
frames after the ID3 tag, a FLAC's frames after its metadata, a WAV's data chunk, an MP4's mdat,
an Ogg stream's audio packets); `other_tags` returns everything in the tags but the genre, as raw
bytes where the format has them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import av
import mutagen
import numpy as np
import soundfile as sf
from mutagen.apev2 import APEValue, BINARY
from mutagen.flac import Picture
from mutagen.id3 import APIC, ID3, PRIV, TALB, TCON, TIT2, TPE1, TXXX
from mutagen.mp4 import MP4Cover, MP4FreeForm

from tests.audio_files import tone

PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
GENRE = ["Rock", "Pop"]


def _picture() -> Picture:
    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = 3, "image/png", "front", PICTURE
    return picture


def _id3(path: Path, version: int) -> None:
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    tags: ID3 = audio.tags
    tags.add(TIT2(encoding=1, text="Title"))
    tags.add(TPE1(encoding=1, text="Artist"))
    tags.add(TALB(encoding=0, text="Album"))
    tags.add(TCON(encoding=1, text=GENRE if version == 4 else ["/".join(GENRE)]))
    tags.add(TXXX(encoding=1, desc="REPLAYGAIN_TRACK_GAIN", text="-6.50 dB"))
    tags.add(PRIV(owner="genrescope-test", data=b"\x00\x01private\xff"))
    tags.add(APIC(encoding=0, mime="image/png", type=3, desc="front", data=PICTURE))
    audio.save(v2_version=version, padding=lambda _info: 3000)
    if version == 3:  # an unknown frame mutagen keeps as raw bytes: built by hand into the tag
        data = path.read_bytes()
        size = _syncsafe(data[6:10])
        frame = b"XQZ1" + struct.pack(">I", 5) + b"\x00\x00" + b"\x01abcd"
        padding_start = 10 + size - 3000
        data = data[:padding_start] + frame + data[padding_start + len(frame) :]
        # and an ID3v1 tag at the end, whose genre byte (Blues) says something else
        path.write_bytes(data + b"TAG" + b"v1 title".ljust(30, b"\0") + bytes(30 + 30 + 4 + 30) + b"\x00")


def _vorbis(path: Path) -> None:
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags["TITLE"] = "Title"
    audio.tags["GENRE"] = GENRE
    audio.tags["REPLAYGAIN_TRACK_GAIN"] = "-6.50 dB"
    audio.tags["X_CUSTOM"] = "kept as it is"
    if path.suffix == ".flac":
        audio.add_picture(_picture())
    else:
        import base64

        audio.tags["METADATA_BLOCK_PICTURE"] = base64.b64encode(_picture().write()).decode("ascii")
    audio.save(padding=lambda _info: 3000)


def _mp4(path: Path) -> None:
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags["\xa9nam"] = "Title"
    audio.tags["\xa9gen"] = GENRE
    audio.tags["covr"] = [MP4Cover(PICTURE, MP4Cover.FORMAT_PNG)]
    audio.tags["----:com.apple.iTunes:replaygain_track_gain"] = [MP4FreeForm(b"-6.50 dB")]
    audio.tags["----:org.genrescope:custom"] = [MP4FreeForm(b"\x00kept\xff")]
    audio.save(padding=lambda _info: 3000)


def _ape(path: Path) -> None:
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags["Title"] = "Title"
    audio.tags["Genre"] = GENRE
    audio.tags["REPLAYGAIN_TRACK_GAIN"] = "-6.50 dB"
    audio.tags["Cover Art (Front)"] = APEValue(b"front.png\x00" + PICTURE, BINARY)
    audio.save()


def _soundfile(fmt: str, subtype: str | None = None) -> Callable[[Path, np.ndarray, int], None]:
    def write(path: Path, samples: np.ndarray, rate: int) -> None:
        sf.write(path, samples, rate, format=fmt, subtype=subtype)

    return write


def _pyav(container: str, codec: str, sample_format: str) -> Callable[[Path, np.ndarray, int], None]:
    def write(path: Path, samples: np.ndarray, rate: int) -> None:
        with av.open(str(path), "w", format=container) as out:
            stream = out.add_stream(codec, rate=rate, layout="mono")
            stream.format = sample_format
            planar = samples.reshape(1, -1)
            if sample_format.startswith("s16"):
                planar = (planar * 32767).astype(np.int16)
            elif sample_format.startswith("s32"):
                planar = (planar * 2**31 * 0.99).astype(np.int32)
            for start in range(0, planar.shape[1], 4096):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planar[:, start : start + 4096]), format=sample_format, layout="mono"
                )
                frame.rate = rate
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)

    return write


FORMATS: dict[str, tuple[Callable[[Path, np.ndarray, int], None], Callable[[Path], None]]] = {
    "mp3": (_soundfile("MP3"), lambda p: _id3(p, 4)),
    "v23.mp3": (_soundfile("MP3"), lambda p: _id3(p, 3)),
    "wav": (_soundfile("WAV", "PCM_16"), lambda p: _id3(p, 4)),
    "aiff": (_soundfile("AIFF", "PCM_16"), lambda p: _id3(p, 3)),
    "flac": (_soundfile("FLAC"), _vorbis),
    "ogg": (_soundfile("OGG", "VORBIS"), _vorbis),
    "opus": (_soundfile("OGG", "OPUS"), _vorbis),
    "m4a": (_pyav("ipod", "aac", "fltp"), _mp4),
    "alac.m4a": (_pyav("ipod", "alac", "s16p"), _mp4),
    "wv": (_pyav("wv", "wavpack", "s16p"), _ape),
}
"""By file-name ending: how to write its audio, and how to tag it."""


def write_tagged(path: Path, seconds: float = 1.0, freq: float = 440.0) -> Path:
    """A tone in the format ``path``'s name ends with (a `FORMATS` key), tagged richly."""
    kind = next(k for k in sorted(FORMATS, key=len, reverse=True) if path.name.endswith("." + k))
    write_audio, tag = FORMATS[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 48000 if kind == "opus" else 44100
    write_audio(path, tone(seconds, rate, freq), rate)
    tag(path)
    return path


# --- reading the parts back ---------------------------------------------------------------------


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def id3_parts(tag: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """(the tag's total size, its frames but the genre's as (id, flags and data) raw bytes, in order)."""
    assert tag[:3] == b"ID3", "no ID3v2 tag"
    version, size = tag[3], _syncsafe(tag[6:10])
    frames, offset = [], 10
    while offset + 10 <= 10 + size and tag[offset] != 0:
        frame_id = tag[offset : offset + 4]
        raw = tag[offset + 4 : offset + 8]
        length = _syncsafe(raw) if version == 4 else struct.unpack(">I", raw)[0]
        if frame_id != b"TCON":
            frames.append((frame_id, tag[offset + 8 : offset + 10 + length]))
        offset += 10 + length
    return 10 + size, frames


def _chunks(data: bytes, start: int, end: int, order: str) -> list[tuple[bytes, bytes]]:
    found, offset = [], start
    while offset + 8 <= end:
        name, size = data[offset : offset + 4], struct.unpack(order + "I", data[offset + 4 : offset + 8])[0]
        found.append((name, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (size & 1)
    return found


def _flac_blocks(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    offset = data.index(b"fLaC") + 4
    blocks = []
    while True:
        header = data[offset]
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        blocks.append((header & 0x7F, data[offset + 4 : offset + 4 + size]))
        offset += 4 + size
        if header & 0x80:
            return blocks, offset


def _ogg_packets(data: bytes) -> list[bytes]:
    packets, current, offset = [], b"", 0
    while offset < len(data):
        assert data[offset : offset + 4] == b"OggS"
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        offset += 27 + segments
        for length in lacing:
            current += data[offset : offset + length]
            offset += length
            if length < 255:
                packets.append(current)
                current = b""
    return packets


def _mp4_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, bytes]]:
    boxes, offset = [], start
    while offset + 8 <= end:
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = end - offset
        boxes.append((name, data[offset + header : offset + size]))
        offset += size
    return boxes


def _ape_split(data: bytes) -> int:
    """Where the APEv2 tag at the end begins."""
    assert data[-32:-24] == b"APETAGEX"
    size, _count, flags = struct.unpack("<III", data[-20:-8])
    return len(data) - size - (32 if flags & 0x80000000 else 0)


def audio_payload(path: Path) -> bytes:
    data = path.read_bytes()
    name = path.name
    if name.endswith(".mp3"):
        end = len(data) - 128 if data[-128:-125] == b"TAG" else len(data)
        return data[id3_parts(data)[0] : end]
    if name.endswith((".wav", ".aiff")):
        order = "<" if name.endswith(".wav") else ">"
        return b"".join(body for kind, body in _chunks(data, 12, len(data), order) if kind in (b"data", b"SSND"))
    if name.endswith(".flac"):
        return data[_flac_blocks(data)[1] :]
    if name.endswith(".ogg"):
        return b"".join(_ogg_packets(data)[3:])
    if name.endswith(".opus"):
        return b"".join(_ogg_packets(data)[2:])
    if name.endswith(".m4a"):
        return b"".join(body for kind, body in _mp4_boxes(data, 0, len(data)) if kind == b"mdat")
    if name.endswith(".wv"):
        return data[: _ape_split(data)]
    raise AssertionError(name)


def other_tags(path: Path) -> object:
    """Everything in the file but its audio and its genre field (raw bytes where the format has them),
    including what tells where the audio starts (an ID3 tag's or FLAC metadata's total size)."""
    data = path.read_bytes()
    name = path.name
    if name.endswith(".mp3"):
        return id3_parts(data), data[-128:] if data[-128:-125] == b"TAG" else None
    if name.endswith((".wav", ".aiff")):
        order = "<" if name.endswith(".wav") else ">"
        chunks = _chunks(data, 12, len(data), order)
        id3 = [id3_parts(body) for kind, body in chunks if kind.lower() == b"id3 "]
        return [(kind, body) for kind, body in chunks if kind.lower() != b"id3 "], id3
    audio = mutagen.File(path)
    if name.endswith(".flac"):
        blocks, audio_start = _flac_blocks(data)
        kept = [(kind, body) for kind, body in blocks if kind not in (1, 4)]  # padding, Vorbis comment
        return kept, audio_start, _comments_but_genre(audio)
    if name.endswith((".ogg", ".opus")):
        return _comments_but_genre(audio)
    if name.endswith(".m4a"):
        moov = dict(_mp4_boxes(data, 0, len(data)))[b"moov"]
        ilst = _mp4_boxes(moov, moov.index(b"ilst") - 4, moov.index(b"ilst") - 4 + 8)
        items = _mp4_boxes(ilst[0][1], 0, len(ilst[0][1]))
        return [(kind, body) for kind, body in items if kind not in (b"\xa9gen", b"gnre")]
    if name.endswith(".wv"):
        return sorted((key, value.value) for key, value in audio.tags.items() if key.lower() != "genre")
    raise AssertionError(name)


def _comments_but_genre(audio: mutagen.FileType) -> tuple[str, list[tuple[str, str]]]:
    return audio.tags.vendor, [(key, value) for key, value in audio.tags if key.lower() != "genre"]


def decodes(path: Path) -> bool:
    """Whether the whole file decodes (libsndfile, else FFmpeg through PyAV)."""
    try:
        with av.open(str(path)) as container:
            return sum(frame.samples for frame in container.decode(audio=0)) > 0
    except av.FFmpegError:
        return False
