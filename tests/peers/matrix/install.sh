#!/usr/bin/env bash
# Installs Matrix Synapse (the reference homeserver, from PyPI) in a venv of its own: its pins
# (Twisted, pydantic, ...) must not move the app's. Result: $DEST/.venv/bin/python -m synapse.app.homeserver
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DEST="${1:-$ROOT/data/peers/synapse}"
PYTHON="${PYTHON:-python3}"
SYNAPSE_VERSION="1.163.2"
mkdir -p "$DEST"
if [ ! -x "$DEST/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$DEST/.venv"
fi
"$DEST/.venv/bin/pip" install --quiet "matrix-synapse==$SYNAPSE_VERSION"
touch "$DEST/.installed-$SYNAPSE_VERSION"
echo "synapse $SYNAPSE_VERSION installed in $DEST"
