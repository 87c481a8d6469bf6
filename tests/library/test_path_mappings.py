"""Per-machine path mappings: the resolver's rules, the stored mappings, and a scan from a second
machine that reaches the same files through another folder (a copy of the tree, with the same
sizes and times, as a share mounted elsewhere shows them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app.library.models import Track
from desktop_app.library.path_mappings import (
    FolderMapping,
    PathMappingError,
    PathResolver,
    list_mappings,
    machine_name,
    remove_mapping,
    set_mapping,
)
from desktop_app.library.playlist_files import export_playlist, import_playlist
from desktop_app.library.playlists import create_playlist, get_playlist, playlist_track_ids
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio


def resolver(*pairs: tuple[str, str]) -> PathResolver:
    return PathResolver("b", [FolderMapping("b", library, local) for library, local in pairs])


def test_prefixes_match_whole_folder_names_only():
    paths = resolver(("/mnt/music", "/Volumes/music"))
    assert paths.to_local("/mnt/music/a/x.flac") == "/Volumes/music/a/x.flac"
    assert paths.to_local("/mnt/music") == "/Volumes/music"
    assert paths.to_local("/mnt/musicals/x.flac") == "/mnt/musicals/x.flac"  # not a string prefix
    assert paths.to_local("/mnt/mus") == "/mnt/mus"
    assert paths.to_library("/Volumes/music/a/x.flac") == "/mnt/music/a/x.flac"
    assert paths.to_library("/Volumes/music2/x.flac") == "/Volumes/music2/x.flac"


def test_the_longest_prefix_wins_both_ways_and_paths_round_trip():
    paths = resolver(("/mnt/music", "/Volumes/music"), ("/mnt/music/classical", "/Volumes/classical"))
    assert paths.to_local("/mnt/music/classical/bach.flac") == "/Volumes/classical/bach.flac"
    assert paths.to_local("/mnt/music/rock/x.flac") == "/Volumes/music/rock/x.flac"
    assert paths.to_library("/Volumes/classical/bach.flac") == "/mnt/music/classical/bach.flac"
    for stored in ("/mnt/music/classical/bach.flac", "/mnt/music/rock/x.flac", "/elsewhere/y.mp3", "/mnt/music"):
        assert paths.to_library(paths.to_local(stored)) == stored


def test_a_root_prefix_and_another_machines_mappings():
    paths = PathResolver("b", [FolderMapping("b", "/", "/srv/a-root"), FolderMapping("c", "/mnt", "/c")])
    assert paths.to_local("/mnt/x.flac") == "/srv/a-root/mnt/x.flac"  # machine c's mapping is not b's
    assert paths.to_library("/srv/a-root/mnt/x.flac") == "/mnt/x.flac"
    assert paths.to_library("/srv/a-root") == "/"
    assert not PathResolver("b", [FolderMapping("c", "/mnt", "/c")])


def test_the_stored_folders_under_a_local_folder():
    paths = resolver(("/mnt/music", "/Volumes/music"), ("/srv/films", "/Volumes/films"), ("/x", "/elsewhere"))
    assert paths.stored_roots("/Volumes") == ["/Volumes", "/mnt/music", "/srv/films"]
    assert paths.stored_roots("/Volumes/music/rock") == ["/mnt/music/rock"]
    assert paths.stored_roots("/home") == ["/home"]


def test_mappings_are_stored_per_machine_listed_replaced_and_removed(library, monkeypatch):
    monkeypatch.setenv("GENRESCOPE_MACHINE", "laptop")
    assert machine_name() == "laptop" and not library.paths
    stored = set_mapping(library, "/mnt/music/", "/Volumes//music/./")  # written loosely: kept normalised
    assert stored == FolderMapping("laptop", "/mnt/music", "/Volumes/music")
    set_mapping(library, "/mnt/music", "/media/share", machine="kitchen")
    assert library.paths.to_local("/mnt/music/x.flac") == "/Volumes/music/x.flac"  # the cache was renewed

    set_mapping(library, "/mnt/music", "/Volumes/nas")  # replaces laptop's mapping of that prefix
    assert list_mappings(library) == [
        FolderMapping("kitchen", "/mnt/music", "/media/share"),
        FolderMapping("laptop", "/mnt/music", "/Volumes/nas"),
    ]
    assert list_mappings(library, "kitchen") == [FolderMapping("kitchen", "/mnt/music", "/media/share")]
    assert library.paths.to_local("/mnt/music/x.flac") == "/Volumes/nas/x.flac"

    monkeypatch.setenv("GENRESCOPE_MACHINE", "kitchen")  # another machine's name: its own mappings
    assert library.paths.to_local("/mnt/music/x.flac") == "/media/share/x.flac"

    assert remove_mapping(library, "/mnt/music/", machine="laptop")
    assert not remove_mapping(library, "/mnt/music", machine="laptop")
    assert list_mappings(library) == [FolderMapping("kitchen", "/mnt/music", "/media/share")]


@pytest.mark.parametrize(
    "library_prefix,local_prefix,message",
    [
        ("music", "/Volumes/music", "not an absolute folder path"),
        ("/mnt/music", "Volumes/music", "not an absolute folder path"),
        ("/mnt/music", "/mnt/music/", "mapped to itself"),
    ],
)
def test_bad_mappings_are_refused(library, library_prefix, local_prefix, message):
    with pytest.raises(PathMappingError, match=message):
        set_mapping(library, library_prefix, local_prefix, machine="b")
    assert list_mappings(library) == []


def test_two_library_folders_cannot_share_one_local_folder(library):
    set_mapping(library, "/mnt/music", "/Volumes/music", machine="b")
    with pytest.raises(PathMappingError, match="already where /mnt/music is"):
        set_mapping(library, "/srv/music", "/Volumes/music", machine="b")
    set_mapping(library, "/srv/music", "/Volumes/music", machine="c")  # another machine may
    assert len(list_mappings(library)) == 2


@pytest.fixture
def shared(tmp_path: Path, library, monkeypatch):
    """Machine a scans a/music and a/other; machine b sees a/music as a copy at b/share/music."""
    a_music, a_other = tmp_path / "a" / "music", tmp_path / "a" / "other"
    for i in range(3):
        write_audio(a_music / f"album{i}" / f"song{i}.wav", seconds=0.5, title=f"Song {i}")
    write_audio(a_other / "elsewhere.wav", seconds=0.5)
    monkeypatch.setenv("GENRESCOPE_MACHINE", "a")
    result = Scanner(library, executor="inline").scan([a_music, a_other])
    assert result.added == 4
    b_music = tmp_path / "b" / "share" / "music"
    shutil.copytree(a_music, b_music)  # copy2: the same sizes and modification times
    monkeypatch.setenv("GENRESCOPE_MACHINE", "b")
    set_mapping(library, str(a_music), str(b_music))
    return a_music, a_other, b_music


def rows(library) -> dict[str, tuple[int, bool]]:
    with library.engine.connect() as conn:
        found = conn.execute(select(Track.id, Track.path, Track.available))
        return {row.path: (row.id, row.available) for row in found}


def test_a_scan_on_another_machine_finds_the_same_tracks_and_leaves_the_others_alone(library, shared):
    a_music, a_other, b_music = shared
    before = rows(library)
    result = Scanner(library, executor="inline").scan([b_music])
    assert (result.added, result.updated, result.unchanged, result.missing) == (0, 0, 3, 0)
    assert rows(library) == before  # the same ids, no duplicate, a/other still available

    # A file added and one removed, seen from b: stored as a stores it, and judged under b's root only.
    write_audio(b_music / "album9" / "new.wav", seconds=0.5)
    (b_music / "album0" / "song0.wav").unlink()
    result = Scanner(library, executor="inline").scan([b_music])
    assert (result.added, result.unchanged, result.missing) == (1, 2, 1)
    after = rows(library)
    assert after[str(a_music / "album9" / "new.wav")][1]
    assert after[str(a_music / "album0" / "song0.wav")] == (before[str(a_music / "album0" / "song0.wav")][0], False)
    assert after[str(a_other / "elsewhere.wav")] == before[str(a_other / "elsewhere.wav")]
    assert not any(path.startswith(str(b_music)) for path in after)


def test_a_scan_of_a_folder_holding_a_mapped_one_judges_its_tracks(library, shared):
    a_music, a_other, b_music = shared
    before = rows(library)
    (b_music / "album1" / "song1.wav").unlink()
    result = Scanner(library, executor="inline").scan([b_music.parent])  # b/share, which holds b/share/music
    assert (result.added, result.unchanged, result.missing) == (0, 2, 1)
    after = rows(library)
    assert after[str(a_music / "album1" / "song1.wav")] == (before[str(a_music / "album1" / "song1.wav")][0], False)
    assert after[str(a_other / "elsewhere.wav")] == before[str(a_other / "elsewhere.wav")]


def test_a_machine_without_a_mapping_adds_its_own_paths_and_marks_nothing_of_the_others(library, shared, monkeypatch):
    a_music, a_other, b_music = shared
    before = rows(library)
    monkeypatch.setenv("GENRESCOPE_MACHINE", "c")  # no mapping: b/share/music is just another folder
    result = Scanner(library, executor="inline").scan([b_music])
    assert (result.added, result.missing) == (3, 0)
    after = rows(library)
    assert {path: after[path] for path in before} == before
    with library.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Track)).scalar_one() == 7


def test_playlists_export_this_machines_paths_and_import_finds_the_tracks(library, shared, tmp_path):
    a_music, _a_other, b_music = shared
    ids = {path: track_id for path, (track_id, _) in rows(library).items()}
    wanted = [ids[str(a_music / f"album{i}" / f"song{i}.wav")] for i in range(3)]
    with library.writer.begin() as conn:
        playlist = get_playlist(conn, create_playlist(conn, "Shared", wanted))
    out = tmp_path / "shared.m3u8"
    export_playlist(library, playlist, out, "m3u8", models={})
    written = [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert written == [str(b_music / f"album{i}" / f"song{i}.wav") for i in range(3)]

    def no_scan(paths: list[str]) -> list[dict[str, str]]:
        raise AssertionError(f"the files are in the library already, nothing to scan: {paths}")

    imported = import_playlist(library, out, "Back", scan=no_scan)
    assert (imported.added, imported.scanned, imported.not_found) == (3, 0, [])
    with library.engine.connect() as conn:
        assert playlist_track_ids(conn, get_playlist(conn, imported.playlist_id), {}) == wanted
