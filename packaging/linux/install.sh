#!/usr/bin/env bash
# Put Genrescope's launcher, AppStream metainfo and icons into the current user's XDG folders,
# so it appears in the applications menu and in "Open with" for audio files and playlists.
#   bash packaging/linux/install.sh [--exec PROGRAM]   install (or update)
#   bash packaging/linux/install.sh --uninstall        remove exactly those files again
# PROGRAM is what the launcher runs; default: `genrescope` on PATH, else this checkout's bundle
# (dist/genrescope/genrescope), else its venv (.venv/bin/genrescope). Files go under
# ${XDG_DATA_HOME:-~/.local/share}: applications/, metainfo/, icons/hicolor/. Your library and
# model (~/.local/share/genrescope) are not touched by either command.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
app_id=io.github.genrescope.Genrescope
sizes=(16 24 32 48 64 128 256 512)
data="${XDG_DATA_HOME:-$HOME/.local/share}"

mode=install
program=""
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) mode=uninstall; shift ;;
    --exec) program="${2:?--exec needs a program}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bash packaging/linux/install.sh [--exec PROGRAM] | --uninstall" >&2; exit 2 ;;
  esac
done

targets=("$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml"
         "$data/icons/hicolor/scalable/apps/$app_id.svg")
for size in "${sizes[@]}"; do
  targets+=("$data/icons/hicolor/${size}x${size}/apps/$app_id.png")
done

refresh_caches() {
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$data/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
  fi
}

if [ "$mode" = uninstall ]; then
  for target in "${targets[@]}"; do
    [ -e "$target" ] && rm -f "$target" && echo "removed $target"
  done
  refresh_caches
  exit 0
fi

if [ -z "$program" ]; then
  for candidate in "$(command -v genrescope || true)" "$root/dist/genrescope/genrescope" "$root/.venv/bin/genrescope"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then program="$candidate"; break; fi
  done
  if [ -z "$program" ]; then
    echo "error: no genrescope program found: build the bundle (bash packaging/build_bundle.sh)," >&2
    echo "run bash packaging/bootstrap.sh once, or name it with --exec PROGRAM" >&2
    exit 1
  fi
fi
[ -x "$program" ] || command -v "$program" >/dev/null || { echo "error: $program is not a program" >&2; exit 1; }
case "$program" in
  *[\"\`\$\\]*) echo "error: the path may not contain \" \` \$ or \\: $program" >&2; exit 1 ;;
  */*) program="$(cd "$(dirname "$program")" && pwd)/$(basename "$program")" ;;
esac
case "$program" in
  *[!A-Za-z0-9/._+-]*) quoted="\"$program\"" ;;  # the desktop entry spec's quoting
  *) quoted="$program" ;;
esac

desktop="$(mktemp)"
trap 'rm -f "$desktop"' EXIT
sed -e "s|^Exec=genrescope |Exec=$quoted |" -e "s|^TryExec=genrescope$|TryExec=$program|" \
  "$here/$app_id.desktop" > "$desktop"
install -Dm644 "$desktop" "${targets[0]}"
install -Dm644 "$here/$app_id.metainfo.xml" "${targets[1]}"
install -Dm644 "$root/resources/genrescope.svg" "${targets[2]}"
for size in "${sizes[@]}"; do
  install -Dm644 "$root/resources/icons/genrescope-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
refresh_caches
printf 'installed %s\n' "${targets[@]}"
echo "The launcher runs: $program"
