"""Hostile playlist files: traversal, URLs, devices, 100,000 entries, binary garbage, byte order
marks, line ends, XML bombs. Each file is refused with a reason or imported with a reason for
every entry left out; an import reads what the entries name, like a player, and writes no file.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app.library.database import open_library
from desktop_app.library.playlist_files import import_playlist, safe_file_name
from desktop_app.library.playlist_formats import PlaylistFileError
from tests.audio_files import write_audio

GENRESCOPE = [sys.executable, "-m", "desktop_app"]


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    found = {}
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path):
                st = os.stat(path)
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails the test (local sockets, used by the scanner's
    process pool, stay allowed)."""
    connect = socket.socket.connect

    def local_only(self: socket.socket, address: object) -> None:
        assert self.family == socket.AF_UNIX, f"tried to connect to {address}"
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


def test_entries_that_leave_the_folder_are_read_not_written(tmp_path, no_network):
    music = tmp_path / "music"
    outside = write_audio(music / "outside.mp3", title="outside")
    write_audio(tmp_path / "lists" / "near.flac", title="near")
    os.mkfifo(tmp_path / "lists" / "pipe.mp3")
    entries = {
        "../music/outside.mp3": None,  # outside the playlist's folder, still what it names: added
        "near.flac": None,
        "../../../../../../../../../../etc/passwd": "not an audio file name",
        "../../../../../../../../../../etc/shadow.mp3": "no such file",
        "http://example.com/stream.mp3": "not a local file",
        "https://example.com/a.flac": "not a local file",
        "smb://server/share/song.mp3": "not a local file",
        "ftp://server/song.mp3": "not a local file",
        "file://server/share/song.mp3": "not a local file",
        f"file://{outside}": None,  # the same file again, as a URL
        "/": "a folder, not a file",
        "..": "a folder, not a file",
        "/dev/zero": "not a regular file",
        "pipe.mp3": "not a regular file",
    }
    playlist = tmp_path / "lists" / "hostile.m3u8"
    playlist.write_text("#EXTM3U\n" + "\n".join(entries) + "\n", encoding="utf-8")
    library = open_library(tmp_path / "library" / "lib.sqlite3")
    before = files_under(tmp_path)

    result = import_playlist(library, playlist)

    reasons = {e["entry"]: e["reason"] for e in result.not_found}
    for entry, fragment in entries.items():
        if fragment is None:
            assert entry not in reasons, reasons.get(entry)
        else:
            assert fragment in reasons[entry], (entry, reasons[entry])
    assert result.added == 3
    written = {p: v for p, v in files_under(tmp_path).items() if before.get(p) != v}
    assert all(Path(p).parent == tmp_path / "library" for p in written), f"files written: {sorted(written)}"
    library.close()


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY l0 "lol">{entities}]>'
            '<playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList><track><location>&l9;</location>'
            "</track></trackList></playlist>").encode()


_XXE = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList><track><location>&x;</location>'
        b"</track></trackList></playlist>")


@pytest.mark.parametrize(("name", "content", "refusal"), [
    ("garbage.m3u", random.Random(1).randbytes(50_000), "binary data"),
    ("garbage.m3u8", random.Random(2).randbytes(50_000), "binary data"),
    ("garbage.pls", random.Random(3).randbytes(50_000), "binary data"),
    ("garbage.xspf", random.Random(4).randbytes(50_000), "must be UTF-8"),
    ("utf16-broken.m3u", codecs.BOM_UTF16_LE + b"\x00\xd8", "not valid UTF-16"),
    ("laughs.xspf", _billion_laughs(), "not valid XML"),
    ("xxe.xspf", _XXE, "not valid XML"),
])
def test_files_that_are_not_playlists_are_refused_with_a_reason(tmp_path, name, content, refusal):
    path = tmp_path / name
    path.write_bytes(content)
    library = open_library(tmp_path / "lib.sqlite3")
    started = time.monotonic()
    with pytest.raises(PlaylistFileError, match=refusal) as caught:
        import_playlist(library, path)
    assert name in str(caught.value)
    assert time.monotonic() - started < 5
    library.close()


