"""`stored_folders`: the main folders of a library's stored paths, offered when mapping one (on
SQLite and PostgreSQL: the skip through the index relies on both sorting paths by code point)."""

from __future__ import annotations

from datetime import datetime

from desktop_app.library.models import Track
from desktop_app.library.stored_folders import stored_folders

NOW = datetime(2024, 1, 1)
PATHS = [
    "/mnt/music/Abba/Gold/01.flac",
    "/mnt/music/Zappa/Apostrophe/01.flac",
    "/mnt/musicals/Cats/01.flac",  # beside /mnt/music, not inside it
    "/mnt/music-old/x.mp3",  # sorts before /mnt/music/ ("-" < "/")
    "/a.wav",  # ditto, before the others
    "/home/ann/Music/Blur/Parklife/01.mp3",
    "/home/ann/Music/Oasis/01.mp3",
    "/home/bob/Müsik/Tocotronic/01.ogg",
    "/music/artist1/album1/01.mp3",
    "/music/artist2/01.mp3",
    "/Volumes/nas/only/one/folder/01.wav",
    "/top.wav",  # a file at the top: no folder of its own
    "C:/Music/not-mappable.mp3",
]


def _store(library, paths: list[str]) -> None:
    rows = [{"path": p, "added_at": NOW, "scanned_at": NOW, "available": True} for p in paths]
    with library.writer.begin() as conn:
        conn.execute(Track.__table__.insert(), rows)


def test_each_main_folder_once_as_deep_as_its_files_share(library):
    with library.engine.connect() as conn:
        assert stored_folders(conn) == []
    _store(library, PATHS)
    with library.engine.connect() as conn:
        assert stored_folders(conn) == [
            "/Volumes/nas/only/one/folder",
            "/home/ann/Music",
            "/home/bob/Müsik/Tocotronic",
            "/mnt/music-old",  # in code point order, as stored
            "/mnt/music",
            "/mnt/musicals/Cats",
            "/music",
        ]
        assert stored_folders(conn, limit=2) == ["/Volumes/nas/only/one/folder", "/home/ann/Music"]
