"""Playlists in the library: genre and smart playlists over real analyses, manual editing, import."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import update

from desktop_app.library.models import Track
from desktop_app.library.playlist_files import export_playlist, import_playlist
from desktop_app.library.playlist_formats import read_playlist
from desktop_app.library.playlists import (
    PlaylistError,
    add_tracks,
    create_all_genre_playlists,
    create_genre_playlist,
    create_playlist,
    delete_playlist,
    duplicate_playlist,
    find_playlist,
    get_playlist,
    move_positions,
    playlist_counts,
    playlist_track_ids,
    remove_positions,
    rename_playlist,
    restore_playlist,
)
from desktop_app.library.smart_rules import Rule, RuleError, SmartRules, evaluate
from tests.audio_files import write_audio
from tests.playlist_support import analyse, current_ids, make_songs


@pytest.fixture
def songs(library, tmp_path):
    return make_songs(library, tmp_path / "music")


def _ids(library, name):
    with library.engine.connect() as conn:
        return playlist_track_ids(conn, find_playlist(conn, name), current_ids(conn))


def test_genre_playlist_takes_top1_at_or_above_the_threshold_ordered_by_confidence(library, songs):
    a, b, c, d = songs.ids
    analyse(library, {a: ("Soft_rock", 0.55), b: ("Soft_rock", 0.9), c: ("Soft_rock", 0.3), d: ("Opera", 0.99)})
    with library.writer.begin() as conn:
        models = current_ids(conn)
        create_genre_playlist(conn, "soft ROCK", min_confidence=0.5, models=models)
        create_genre_playlist(conn, "Soft_rock", name="by album", min_confidence=0.0, models=models,
                              order="album_order")
    assert _ids(library, "Soft rock") == [b, a]
    # album_order: artist, album, track number, title: The Band before Zoë Keating; "#2 …" before "Ça …".
    assert _ids(library, "By Album") == [c, b, a]


def test_smart_playlist_follows_a_re_analysis_and_a_newly_scanned_track(library, songs, tmp_path):
    a, b, c, d = songs.ids
    analyse(library, {a: ("Opera", 0.8), b: ("Opera", 0.3), c: ("Symphony", 0.9)})
    with library.writer.begin() as conn:
        create_genre_playlist(conn, "Opera", min_confidence=0.5, smart=True, models={})
        create_genre_playlist(conn, "Opera", name="Opera snapshot", min_confidence=0.5, models=current_ids(conn))
    assert _ids(library, "Opera") == [a]

    analyse(library, {b: ("Opera", 0.95), a: ("Chamber", 0.7), d: ("Opera", 0.6)})  # the model changes its mind
    assert _ids(library, "Opera") == [b, d]
    assert _ids(library, "Opera snapshot") == [a], "a snapshot keeps what it had"

    new = write_audio(tmp_path / "music" / "new.flac", seconds=0.5, title="New")
    from desktop_app.library.scanner import Scanner

    Scanner(library, workers=1).scan([new])
    with library.engine.connect() as conn:
        new_id = max(conn.execute(Track.__table__.select()).scalars())
    analyse(library, {new_id: ("Opera", 0.7)})
    assert _ids(library, "Opera") == [b, new_id, d]
    with library.engine.connect() as conn:
        counts = playlist_counts(conn, current_ids(conn))
        assert counts[find_playlist(conn, "opera").id] == 3


def test_the_installed_model_decides_whose_predictions_count(library, songs, monkeypatch, tmp_path):
    a, b, *_ = songs.ids
    old = analyse(library, {a: ("Opera", 0.9)}, sha="01" * 32)
    newest = analyse(library, {b: ("Opera", 0.9)}, sha="02" * 32)
    with library.engine.connect() as conn:
        assert current_ids(conn)["ccmusic"] == newest, "no model installed: the last one used"
    from desktop_app.inference import model_store

    installed = type("M", (), {"sha256": "01" * 32, "path": tmp_path / "m.pt", "origin": "test"})()
    monkeypatch.setattr(model_store, "installed_model", lambda: installed)
    with library.engine.connect() as conn:
        assert current_ids(conn)["ccmusic"] == old


def test_smart_rules_cover_every_field_with_and_or_sort_and_limit(library, songs):
    a, b, c, d = songs.ids
    model_id = analyse(library, {a: ("Soft_rock", 0.8), b: ("Teen_pop", 0.6), c: ("Soft_rock", 0.4)})
    with library.writer.begin() as conn:
        conn.execute(update(Track.__table__).where(Track.id == a).values(year=1999, duration=200.0))
        conn.execute(update(Track.__table__).where(Track.id == c).values(year=2005, available=False))

    def run(*rules: Rule, **options) -> list[int]:
        with library.engine.connect() as conn:
            return evaluate(conn, SmartRules(tuple(rules), **options), {"ccmusic": model_id})

    assert run(Rule("predicted", values=("Soft_rock", "Teen_pop")), order="confidence", descending=True) == [a, b, c]
    assert run(Rule("confidence", minimum=0.5, maximum=0.7)) == [b]
    assert run(Rule("tag_genre", values=("soft rock",))) == [a]
    assert run(Rule("artist", text="zoë"), order="title") == [b, a]
    assert run(Rule("album", text="#1"), Rule("year", minimum=1990, maximum=2000)) == [a]
    assert run(Rule("duration", minimum=100)) == [a]
    assert run(Rule("text", text='predicted:rock year:2000-2010')) == [c]
    assert run(Rule("available", flag=False)) == [c]
    assert run(Rule("artist", text="Band"), Rule("artist", text="日本"), match="any", order="title") == [c, d]
    assert run(Rule("predicted", values=("Soft_rock",)), available_only=True) == [a]
    assert run(order="title", limit=2) == [b, c]  # "#2 hash first", "A Song", then "Ça va…"
    with library.engine.connect() as conn:
        assert evaluate(conn, SmartRules((Rule("predicted", values=("Opera",)),)), {}) == [], "no model: nothing"


def test_smart_rules_survive_json_and_reject_nonsense():
    rules = SmartRules((Rule("predicted", values=("Opera",)), Rule("year", minimum=1990.0), Rule("available")),
                       "any", "album_order", True, 50, True)
    assert SmartRules.from_json(rules.to_json()) == rules
    for bad in ({"rules": [{"field": "colour"}]}, {"rules": [{"field": "predicted", "values": ["Polka"]}]},
                {"order": "random"}, {"limit": -1}, {"match": "some"},
                {"rules": [{"field": "year", "minimum": 2000, "maximum": 1990}]}):
        with pytest.raises(RuleError):
            SmartRules.from_json(bad)


def test_manual_editing_rename_duplicate_delete_and_undo(library, songs):
    a, b, c, d = songs.ids
    with library.writer.begin() as conn:
        pid = create_playlist(conn, "Mine", [a, b])
        add_tracks(conn, pid, [c, d], at=1)
        assert playlist_track_ids(conn, get_playlist(conn, pid), {}) == [a, c, d, b]
        assert move_positions(conn, pid, [0, 2], 4) == [2, 3]
        assert playlist_track_ids(conn, get_playlist(conn, pid), {}) == [c, b, a, d]
        move_positions(conn, pid, [3], 0)
        remove_positions(conn, pid, [1])
        assert playlist_track_ids(conn, get_playlist(conn, pid), {}) == [d, b, a]
        with pytest.raises(PlaylistError, match="exists already"):
            create_playlist(conn, "mine")
        rename_playlist(conn, pid, "Ours")
        copy = duplicate_playlist(conn, pid)
        assert get_playlist(conn, copy).name == "Ours copy"
        snapshot = delete_playlist(conn, pid)
        with pytest.raises(PlaylistError):
            get_playlist(conn, pid)
        restored = restore_playlist(conn, snapshot)
        assert (get_playlist(conn, restored).name, playlist_track_ids(conn, get_playlist(conn, restored), {})) == (
            "Ours", [d, b, a])
        smart = create_playlist(conn, "Smart", rules=SmartRules())
        with pytest.raises(PlaylistError, match="smart"):
            add_tracks(conn, smart, [a])


def test_create_all_genre_playlists_skips_empty_genres_and_taken_names(library, songs):
    a, b, c, _d = songs.ids
    analyse(library, {a: ("Opera", 0.9), b: ("Solo", 0.9), c: ("Solo", 0.2)})
    with library.writer.begin() as conn:
        create_playlist(conn, "solo")
        created, skipped = create_all_genre_playlists(conn, model="ccmusic", models=current_ids(conn))
        assert [get_playlist(conn, i).name for i in created] == ["Opera"]
        assert skipped == ["Solo"]


def test_export_skips_missing_files_with_a_count_or_keeps_them(library, songs, tmp_path):
    a, b, c, d = songs.ids
    with library.writer.begin() as conn:
        pid = create_playlist(conn, "All", [a, b, c, d])
        conn.execute(update(Track.__table__).where(Track.id == b).values(available=False))
        playlist = get_playlist(conn, pid)
    skipped = export_playlist(library, playlist, tmp_path / "out.xspf", "xspf", models={}, relative=True)
    assert (skipped.written, skipped.skipped_unavailable, skipped.absolute_fallbacks) == (3, 1, 0)
    assert [e.path for e in read_playlist(tmp_path / "out.xspf")] == [str(songs.paths[i]) for i in (0, 2, 3)]
    kept = export_playlist(library, playlist, tmp_path / "out.pls", "pls", models={}, keep_unavailable=True)
    assert (kept.written, kept.skipped_unavailable) == (4, 0)


def test_import_adds_library_tracks_scans_new_files_and_reports_the_rest(library, songs, tmp_path):
    a, b, *_ = songs.ids
    outside = write_audio(tmp_path / "elsewhere" / "Nouveau #3.flac", seconds=0.3, title="Nouveau")
    not_audio = tmp_path / "elsewhere" / "notes.txt"
    not_audio.write_text("hi", encoding="utf-8")
    lists = tmp_path / "lists"
    lists.mkdir()
    rel = os.path.relpath(songs.paths[1], lists)
    (lists / "party.m3u").write_text(
        "#EXTM3U\n#EXTINF:1,Zoë Keating - Ça va\n"
        f"{songs.paths[0]}\n{rel}\n../elsewhere/Nouveau #3.flac\n../elsewhere/gone.mp3\n"
        f"{not_audio}\nhttp://example.org/stream.mp3\n{songs.paths[0]}\n", encoding="utf-8")

    result = import_playlist(library, lists / "party.m3u")
    assert (result.name, result.entries, result.added, result.scanned) == ("party", 7, 4, 1)
    assert [p["entry"] for p in result.not_found] == ["../elsewhere/gone.mp3", str(not_audio),
                                                       "http://example.org/stream.mp3"]
    assert "no such file" in result.not_found[0]["reason"]
    assert result.not_found[2]["reason"] == "not a local file"
    with library.engine.connect() as conn:
        ids = playlist_track_ids(conn, get_playlist(conn, result.playlist_id), {})
        new_id = conn.execute(Track.__table__.select().where(Track.path == str(outside))).scalar_one()
    assert ids == [a, b, new_id, a]
    again = import_playlist(library, lists / "party.m3u")
    assert (again.name, again.scanned) == ("party (2)", 0)


@pytest.mark.parametrize("fmt", ["m3u8", "pls", "xspf"])
def test_export_then_import_gives_the_same_playlist(library, songs, tmp_path, fmt):
    with library.writer.begin() as conn:
        pid = create_playlist(conn, "Round ü", list(reversed(songs.ids)))
        playlist = get_playlist(conn, pid)
    out = tmp_path / "lists" / f"round trip.{fmt}"
    out.parent.mkdir()
    export_playlist(library, playlist, out, fmt, models={}, relative=True)
    result = import_playlist(library, out, "Back")
    assert (result.added, result.scanned, result.not_found) == (4, 0, [])
    with library.engine.connect() as conn:
        assert playlist_track_ids(conn, get_playlist(conn, result.playlist_id), {}) == list(reversed(songs.ids))


def test_playlists_larger_than_sqlites_parameter_limit(library, tmp_path):
    """40,000 entries: every IN (…) is batched (SQLite allows 32,766 parameters per statement)."""
    from tests.generated_library import insert_tracks

    insert_tracks(library, 40_000)
    ids = list(range(40_000, 0, -1))
    with library.writer.begin() as conn:
        playlist = get_playlist(conn, create_playlist(conn, "Huge", ids))
    result = export_playlist(library, playlist, tmp_path / "huge.m3u8", "m3u8", models={})
    assert result.written == 40_000
    assert read_playlist(tmp_path / "huge.m3u8")[0].path == "/music/artist049/album3/track039999.mp3"
    with library.writer.begin() as conn:
        restored = restore_playlist(conn, delete_playlist(conn, playlist.id))
        assert playlist_track_ids(conn, get_playlist(conn, restored), {}) == ids
