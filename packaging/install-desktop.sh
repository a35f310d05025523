#!/usr/bin/env bash
# Put trader-gui in the desktop's application menu (Linux, freedesktop): the .desktop entry,
# every icon size and the AppStream metadata, for this user (or PREFIX=/usr/local as root).
#
#     bash packaging/install-desktop.sh                       # Exec=trader-gui (on PATH)
#     bash packaging/install-desktop.sh /opt/trader-gui/trader-gui   # a frozen bundle
#
# The files come from resources/, the same ones the package ships; only Exec (and TryExec)
# change when a program path is given. Undo with `--uninstall`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP_ID="io.github.tradergui.TraderGui"
PREFIX="${PREFIX:-${XDG_DATA_HOME:-$HOME/.local/share}}"
case "$PREFIX" in
  */share) SHARE="$PREFIX" ;;
  *) SHARE="$PREFIX/share" ;;
esac
APPLICATIONS="$SHARE/applications"
ICONS="$SHARE/icons/hicolor"
METAINFO="$SHARE/metainfo"

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$APPLICATIONS/$APP_ID.desktop" "$METAINFO/$APP_ID.metainfo.xml"
  find "$ICONS" -path "*/apps/$APP_ID.*" -delete 2>/dev/null || true
  echo "removed $APP_ID from $SHARE"
  exit 0
fi

PROGRAM="${1:-trader-gui}"
if [ "$PROGRAM" != "trader-gui" ]; then
  PROGRAM="$(cd "$(dirname "$PROGRAM")" && pwd)/$(basename "$PROGRAM")"
  [ -x "$PROGRAM" ] || { echo "install-desktop: $PROGRAM is not a program" >&2; exit 2; }
fi

mkdir -p "$APPLICATIONS" "$METAINFO"
sed -e "s|^Exec=.*|Exec=\"$PROGRAM\"|" -e "s|^TryExec=.*|TryExec=$PROGRAM|" \
  "$ROOT/resources/$APP_ID.desktop" >"$APPLICATIONS/$APP_ID.desktop"
install -m 644 "$ROOT/resources/$APP_ID.metainfo.xml" "$METAINFO/$APP_ID.metainfo.xml"
(cd "$ROOT/resources/icons/hicolor" && find . -path "*/apps/$APP_ID.*" -type f) |
  while read -r icon; do
    install -D -m 644 "$ROOT/resources/icons/hicolor/$icon" "$ICONS/$icon"
  done

# Refresh the caches where the tools exist; menus pick the entry up without them too.
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPLICATIONS" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" || true
echo "installed $APP_ID in $SHARE (Exec=$PROGRAM)"
