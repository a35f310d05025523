#!/usr/bin/env bash
# Runs inside `dbus-run-session`: unlock a throwaway Secret Service keyring, lint, then test.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOME="${TRADER_GUI_TEST_HOME:-$(mktemp -d)}"
if command -v gnome-keyring-daemon >/dev/null; then
  echo -n "throwaway-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
