"""Audio files the tests generate themselves: tones and noise written with soundfile, tagged with mutagen."""

from __future__ import annotations

from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf
from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK

FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}


def tone(seconds: float = 1.0, sr: int = 22050, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr), dtype=np.float32) / sr
    mono = 0.3 * np.sin(2 * np.pi * freq * t, dtype=np.float32)
    return mono if channels == 1 else np.stack([mono] * channels, axis=1)


def write_audio(
    path: Path,
    seconds: float = 1.0,
    sr: int = 22050,
    freq: float = 440.0,
    channels: int = 1,
    **tags: str | list[str],
) -> Path:
    """Write a tone in the format the suffix names and tag it (title, artist, album, genre, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, sr, freq, channels), sr, format=FORMATS[path.suffix.lower()])
    if tags:
        tag_file(path, **tags)
    return path


def tag_file(path: Path, **tags: str | list[str]) -> None:
    values = {k: v if isinstance(v, list) else [v] for k, v in tags.items()}
    if path.suffix.lower() in (".mp3", ".wav"):
        audio = mutagen.File(path)
        if audio.tags is None:
            audio.add_tags()
        id3: ID3 = audio.tags
        frames = {"title": TIT2, "artist": TPE1, "album": TALB, "genre": TCON, "tracknumber": TRCK, "date": TDRC}
        for key, texts in values.items():
            id3.add(frames[key](encoding=3, text=texts))
        audio.save()
    else:
        audio = mutagen.File(path)
        for key, texts in values.items():
            audio[key] = texts
        audio.save()
