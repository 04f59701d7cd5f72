#!/usr/bin/env bash
# Re-fetch the console's browser libraries from the npm registry, at the versions pinned
# below, and copy their minified files and licences here (served by the node itself at
# /consola/static/vendor/: border posts have no internet, and there is no build step).
# The CSS is our own (../console.css, a few KB): a CSS framework alone (Pico, 83 KB)
# weighed more than the whole screening page may.
# Usage: alianza/web/static/vendor/update.sh   (needs npm; writes only this folder)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HTMX=2.0.11        # htmx.org: partial page updates
LEAFLET=1.9.4      # leaflet: maps over shipped outlines (no tile server)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
unpack() {  # unpack NAME@VERSION DIR
  local tgz
  tgz="$(npm pack --silent "$1")"
  mkdir -p "$2" && tar -xzf "$tgz" -C "$2" --strip-components=1
}
unpack "htmx.org@$HTMX" htmx
unpack "leaflet@$LEAFLET" leaflet

rm -rf "$HERE/htmx" "$HERE/leaflet"
mkdir -p "$HERE/htmx" "$HERE/leaflet/images"
cp htmx/dist/htmx.min.js htmx/LICENSE "$HERE/htmx/"
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css leaflet/LICENSE "$HERE/leaflet/"
cp leaflet/dist/images/*.png "$HERE/leaflet/images/"
cat > "$HERE/VERSIONS" <<VERSIONS
# Written by update.sh: package@version from the npm registry (registry.npmjs.org).
htmx.org@$HTMX
leaflet@$LEAFLET
VERSIONS
echo "Copiado en $HERE:"
cat "$HERE/VERSIONS"
