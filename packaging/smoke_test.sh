#!/usr/bin/env bash
# Run a built bundle the way a user would, offscreen, in a throw-away home folder:
#   bash packaging/smoke_test.sh [BUNDLE_DIR]          (default dist/genrescope)
#   bash packaging/smoke_test.sh --build               build it first (packaging/build_bundle.sh)
# Checks: --version; a random-weight test model placed in the user data folder
# ($XDG_DATA_HOME/genrescope/models) is found; the window opens with its icon, scans a generated
# folder of WAV/FLAC/OGG/MP3 files, tags them with the bundled built-in tagger, analyses them with that model, draws the selected track's
# spectrogram and loads it into the player (QtMultimedia's FFmpeg plugin), then exits 0; the
# headless `tracks` command reads the same library. Exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bundle=dist/genrescope
case "${1:-}" in
  --build) bash packaging/build_bundle.sh ;;
  "") ;;
  *) bundle="$1" ;;
esac
app="$bundle/genrescope"
[ -x "$app" ] || { echo "error: no bundle at $app: run bash packaging/build_bundle.sh first" >&2; exit 1; }
# Fixtures (audio files, the test checkpoint) are made with the project's own code: any venv with
# the runtime requirements will do, the bundle's build venv first.
python="${PYTHON:-}"
for candidate in build/bundle-venv/bin/python .venv/bin/python; do
  [ -z "$python" ] && [ -x "$candidate" ] && python="$candidate"
done
[ -n "$python" ] || { echo "error: no Python with the requirements (build/bundle-venv or .venv)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_CONFIG_HOME="$work/home/.config"
export XDG_CACHE_HOME="$work/home/.cache" QT_QPA_PLATFORM=offscreen PYTHONPATH="$PWD"
unset GENRESCOPE_DATA_DIR GENRESCOPE_DB GENRESCOPE_WEIGHTS GENRESCOPE_RESOURCES DISPLAY WAYLAND_DISPLAY
mkdir -p "$HOME"
passed=0
check() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAILED: $1" >&2; exit 1; }

version="$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
[ "$("$app" --version)" = "genrescope $version" ] || fail "--version does not print genrescope $version"
check "--version"

"$python" - "$work/music" <<'PY'
import sys
from pathlib import Path
from tests.audio_files import write_audio
for i, suffix in enumerate([".wav", ".flac", ".ogg", ".mp3"]):
    write_audio(Path(sys.argv[1]) / f"track{i}{suffix}", seconds=8.0, freq=110.0 * (i + 2),
                title=f"Smoke {i}", artist="Genrescope", album="Smoke test")
PY
"$python" - "$work/random.pt" <<'PY'
import sys
import torch
from desktop_app.inference.model_store import import_model
from desktop_app.inference.network import random_state_dict
torch.save(random_state_dict(7), sys.argv[1])
print("test model installed in", import_model(sys.argv[1], origin="test").path.parent)
PY
rm -f "$work/random.pt"

"$app" model status --json > "$work/status.json" || fail "model status"
"$python" - "$work/status.json" "$XDG_DATA_HOME/genrescope/models" <<'PY' || fail "the bundle does not find the model in the user data folder"
import json, sys
status = json.load(open(sys.argv[1]))
assert status["state"] == "installed" and status["origin"] == "test", status
assert status["models_dir"] == sys.argv[2], (status["models_dir"], sys.argv[2])
PY
check "the installed model is found in \$XDG_DATA_HOME/genrescope/models"

GENRESCOPE_SMOKE_TEST=600 "$app" "$work/music" > "$work/window.json" 2> "$work/window.log" \
  || { cat "$work/window.log" "$work/window.json" >&2; fail "the window's self-check"; }
cat "$work/window.json"
"$python" - "$work/window.json" <<'PY' || fail "the window's report"
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert report["frozen"] and not report["failures"], report
assert report["tracks_in_library"] == report["tracks_shown"] == report["analysed"] == report["tagged"] == 4, report
assert report["model"] == "test" and report["spectrogram_shown"], report
assert report["player_status"] in ("LoadedMedia", "BufferedMedia", "BufferingMedia"), report
PY
check "window: opened with its icon, scanned and analysed 4 files, spectrogram drawn, track loaded in the player"

[ "$("$app" tracks --json | wc -l)" = 4 ] || fail "genrescope tracks --json does not list the 4 tracks"
check "headless commands read the same library"
echo "bundle smoke test: $passed passed, 0 failed"