@pytest.mark.parametrize(("name", "encode"), [
    ("notepad-unicode.m3u", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
    ("utf16be.m3u8", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
    ("utf32.m3u8", lambda text: text.encode("utf-32")),
    ("utf8-bom-crlf.m3u8", lambda text: codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode()),
    ("old-mac-cr.m3u", lambda text: text.replace("\n", "\r").encode("cp1252")),
    ("windows-1252.m3u", lambda text: text.replace("\n", "\r\n").encode("cp1252")),
])
def test_byte_order_marks_and_line_ends(tmp_path, name, encode):
    write_audio(tmp_path / "Café" / "Señor.flac", title="señor")
    write_audio(tmp_path / "plain.wav")
    text = "#EXTM3U\n#EXTINF:1,Señor\nCafé/Señor.flac\n\nplain.wav\n"
    (tmp_path / name).write_bytes(encode(text))
    library = open_library(tmp_path / "lib.sqlite3")
    result = import_playlist(library, tmp_path / name)
    assert (result.entries, result.added, result.not_found) == (2, 2, [])
    library.close()


def test_a_stray_nul_or_a_huge_line_costs_only_its_entry(tmp_path):
    write_audio(tmp_path / "ok.wav")
    (tmp_path / "odd.m3u8").write_bytes(b"#EXTM3U\nok\x00.wav\n" + b"a" * 1_000_000 + b".mp3\nok.wav\n")
    library = open_library(tmp_path / "lib.sqlite3")
    result = import_playlist(library, tmp_path / "odd.m3u8")
    assert (result.entries, result.added) == (3, 1)
    assert all("no such file" in e["reason"] for e in result.not_found)
    library.close()


def test_a_100000_entry_playlist_imports_in_bounded_time(tmp_path, cli_env):
    music = tmp_path / "music"
    template = write_audio(music / "template.mp3", title="t")
    local = [music / f"{i:04}.mp3" for i in range(2000)]
    for path in local:
        os.link(template, path)  # 2,000 files to scan in, no disk space
    lines, expected = ["#EXTM3U"], []
    for i in range(100_000):
        kind = i % 5
        if kind < 2:
            lines.append(os.path.relpath(local[(i * 7) % 2000], tmp_path))
            expected.append(str(local[(i * 7) % 2000]))
        elif kind == 2:
            lines.append(f"http://radio.example/{i}.mp3")
        elif kind == 3:
            lines.append(f"../../missing/{i}.mp3")
        else:
            lines.append("../" * 12 + "etc/passwd")
    (tmp_path / "big.m3u8").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    db = tmp_path / "lib.sqlite3"
    started = time.monotonic()
    done = subprocess.run([*GENRESCOPE, "playlist", "import", str(tmp_path / "big.m3u8"), "--db", str(db), "--json"],
                          env=cli_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert time.monotonic() - started < 120
    assert (report["entries"], report["added"], len(report["not_found"])) == (100_000, 40_000, 60_000)
    with sqlite3.connect(db) as conn:
        paths = [p for (p,) in conn.execute("SELECT t.path FROM playlist_entries e JOIN tracks t ON t.id = e.track_id "
                                            "WHERE e.playlist_id = ? ORDER BY e.position", (report["playlist_id"],))]
    assert paths == expected, "every entry in the file's order"


@pytest.mark.parametrize("name", ["../../escape", "..", "a/b\\c", "\x1b[2Jclear", " . "])
def test_export_file_names_from_playlist_names_stay_in_the_folder(tmp_path, name):
    target = tmp_path / (safe_file_name(name) + ".m3u8")
    assert target.parent == tmp_path and target.name not in (".m3u8", "..m3u8")
    assert not any(c in target.name for c in "/\\\x1b")
