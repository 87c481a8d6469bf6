#!/usr/bin/env bash
# Build the one-folder Genrescope bundle (dist/genrescope/genrescope) with PyInstaller.
#   bash packaging/build_bundle.sh               CPU-only torch in build/bundle-venv: the small bundle
#   bash packaging/build_bundle.sh --venv DIR    bundle whatever torch DIR has (e.g. .venv's CUDA build)
#   --dist OUT                                   write OUT/genrescope instead of dist/genrescope
# Then: bash packaging/smoke_test.sh [OUT/genrescope]  (runs the built bundle offscreen).
#
# The CPU build installs torch==$GENRESCOPE_BUNDLE_TORCH (default 2.13.0). Where pip's default index
# only has CUDA builds of it (PyPI on Linux), point pip at PyTorch's CPU wheels first:
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu bash packaging/build_bundle.sh
# Idempotent: a second run reuses the build venv and only re-runs PyInstaller.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=""
dist=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="${2:?--venv needs a folder}"; shift 2 ;;
    --dist) dist="${2:?--dist needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bash packaging/build_bundle.sh [--venv DIR] [--dist OUT]" >&2; exit 2 ;;
  esac
done

# The project's requirements without torch/torchvision (CPU build), plus the packaging extra.
requirements() {
  "$1" - "$2" <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
skip_torch = sys.argv[1] == "cpu"
names = lambda r: r.split(";")[0].split("=")[0].split(">")[0].split("<")[0].split("!")[0].strip().lower()
wanted = [r for r in project["dependencies"] if not (skip_torch and names(r) in ("torch", "torchvision"))]
print("\n".join(wanted + project["optional-dependencies"]["packaging"]))
PY
}

pip_install() {
  "$python" -m pip install --disable-pip-version-check -q "$@"
}

if [ -z "$venv" ]; then
  venv=build/bundle-venv
  [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
  python="$venv/bin/python"
  torch_spec="torch==${GENRESCOPE_BUNDLE_TORCH:-2.13.0}"
  stamp="$venv/.genrescope-bundle"
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) $torch_spec"
  if ! grep -qxF -- "$want" "$stamp" 2>/dev/null; then
    echo "Installing $torch_spec and the app's requirements into $venv" >&2
    pip_install "$torch_spec"
    if ! "$python" -c "import sys, torch; sys.exit(torch.version.cuda is not None)"; then
      echo "error: pip installed a CUDA build of torch; for the small CPU bundle set" >&2
      echo "  PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu  (and rm -r $venv), or build" >&2
      echo "  a CUDA bundle on purpose with --venv .venv" >&2
      exit 1
    fi
    mapfile -t reqs < <(requirements "$python" cpu)
    pip_install "${reqs[@]}"
    echo "$want" > "$stamp"
  fi
else
  python="$venv/bin/python"
  [ -x "$python" ] || { echo "error: $python not found" >&2; exit 1; }
  mapfile -t reqs < <(requirements "$python" all)
  "$python" -c "import PyInstaller" 2>/dev/null || pip_install "${reqs[@]}"
fi

"$python" -c "import torch; print(f'Bundling torch {torch.__version__} (CUDA {torch.version.cuda or \"none: CPU only\"})')"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath build/pyinstaller packaging/pyinstaller/genrescope.spec
echo "Built $dist/genrescope/genrescope: $(du -sh "$dist/genrescope" | cut -f1) on disk," \
  "$(du -s --apparent-size -m "$dist/genrescope" | cut -f1) MB apparent" >&2
