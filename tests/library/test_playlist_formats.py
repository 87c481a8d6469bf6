"""M3U8, PLS and XSPF files: round trips on awkward names, the exact text, schema validity, paths."""

from __future__ import annotations

import ntpath
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from desktop_app.library.playlist_formats import (
    FORMATS,
    Location,
    PlaylistFileError,
    PlaylistItem,
    playlist_location,
    read_playlist,
    write_playlist,
)
from desktop_app.library.playlist_formats.locations import location_uri, resolve_location
from tests.audio_files import write_audio
from tests.locations import TEST_DATA
from tests.playlist_support import SONGS

XSPF_SCHEMA = TEST_DATA / "xspf-1.xsd"


def _songs(root: Path) -> list[Path]:
    return [write_audio(root / rel, seconds=0.2) for rel, _tags in SONGS]


def _items(paths: list[Path], folder: Path, relative: bool) -> list[PlaylistItem]:
    return [PlaylistItem(playlist_location(str(p), str(folder), relative), tags["title"], tags["artist"],
                         tags.get("album"), 61.4 + i)
            for i, (p, (_rel, tags)) in enumerate(zip(paths, SONGS))]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_round_trip_keeps_paths_titles_and_durations(tmp_path, fmt, relative):
    paths = _songs(tmp_path / "music")
    folder = tmp_path / "lists" / "mine"
    folder.mkdir(parents=True)
    out = folder / f"Mix ü #1{FORMATS[fmt].extension}"
    write_playlist(out, fmt, _items(paths, folder, relative), "Mix ü #1")

    entries = read_playlist(out)
    assert [e.path for e in entries] == [str(p) for p in paths]
    assert [e.title for e in entries] == [f"{tags['artist']} - {tags['title']}" for _rel, tags in SONGS]
    expected = [61.4 + i for i in range(len(SONGS))]
    if fmt == "xspf":
        assert [e.duration for e in entries] == pytest.approx(expected)  # milliseconds
    else:
        assert [e.duration for e in entries] == [round(d) for d in expected]  # whole seconds
    text = out.read_text(encoding="utf-8")
    assert (str(tmp_path) in text) is (not relative) or fmt == "xspf"
    assert not [f for f in os.listdir(folder) if f != out.name], "no temporary file is left behind"


def test_m3u8_is_extended_m3u_with_extinf_and_a_hash_name_cannot_become_a_comment(tmp_path):
    paths = _songs(tmp_path / "music")
    folder = paths[1].parent  # "#2 hash first.ogg" lives here: its relative path starts with "#"
    out = folder / "list.m3u8"
    write_playlist(out, "m3u8", _items(paths[:2], folder, True), "Été")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:Été",
        "#EXTINF:61,Zoë Keating - Ça va 100% bien",
        "01 Ça va 100% bien.flac",
        "#EXTINF:62,Zoë Keating - #2 hash first",
        "./#2 hash first.ogg",
    ]
    assert [e.path for e in read_playlist(out)] == [str(p) for p in paths[:2]]


def test_pls_is_version_2_with_numbered_file_title_length(tmp_path):
    paths = _songs(tmp_path / "music")
    out = tmp_path / "list.pls"
    write_playlist(out, "pls", _items(paths, tmp_path, False)[2:3], "x")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "[playlist]", f"File1={paths[2]}", "Title1=The Band - A Song", "Length1=63", "NumberOfEntries=1", "Version=2",
    ]


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_xspf_is_valid_against_the_xspf_1_schema_with_percent_encoded_uris(tmp_path, relative):
    paths = _songs(tmp_path / "music")
    out = tmp_path / "list.xspf"
    write_playlist(out, "xspf", _items(paths, tmp_path, relative), "Mix <&> \"quoted\"")
    schema = xmlschema.XMLSchema(XSPF_SCHEMA)
    schema.validate(str(out))
    ns = {"x": "http://xspf.org/ns/0/"}
    root = ET.parse(out).getroot()
    assert root.findtext("x:title", namespaces=ns) == 'Mix <&> "quoted"'
    first = root.find("x:trackList/x:track", ns)
    encoded = "Zo%C3%AB%20Keating/%C3%89t%C3%A9%20%231/01%20%C3%87a%20va%20100%25%20bien.flac"
    expected = f"music/{encoded}" if relative else f"file://{tmp_path}/music/{encoded}"  # tmp_path: no escapes
    assert [child.tag.split("}")[1] for child in first] == ["location", "title", "creator", "album", "duration"]
    assert [child.text for child in first] == [expected, "Ça va 100% bien", "Zoë Keating", "Été #1", "61400"]


def test_the_schema_rejects_what_players_choke_on(tmp_path):
    """The schema is strict enough to catch a raw space in a URI or a duration in seconds."""
    schema = xmlschema.XMLSchema(XSPF_SCHEMA)
    bad = ('<playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList><track>'
           '<location>file:///a b.flac</location><duration>1.5</duration></track></trackList></playlist>')
    assert len(list(schema.iter_errors(bad))) == 2


def test_relative_paths_fall_back_to_absolute_on_another_drive():
    """Simulated with Windows paths: C: and D: have no relative path between them (ntpath raises)."""
    other = playlist_location(r"D:\Music\Été #1\a b.flac", r"C:\Users\me\Lists", True, ntpath)
    assert other == Location(r"D:\Music\Été #1\a b.flac", False)
    same = playlist_location(r"C:\Users\me\Music\a b.flac", r"C:\Users\me\Lists", True, ntpath)
    assert same == Location("../Music/a b.flac", True)
    assert location_uri(other) == "file:///D:/Music/%C3%89t%C3%A9%20%231/a%20b.flac"


