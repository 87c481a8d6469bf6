"""A small real library for playlist tests: generated audio files, scanned, with analyses stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.library.analyses import AnalysisRecord, register_model, save_analyses
from desktop_app.library.database import Library
from desktop_app.library.models import Track
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

SHA = "5e" * 32

# Names that break naive writers and readers: non-ASCII, spaces, "#", "%", a leading "#".
SONGS: list[tuple[str, dict[str, str]]] = [
    ("Zoë Keating/Été #1/01 Ça va 100% bien.flac", {"title": "Ça va 100% bien", "artist": "Zoë Keating",
                                                     "album": "Été #1", "genre": "Soft rock"}),
    ("Zoë Keating/Été #1/#2 hash first.ogg", {"title": "#2 hash first", "artist": "Zoë Keating",
                                               "album": "Été #1"}),
    ("The Band/Plain/a song.wav", {"title": "A Song", "artist": "The Band", "album": "Plain", "genre": "Rock"}),
    ("日本/歌 %20 literal.mp3", {"title": "歌", "artist": "日本"}),
]


@dataclass
class Songs:
    root: Path
    paths: list[Path]
    ids: list[int]


def make_songs(library: Library, root: Path, seconds: float = 1.0) -> Songs:
    """Write SONGS under ``root`` and scan them; ids in SONGS order."""
    paths = [write_audio(root / rel, seconds=seconds, **tags) for rel, tags in SONGS]
    result = Scanner(library, workers=1).scan([root])
    assert result.errors == 0, result.error_files
    with library.engine.connect() as conn:
        by_path = dict(conn.execute(select(Track.path, Track.id)).all())
    return Songs(root, paths, [by_path[str(p)] for p in paths])


def analyse(library: Library, verdicts: dict[int, tuple[str, float]], sha: str = SHA) -> int:
    """Store (genre key, confidence) per track id as the analyses of the model ``sha``; its id."""
    with library.writer.begin() as conn:
        model_id = register_model(conn, sha, "test model", "test", GENRE_KEYS)
        save_analyses(conn, model_id, [(track_id, AnalysisRecord(top1=key, confidence=confidence, window_count=1))
                                       for track_id, (key, confidence) in verdicts.items()])
    return model_id


def current_ids(conn) -> dict[str, int]:
    """The current model id of each name, as the CLI and the window pass them to playlists."""
    from desktop_app.analysis.current import current_models

    return {name: info.id for name, info in current_models(conn).items() if info.id is not None}


def created(qtbot, panel, start) -> int:
    """Run ``start()`` (a pane command that creates a playlist) and wait for the new playlist's id:
    playlist writes run on a worker, and the pane is asked to select what was created."""
    made: list[int] = []

    def record(playlist_id: int) -> None:
        made.append(playlist_id)

    panel.commands.selectRequested.connect(record)
    try:
        start()
        qtbot.waitUntil(lambda: bool(made), timeout=10_000)
    finally:
        panel.commands.selectRequested.disconnect(record)
    return made[0]
