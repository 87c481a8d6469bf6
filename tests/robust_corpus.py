"""A generated corpus of hostile and unusual audio files, with what each layer must say about them.

Everything is written by the tests (no binary blobs in the repository). Each `Case` names the
outcome expected from the scanner (tags) and from the audio layer (decode + CQT + images): either
a correct result, or a fragment of the precise reason given to the user.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from mutagen.id3 import APIC, ID3, TIT2, TXXX

from tests.audio_files import write_audio

OK = None
"""Expected reason when the layer must produce a result."""


Range = tuple[float, float]


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    scan: str | None
    """A fragment of the scanner's reason ("" for any precise one), or OK."""
    audio: str | None
    """A fragment of `AudioDecodeError.reason` from prepare_track ("" for any), or OK."""
    seconds: Range | None = None
    """Where the decoded duration must lie (None: not checked)."""
    tag_seconds: Range | None = None
    """Where the duration the scanner records must lie (None: not checked)."""
    short_clip: bool = False
    silent: bool = False


def about(seconds: float) -> Range:
    return (seconds - 0.05, seconds + 0.05)


TRUNCATED_TAG = "corrupt or truncated"
UNKNOWN_TAG = "not a recognised audio format"
UNREADABLE_AUDIO = "not a readable audio file"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _cut(source: Path, target: Path, size: int) -> Path:
    return _write(target, source.read_bytes()[:size])