def test_relative_paths_fall_back_to_absolute_on_another_file_system(tmp_path):
    """POSIX's drives: a playlist on one mount pointing into another (/dev/shm is tmpfs here)."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    song = write_audio(tmp_path / "a.wav", seconds=0.1)
    assert playlist_location(str(song), str(shm), True) == Location(str(song), False)
    assert playlist_location(str(song), str(tmp_path / "lists"), True) == Location("../a.wav", True)


def test_a_failed_write_leaves_the_old_playlist_untouched(tmp_path):
    out = tmp_path / "keep.m3u8"
    out.write_text("old", encoding="utf-8")
    broken = PlaylistItem(Location("/x.flac", False), duration="not a number")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        write_playlist(out, "m3u8", [broken], "t")
    assert out.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["keep.m3u8"]


# --- files written by other programs, from the formats' descriptions --------------------------


def test_reads_hand_written_extended_m3u_with_crlf_bom_attributes_and_comments(tmp_path):
    (tmp_path / "sub dir").mkdir()
    text = ("\ufeff#EXTM3U\r\n# a comment\r\n#EXTINF:123 tvg-id=\"x\",Artist - Title, with comma\r\n"
            "sub dir/One.flac\r\n\r\n#EXTINF:-1,Stream\r\nhttp://radio.example/stream\r\n"
            "file:///music/Z%C3%BC%20%231.mp3\r\nsub dir\\Two.flac\r\n")
    (tmp_path / "sub dir" / "Two.flac").write_bytes(b"")
    (tmp_path / "list.m3u").write_bytes(text.encode("utf-8"))
    entries = read_playlist(tmp_path / "list.m3u")
    assert [(e.path, e.title, e.duration) for e in entries] == [
        (str(tmp_path / "sub dir" / "One.flac"), "Artist - Title, with comma", 123.0),
        (None, "Stream", None),
        ("/music/Zü #1.mp3", None, None),
        (str(tmp_path / "sub dir" / "Two.flac"), None, None),  # Windows separators, file exists
    ]


def test_reads_a_latin_1_m3u(tmp_path):
    (tmp_path / "old.m3u").write_bytes("#EXTM3U\n#EXTINF:5,Caf\xe9\ncaf\xe9.mp3\n".encode("latin-1"))
    [entry] = read_playlist(tmp_path / "old.m3u")
    assert (entry.path, entry.title) == (str(tmp_path / "café.mp3"), "Café")


def test_reads_hand_written_pls_v2_in_number_order_any_case(tmp_path):
    text = ("[playlist]\nNumberOfEntries=3\nfile2=/abs/b.mp3\nTitle2=Bee\nLength2=-1\n"
            "File1=rel/a %20.ogg\nTitle1=Ay\nLength1=200\n"
            "File3=file:///c/%C3%A9.flac\nVersion=2\n")
    (tmp_path / "x.pls").write_text(text, encoding="utf-8")
    entries = read_playlist(tmp_path / "x.pls")
    assert [(e.path, e.title, e.duration) for e in entries] == [
        (str(tmp_path / "rel" / "a %20.ogg"), "Ay", 200.0),
        ("/abs/b.mp3", "Bee", None),
        ("/c/é.flac", None, None),
    ]


def test_reads_hand_written_xspf_with_file_uris_and_relative_references(tmp_path):
    text = """<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <title>From another player</title>
  <trackList>
    <track><location>file:///home/me/M%C3%BAsica/a%20%231.flac</location><title>A</title>
      <creator>Me</creator><duration>1500</duration></track>
    <track><location>file://localhost/srv/b%25.mp3</location></track>
    <track><location>sub/c%20d.ogg</location><location>http://mirror/c.ogg</location></track>
    <track><title>no location: nothing to play</title></track>
    <track><location>https://example.org/e.mp3</location></track>
  </trackList>
</playlist>"""
    (tmp_path / "x.xspf").write_text(text, encoding="utf-8")
    entries = read_playlist(tmp_path / "x.xspf")
    assert [(e.path, e.title, e.duration) for e in entries] == [
        ("/home/me/Música/a #1.flac", "Me - A", 1.5),
        ("/srv/b%.mp3", None, None),
        (str(tmp_path / "sub" / "c d.ogg"), None, None),
        (None, None, None),
    ]


def test_unreadable_playlists_say_why(tmp_path):
    (tmp_path / "x.xspf").write_text("<playlist>", encoding="utf-8")
    (tmp_path / "x.txt").write_text("a.mp3", encoding="utf-8")
    with pytest.raises(PlaylistFileError, match="not valid XML"):
        read_playlist(tmp_path / "x.xspf")
    with pytest.raises(PlaylistFileError, match="not a playlist"):
        read_playlist(tmp_path / "x.txt")


def test_percent_in_a_plain_path_is_literal_unless_only_the_decoded_file_exists(tmp_path):
    (tmp_path / "100%.mp3").write_bytes(b"")
    (tmp_path / "a b.mp3").write_bytes(b"")
    assert resolve_location("100%.mp3", str(tmp_path)) == str(tmp_path / "100%.mp3")
    assert resolve_location("a%20b.mp3", str(tmp_path)) == str(tmp_path / "a b.mp3")
