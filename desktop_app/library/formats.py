"""Which files the library takes in, by extension (the content decides the real format)."""

from __future__ import annotations

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {"mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav", "aif", "aiff", "wma", "wv", "ape"}
)


def is_audio_name(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1 :].lower() in AUDIO_EXTENSIONS
