"""Removing tracks from the library (`library.track_removal`) on SQLite and PostgreSQL: what goes
with a track (analyses, embeddings, manual-playlist entries), what stays (the other tracks, their
analyses, the playlist's other entries), and finding tracks by file or folder and the missing ones."""

from __future__ import annotations

from sqlalchemy import func, select, update

from desktop_app.library import analyses as store
from desktop_app.library.embeddings import save_embeddings
from desktop_app.library.models import Embedding, Track
from desktop_app.library.playlists import create_playlist, find_playlist, playlist_track_ids
from desktop_app.library.track_removal import Removal, missing_track_ids, remove_tracks, track_ids_at, what_removal_takes
from tests.generated_library import insert_analyses, insert_model, insert_tracks, track_row

TRACKS = 40


def _count(library, table) -> int:
    with library.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_removing_tracks_takes_their_analyses_embeddings_and_entries_and_nothing_else(library):
    import numpy as np

    insert_tracks(library, TRACKS)
    model = insert_model(library)
    insert_analyses(library, model, range(1, TRACKS + 1))
    with library.writer.begin() as conn:
        save_embeddings(conn, model, "penultimate", [(t, np.ones(8, dtype=np.float32)) for t in (1, 2, 3)])
        create_playlist(conn, "Mix", [1, 5, 2, 5, 9])
    gone = [5, 2, 999]  # 999 was never there
    with library.engine.connect() as conn:
        before = what_removal_takes(conn, gone)
    assert before == Removal(tracks=2, analyses=2, playlist_entries=3)
    with library.writer.begin() as conn:
        assert remove_tracks(conn, gone) == before
    with library.engine.connect() as conn:
        left = list(conn.execute(select(Track.id).order_by(Track.id)).scalars())
        entries = playlist_track_ids(conn, find_playlist(conn, "Mix"), {})
        assert store.analysis_of(conn, 5, model) is None and store.analysis_of(conn, 6, model) is not None
    assert left == [t for t in range(1, TRACKS + 1) if t not in (2, 5)]
    assert entries == [1, 9], "the playlist keeps its other entries, in order"
    assert _count(library, Embedding.__table__) == 2, "track 2's embedding went with its analysis"
    with library.writer.begin() as conn:
        assert remove_tracks(conn, gone) == Removal(), "removing again finds nothing"


def test_tracks_are_found_by_file_or_folder_and_missing_ones_by_themselves(library):
    insert_tracks(library, TRACKS)
    album = "/music/artist003/album3"
    expected = sorted((i + 1 for i in range(TRACKS) if str(track_row(i)["path"]).startswith(album + "/")),
                      key=lambda t: str(track_row(t - 1)["path"]))
    one = str(track_row(0)["path"])
    with library.writer.begin() as conn:
        conn.execute(update(Track.__table__).where(Track.id.in_([expected[0], 7])).values(available=False))
    with library.engine.connect() as conn:
        assert expected and track_ids_at(conn, [album]) == expected, "missing tracks too, in path order"
        assert track_ids_at(conn, [album + "/"]) == expected
        assert track_ids_at(conn, [one, "/music/artist003/album"]) == [1], "a file; no prefix that is not a folder"
        assert track_ids_at(conn, []) == []
        assert missing_track_ids(conn) == sorted([expected[0], 7], key=lambda t: str(track_row(t - 1)["path"]))
