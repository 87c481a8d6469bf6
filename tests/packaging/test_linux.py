"""Desktop integration: the .desktop launcher, the AppStream metainfo and the per-user install script.

The validators (desktop-file-validate from desktop-file-utils, appstreamcli from appstream) are
installed by `bash packaging/bootstrap.sh test`; on CI a missing validator fails these tests.
"""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tomllib

from desktop_app.gui.app import DESKTOP_ID
from desktop_app.gui.resources import ICON_SIZES
from tests.locations import REPO

ROOT = REPO
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{DESKTOP_ID}.desktop"
METAINFO = LINUX / f"{DESKTOP_ID}.metainfo.xml"
INSTALL = LINUX / "install.sh"
AUDIO_AND_PLAYLIST_TYPES = {
    "audio/mpeg", "audio/flac", "audio/ogg", "audio/x-wav", "audio/mp4", "audio/aac", "audio/x-ms-wma",
    "audio/x-ape", "audio/x-wavpack", "audio/x-mpegurl", "audio/x-scpls", "application/xspf+xml",
}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: packaging/bootstrap.sh test installs it")
        pytest.skip(f"{name} is not installed (apt-get install appstream desktop-file-utils)")
    return path


def desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_file_opens_audio_files_and_playlists_with_genrescope() -> None:
    entry = desktop_entry(DESKTOP)
    assert entry["Exec"] == "genrescope %F" and entry["Icon"] == DESKTOP_ID
    assert AUDIO_AND_PLAYLIST_TYPES <= set(filter(None, entry["MimeType"].split(";")))
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"


def test_desktop_file_is_valid() -> None:
    result = subprocess.run([tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_passes_appstreamcli_validate() -> None:
    result = subprocess.run([tool("appstreamcli"), "validate", "--no-net", "--explain", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not problems, result.stdout


def test_metainfo_names_the_launcher_icon_and_current_version() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == DESKTOP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("icon") == DESKTOP_ID
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert component.find("releases/release").get("version") == version


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def run_install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(["bash", str(INSTALL), *args], env=env, capture_output=True, text=True, timeout=60)


def installed_files(data: Path) -> list[Path]:
    return [data / "applications" / DESKTOP.name, data / "metainfo" / METAINFO.name,
            data / "icons/hicolor/scalable/apps" / f"{DESKTOP_ID}.svg",
            *(data / f"icons/hicolor/{s}x{s}/apps/{DESKTOP_ID}.png" for s in ICON_SIZES)]


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """A stand-in launcher in a folder with a space, which the desktop file must quote."""
    path = tmp_path / "My Apps" / "genrescope"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_install_puts_launcher_metainfo_and_icons_in_xdg_data_home(tmp_path: Path, program: Path) -> None:
    home = tmp_path / "home"
    result = run_install(home, "--exec", str(program))
    assert result.returncode == 0, result.stderr
    data = home / "data"
    for path in installed_files(data):
        assert path.is_file(), path
    for size in ICON_SIZES:
        assert png_size(data / f"icons/hicolor/{size}x{size}/apps/{DESKTOP_ID}.png") == (size, size)
    entry = desktop_entry(data / "applications" / DESKTOP.name)
    assert entry["Exec"] == f'"{program}" %F' and entry["TryExec"] == str(program)
    assert entry["MimeType"] == desktop_entry(DESKTOP)["MimeType"]
    if shutil.which("desktop-file-validate"):
        validated = subprocess.run(["desktop-file-validate", str(data / "applications" / DESKTOP.name)],
                                   capture_output=True, text=True)
        assert validated.returncode == 0, validated.stdout
    if shutil.which("update-desktop-database"):  # "Open with" reads this cache
        cache = (data / "applications" / "mimeinfo.cache").read_text()
        assert f"audio/flac={DESKTOP.name};" in cache


def test_install_twice_then_uninstall_leaves_nothing_of_ours(tmp_path: Path, program: Path) -> None:
    home = tmp_path / "home"
    user_data = home / "data" / "genrescope" / "library.sqlite3"
    user_data.parent.mkdir(parents=True)
    user_data.write_text("the user's library")
    assert run_install(home, "--exec", str(program)).returncode == 0
    assert run_install(home, "--exec", str(program)).returncode == 0
    result = run_install(home, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not [p for p in installed_files(home / "data") if p.exists()]
    assert user_data.read_text() == "the user's library"


def test_install_refuses_a_missing_program(tmp_path: Path) -> None:
    result = run_install(tmp_path / "home", "--exec", str(tmp_path / "nothing-here"))
    assert result.returncode != 0 and "not a program" in result.stderr
    assert not (tmp_path / "home" / "data" / "applications").exists()
