"""A small library of real music in three kinds, for similarity and learned-genre tests.

Two 20 s clips of every recording in `real_music` (one from each half of the song), written as
FLAC files tagged with the recording's composer as artist and its category as genre (none for the
two uncategorised recordings), then scanned and tagged by the built-in tagger once per test
module. Clips keep the tagger's work to about 15 s while every kind has at least five songs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from tests.audio_files import tag_file
from tests.real_music import EVERY_RECORDING, Recording, recording_path

CLIP_SECONDS = 20.0
GENRE_TAGS = {"classical": "Classical", "rock": "Rock", "game-electronic": "Electronic"}
"""The genre tag written into each clip of a category, as a person's files would carry it."""


@dataclass(frozen=True)
class Clip:
    path: Path
    recording: Recording
    half: int


def write_clips(folder: Path) -> list[Clip]:
    """Two clips per recording in ``folder``, tagged; returns them in recording order."""
    clips: list[Clip] = []
    folder.mkdir(parents=True, exist_ok=True)
    for recording in EVERY_RECORDING:
        samples, rate = sf.read(recording_path(recording), dtype="float32", always_2d=True)
        duration = len(samples) / rate
        for half in (0, 1):
            start = min(duration * (0.25 + 0.5 * half) - CLIP_SECONDS / 2, duration - CLIP_SECONDS)
            start = max(0.0, start)
            piece = samples[int(start * rate): int((start + CLIP_SECONDS) * rate)]
            path = folder / f"{recording.key}-{half + 1}.flac"
            sf.write(path, piece, rate, format="FLAC")
            tags = {"title": f"{recording.title} ({half + 1})", "artist": recording.composer}
            if recording.category is not None:
                tags["genre"] = GENRE_TAGS[recording.category]
            tag_file(path, **tags)
            clips.append(Clip(path, recording, half))
    return clips


def copy_library(db: Path, target: Path) -> Path:
    """A consistent copy of a library database (SQLite's backup API: WAL contents included)."""
    import sqlite3

    with sqlite3.connect(db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target
