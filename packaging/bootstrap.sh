#!/usr/bin/env bash
# Set up everything Genrescope needs on a Debian/Ubuntu machine, then run it or its tests.
#   bash packaging/bootstrap.sh run [ARGS...]    set up, then start the app (genrescope ARGS...)
#   bash packaging/bootstrap.sh test [ARGS...]   set up with test extras, then run pytest ARGS...
# Idempotent: a second run installs nothing new and starts at once.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
shift || true

# System libraries Qt (widgets, xcb/offscreen platforms) and QtMultimedia (playback) load at run time.
apt_packages=(
  libegl1 libgl1 libopengl0 libglib2.0-0 libdbus-1-3 libfontconfig1 fontconfig libfreetype6
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libwayland-cursor0
  libwayland-egl1 libnss3 libasound2 libpulse0
)
# Real players the playlist tests ask to read exported playlists: mpv (M3U8, PLS) and VLC (XSPF,
# which mpv does not read); the validators of the desktop launcher and the AppStream metainfo;
# PostgreSQL, whose initdb/pg_ctl the library tests use to start a throwaway server (tests/postgres_server.py);
# PulseAudio and its utilities (paplay, pactl), a throwaway sound server the listening tests play real
# recordings into and capture from (tests/pulse_server.py).
if [ "$mode" = test ]; then
  apt_packages+=(mpv vlc-bin vlc-plugin-base appstream desktop-file-utils postgresql pulseaudio pulseaudio-utils)
fi
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "note: not a Debian/Ubuntu system; install the equivalents of: ${missing[*]}" >&2
  elif [ "$(id -u)" = 0 ]; then
    echo "Installing system libraries: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Genrescope needs these system libraries. Run this, then run this script again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi

extras=""
[ "$mode" = test ] && extras="[dev]"
stamp=".venv/.genrescope-installed"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1) $extras"
if [ ! -f "$stamp" ] || ! grep -qxF -- "$want" "$stamp" 2>/dev/null; then
  echo "Installing Python packages into .venv (PyTorch is large: this takes a few minutes the first time)" >&2
  .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install --disable-pip-version-check -q -e ".$extras"
  echo "$want" >> "$stamp"
fi

case "$mode" in
  run)
    exec .venv/bin/genrescope "$@"
    ;;
  test)
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash packaging/bootstrap.sh run|test [ARGS...]" >&2
    exit 2
    ;;
esac
