"""`genrescope FILE...` (the desktop launcher's "Open with Genrescope"): audio is added, playlists imported."""

from __future__ import annotations

from pathlib import Path

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.library.playlists import list_playlists, playlist_track_ids
from tests.audio_files import write_audio


def test_opened_playlist_is_imported_and_audio_files_are_scanned(qtbot, library, tmp_path: Path) -> None:
    songs = [write_audio(tmp_path / "music" / f"song{i}.flac", title=f"Song {i}") for i in range(3)]
    playlist = tmp_path / "Road trip.m3u8"
    playlist.write_text(f"#EXTM3U\n{songs[0]}\n{songs[1]}\n", encoding="utf-8")
    window = MainWindow(library, AppSettings())
    qtbot.addWidget(window)
    window.show()

    window.start_up([str(playlist), str(songs[2])])

    def imported() -> bool:
        with library.engine.connect() as conn:
            return [p.name for p in list_playlists(conn)] == ["Road trip"]

    qtbot.waitUntil(lambda: imported() and window.is_idle() and window.table_model.rowCount() == 3, timeout=30_000)
    with library.engine.connect() as conn:
        (info,) = list_playlists(conn)
        assert len(playlist_track_ids(conn, info, None)) == 2
    assert window.problems.count == 0  # the .m3u8 was not scanned as an audio file
    window.close()
