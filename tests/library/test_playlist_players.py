"""Real players read our exports: mpv opens every entry of the M3U8 and PLS files, VLC of the XSPF.

mpv (0.35, Debian 12) has no XSPF reader: it takes an .xspf for a plain list of lines and tries
to open "<?xml …" as a file. VLC, whose playlist format XSPF is, reads it; VLC refuses to run as
root, so as root it runs as "nobody" on files in a world-readable folder.
`bash packaging/bootstrap.sh test` installs both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from desktop_app.library.database import open_library
from desktop_app.library.playlist_files import export_playlist
from desktop_app.library.playlists import create_playlist, get_playlist
from tests.playlist_support import make_songs


def _need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        message = f"{program} is not installed (bash packaging/bootstrap.sh test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder "nobody" can read (pytest's own temporary folders are private to their user)."""
    folder = Path(tempfile.mkdtemp(prefix="genrescope-players-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def exported(shared_dir):
    """Export a playlist of awkwardly named songs in every format, relative and absolute paths."""
    library = open_library(shared_dir / "library.sqlite3")
    songs = make_songs(library, shared_dir / "music", seconds=1.0)
    with library.writer.begin() as conn:
        playlist = get_playlist(conn, create_playlist(conn, "Players ü #1", songs.ids))
    files: dict[tuple[str, bool], Path] = {}
    for fmt in ("m3u8", "pls", "xspf"):
        for relative in (True, False):
            out = shared_dir / "lists" / f"{'rel' if relative else 'abs'} ü #1.{fmt}"
            out.parent.mkdir(exist_ok=True)
            export_playlist(library, playlist, out, fmt, models={}, relative=relative)
            files[fmt, relative] = out
    library.close()
    return songs, files


@pytest.mark.parametrize("fmt", ["m3u8", "pls"])
@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_mpv_opens_every_entry(exported, fmt, relative, tmp_path):
    mpv = _need("mpv")
    songs, files = exported
    done = subprocess.run(
        [mpv, "--no-config", "--ao=null", "--vo=null", "--length=0.2", "--msg-level=all=v",
         f"--playlist={files[fmt, relative]}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,  # cwd elsewhere: paths resolve from the file
    )
    log = done.stdout + done.stderr
    opened = [os.path.normpath(m) for m in re.findall(r"Opening done: (.+)", log)]
    assert opened == [str(p) for p in songs.paths], log[-3000:]
    assert "Failed to open" not in log


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_vlc_opens_every_entry_of_the_xspf(exported, relative, tmp_path):
    vlc = _need("cvlc")
    songs, files = exported
    command = [vlc, "--intf", "dummy", "--aout", "dummy", "--vout", "dummy", "--no-video", "--play-and-exit",
               "--run-time=0.2", "-vv", str(files["xspf", relative])]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/",
                          env={**os.environ, "HOME": str(tmp_path.parent)})
    log = done.stdout + done.stderr
    accessed = [unquote(urlsplit(uri).path) for uri in re.findall(r"creating access: (file://\S+)", log)]
    played = list(dict.fromkeys(p for p in accessed if not p.endswith(".xspf")))
    assert played == [str(p) for p in songs.paths], log[-3000:]
    assert "can't open" not in log.lower()