def _noise(seconds: float, sr: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    shape = (int(seconds * sr), channels) if channels > 1 else (int(seconds * sr),)
    return (0.2 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def _wav_header(sr: int, channels: int, bits: int, data_bytes: int) -> bytes:
    """A canonical 44-byte PCM WAV header announcing ``data_bytes`` of samples."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, sr, sr * block, block, bits)
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", data_bytes))


def _id3_frame(frame_id: bytes, payload: bytes) -> bytes:
    """An ID3v2.3 frame (plain 32-bit size), written by hand so its content can be invalid."""
    return frame_id + struct.pack(">I", len(payload)) + b"\x00\x00" + payload


def _id3_tag(frames: bytes, claimed_size: int | None = None) -> bytes:
    size = len(frames) if claimed_size is None else claimed_size
    syncsafe = bytes(((size >> shift) & 0x7F) for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + frames


def _xing_frames(mp3: bytes, frames: int) -> bytes:
    """The same MP3 with its Xing/Info header claiming ``frames`` MPEG frames."""
    at = mp3.find(b"Xing")
    assert at >= 0, "libsndfile's LAME writes a Xing header"
    return mp3[: at + 8] + struct.pack(">I", frames) + mp3[at + 12 :]


def build_corpus(root: Path) -> list[Case]:
    """Write the corpus under ``root`` (about 60 MB, a few seconds) and describe it.

    Besides the files of the returned cases, ``root`` holds a folder symlink loop, a dangling
    symlink named .mp3, a named pipe called .wav and a folder nested beyond the 4,096-byte path
    limit (`WALK_PROBLEMS`).
    """
    root.mkdir(parents=True, exist_ok=True)
    src = root.parent / f"{root.name}-sources"
    mp3 = write_audio(src / "s.mp3", seconds=6.0, sr=44100, title="source")
    ogg = write_audio(src / "s.ogg", seconds=6.0, sr=44100)
    flac = write_audio(src / "s.flac", seconds=6.0, sr=44100, channels=2)
    cases: list[Case] = []

    def add(name: str, path: Path, scan: str | None, audio: str | None, seconds: float | Range | None = None,
            **kw: object) -> None:
        """``seconds``: the true duration, which then both layers must report, or a range for decoding."""
        if isinstance(seconds, (int, float)):
            kw.setdefault("tag_seconds", about(seconds))
            seconds = about(seconds)
        cases.append(Case(name, path, scan, audio, seconds, **kw))  # type: ignore[arg-type]

    # --- nothing, or nothing audio ---------------------------------------------------------
    add("empty", _write(root / "empty.mp3", b""), "empty file (0 bytes)", "empty file")
    rng = np.random.default_rng(7)
    for ext in ("mp3", "flac", "ogg", "wav", "m4a"):
        add(f"random_{ext}", _write(root / f"random.{ext}", rng.bytes(64 * 1024)), "", "")
    add("text_flac", _write(root / "notes.flac", b"This is a text file, not music.\n" * 50),
        UNKNOWN_TAG, UNREADABLE_AUDIO)

    # --- real audio cut short --------------------------------------------------------------
    for fmt, source in (("mp3", mp3), ("ogg", ogg), ("flac", flac)):
        size = source.stat().st_size
        add(f"truncated_{fmt}_header", _cut(source, root / f"truncated-header.{fmt}", 20), "", "")
        quarter = _cut(source, root / f"truncated-quarter.{fmt}", size // 4)
        if fmt == "ogg":  # still inside Vorbis's setup headers: no audio page yet
            add("truncated_ogg_quarter", quarter, "no audio in the file", "")
        else:  # the header's length stays in the library; decoding gives what is there
            add(f"truncated_{fmt}_quarter", quarter, OK, OK, seconds=(1.0, 2.0), short_clip=True)
        add(f"truncated_{fmt}_most", _cut(source, root / f"truncated-most.{fmt}", size * 9 // 10), OK, OK,
            seconds=(4.0, 5.6), short_clip=True)

    # --- the wrong name on the right content -----------------------------------------------
    add("flac_named_mp3", _write(root / "really-flac.mp3", flac.read_bytes()), OK, OK, 6.0, short_clip=True)
    add("mp3_named_wav", _write(root / "really-mp3.wav", mp3.read_bytes()), OK, OK, 6.0, short_clip=True)

    # --- hostile ID3 ----------------------------------------------------------------------
    body = mp3.read_bytes()
    invalid = (_id3_frame(b"TIT2", b"\x07not a known encoding")  # encoding byte 7 does not exist
               + _id3_frame(b"TPE1", b"\x01\xff\xfe\x00\xd8")  # UTF-16 with a lone surrogate, odd length
               + _id3_frame(b"TALB", b"\x03\xff\xfe\xc3\x28 bad UTF-8")
               + _id3_frame(b"TCON", b"\x00Jazz"))  # a valid frame among them is still read
    add("id3_invalid_encodings", _write(root / "id3-encodings.mp3", _id3_tag(invalid) + body), OK, OK, 6.0,
        short_clip=True)
    add("id3_size_beyond_file", _write(root / "id3-huge-claim.mp3", _id3_tag(invalid, 0x0FFFFFFF) + body),
        "", "")
    picture = write_audio(root / "picture-50MB.mp3", seconds=6.0, sr=44100)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="big cover"))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=b"\xff\xd8\xff" + bytes(50 << 20)))
    tags.save(picture)
    add("id3_50mb_picture", picture, OK, OK, 6.0, short_clip=True)
    add("id3_50k_frames", many_frames(root / "id3-50k-frames.mp3", 50_000), OK, OK, 6.0, short_clip=True)
    xing = _write(root / "xing-4g-frames.mp3", _xing_frames(body, 0xFFFF_FFFF))
    # The header claims 3.5 years; the library keeps no more than the bytes can hold at 8 kbit/s.
    add("xing_4g_frames", xing, OK, OK, seconds=about(6.0), tag_seconds=(6.0, len(body) * 8 / 8000),
        short_clip=True)

    # --- decodable, but unusual ------------------------------------------------------------
    add("zero_length_wav", _write(root / "zero-length.wav", _wav_header(44100, 2, 16, 0)),
        "no audio in the file", "no audio samples")
    add("clip_2s", write_audio(root / "clip-2s.flac", seconds=2.0), OK, OK, 2.0, short_clip=True)
    add("silence_20s", _sf(root / "silence-20s.wav", np.zeros(20 * 44100, np.float32), 44100, "PCM_16"),
        OK, OK, 20.0, silent=True)
    add("dc_only", _sf(root / "dc-only.flac", np.full(15 * 44100, 0.25, np.float32), 44100, "PCM_16"),
        OK, OK, 15.0, silent=True)
    add("mono_8khz", _sf(root / "mono-8kHz.wav", _noise(12.0, 8000), 8000, "PCM_16"), OK, OK, 12.0)
    add("six_channels_96khz", _sf(root / "6ch-96kHz.flac", _noise(12.0, 96000, 6), 96000, "PCM_24"),
        OK, OK, 12.0)
    add("wav_24bit", _sf(root / "24bit.wav", _noise(12.0, 48000, 2), 48000, "PCM_24"), OK, OK, 12.0)
    add("wav_float", _sf(root / "float.wav", _noise(12.0, 44100, 2), 44100, "FLOAT"), OK, OK, 12.0)
    nan = _noise(12.0, 44100)
    nan[1000] = np.nan
    add("wav_float_nan", _sf(root / "float-nan.wav", nan, 44100, "FLOAT"), OK, "samples that are not numbers",
        tag_seconds=about(12.0))
    two_seconds = (_noise(2.0, 22050) * 32767).astype("<i2").tobytes()
    add("ten_hour_header", _write(root / "10h-header.wav", _wav_header(22050, 1, 16, 10 * 3600 * 22050 * 2)
                                  + two_seconds), OK, OK, 2.0, short_clip=True)
    add("one_sample", _sf(root / "one-sample.wav", np.array([0.5], np.float32), 44100, "PCM_16"), OK, OK,
        0.0, short_clip=True, silent=True)

    # --- names and places -----------------------------------------------------------------
    latin1 = os.fsencode(str(root)) + b"/caf\xe9.flac"
    with open(latin1, "wb") as out:
        out.write(flac.read_bytes())
    add("non_utf8_name", Path(os.fsdecode(latin1)), "not valid UTF-8", OK, seconds=about(6.0),
        short_clip=True)
    long_name = root / (("é" * 120) + ".flac")  # 245 bytes: near the 255-byte limit of a name
    add("long_name", _write(long_name, flac.read_bytes()), OK, OK, 6.0, short_clip=True)
    deep = root / "deep"
    while len(os.fsencode(str(deep))) < 3900:
        deep = deep / ("d" * 200)
    add("deep_path", _write(deep / "song.flac", flac.read_bytes()), OK, OK, 6.0, short_clip=True)
    _beyond_path_max(deep, flac.read_bytes())
    loop = root / "loop"
    loop.mkdir()
    (loop / "again").symlink_to(root, target_is_directory=True)
    (root / "dangling.mp3").symlink_to(root / "no-such-file.mp3")
    os.mkfifo(root / "pipe.wav")  # opening it to read would wait for a writer forever
    return cases


def many_frames(path: Path, count: int) -> Path:
    """A 6 s MP3 whose ID3 tag holds ``count`` tiny frames (mutagen and the decoders' parsers
    take time quadratic in the count)."""
    write_audio(path, seconds=6.0, sr=44100)
    tags = ID3()
    for i in range(count):
        tags.add(TXXX(encoding=3, desc=f"k{i}", text="v"))
    tags.add(TIT2(encoding=3, text="many frames"))
    tags.save(path)
    return path


TOO_DEEP = "beyond-path-max"

WALK_PROBLEMS = {
    "dangling.mp3": "broken link: what it points to does not exist",
    "pipe.wav": "not a regular file (a pipe, socket or device)",
    TOO_DEEP: "folder cannot be read: File name too long",
}
"""Entries of the corpus the walk reports (by the last path part that names them)."""


def _beyond_path_max(deep: Path, data: bytes) -> None:
    """Folders below ``deep`` until the path passes 4,096 bytes (made relative to open folders,
    as only that works), with a song at the bottom that no full path can reach."""
    fd = os.open(deep, os.O_RDONLY)
    length = len(os.fsencode(str(deep)))
    try:
        for name in (TOO_DEEP, "x" * 200):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, length = child, length + 1 + len(name)
        song = os.open("song.flac", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(song, data)
        os.close(song)
    finally:
        os.close(fd)
    assert length > 4096


def _sf(path: Path, samples: np.ndarray, sr: int, subtype: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".wav": "WAV", ".flac": "FLAC"}[path.suffix]
    sf.write(path, samples, sr, format=fmt, subtype=subtype)
    return path
