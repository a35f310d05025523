#!/usr/bin/env bash
# Build the one-folder bundle dist/trader-gui/ with PyInstaller, then prove it works frozen:
# the bundle's own --self-test (window, engine, paper broker, database migrations), --paths,
# and the real brokers' modules importing (they are loaded only when chosen).
#
#     bash packaging/build.sh
#
# Everything is built in a scratch folder from a clean copy of the checkout, in a fresh venv
# where trader-gui is pip-installed (not editable: resources/ becomes the package
# trader_gui.resources only on install). Set PYTHON to choose the interpreter, SCRATCH to keep
# the venv between builds (faster), DIST for the output folder (default: dist/ here).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
SCRATCH="${SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/trader-gui-build.XXXXXX")}"
DIST="${DIST:-$ROOT/dist}"
VENV="$SCRATCH/venv"
SRC="$SCRATCH/src"
BUNDLE="$DIST/trader-gui"

echo "== clean copy of the checkout in $SRC"
rm -rf "$SRC" && mkdir -p "$SRC"
tar -C "$ROOT" \
  --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
  --exclude='__pycache__' --exclude='*.egg-info' --exclude='.mypy_cache' \
  --exclude='.pytest_cache' --exclude='.ruff_cache' -cf - . | tar -C "$SRC" -xf -

echo "== venv with trader-gui and PyInstaller ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then "$PYTHON" -m venv "$VENV"; fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q --upgrade --force-reinstall --no-deps "$SRC"
"$VENV/bin/python" -m pip install -q "$SRC" "pyinstaller>=6.10"

echo "== pyinstaller"
# Run from the scratch folder: the checkout must not shadow the installed package.
(cd "$SCRATCH" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$SCRATCH/work" "$SRC/packaging/trader_gui.spec")
echo "bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"

echo "== frozen checks"
HOME_DIR="$SCRATCH/home"
rm -rf "$HOME_DIR" && mkdir -p "$HOME_DIR/tmp"
FROZEN_ENV=(
  env -u PYTHONPATH -u PYTHONHOME HOME="$HOME_DIR" TMPDIR="$HOME_DIR/tmp"
  XDG_CONFIG_HOME="$HOME_DIR/config" XDG_DATA_HOME="$HOME_DIR/data"
  XDG_STATE_HOME="$HOME_DIR/state" XDG_CACHE_HOME="$HOME_DIR/cache"
  QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
)
frozen() {  # frozen SECONDS ARGS...: the bundle, bounded, on the scratch home only
  local limit="$1"
  shift
  timeout "$limit" "${FROZEN_ENV[@]}" "$BUNDLE/trader-gui" "$@"
}
frozen 30 --version
frozen 30 --paths
frozen 120 --self-test
# The real brokers are imported only when chosen: start each without credentials; it must
# stop on the missing credentials, not on a module PyInstaller left out.
for broker in shoonya kite; do
  output="$(frozen 60 --headless --broker "$broker" --db "sqlite:///$HOME_DIR/$broker.sqlite3" 2>&1)" || true
  if grep -q -E "No module named|ModuleNotFoundError|ImportError" <<<"$output"; then
    echo "the frozen $broker broker misses a module:"
    echo "$output"
    exit 1
  fi
  echo "broker $broker: imports fine; without credentials it says: $(tail -n 1 <<<"$output")"
done
echo "== done: $BUNDLE passed its self-test"
