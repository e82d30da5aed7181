#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here). The emoji
# font makes emoji in posts render in screenshots instead of empty boxes.
set -euo pipefail
has_font() { fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; }
if command -v chromium >/dev/null 2>&1 && has_font; then exit 0; fi
echo "==> installing Chromium and fonts from apt (for the browser tests)"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: install them with: sudo apt-get install -y chromium fonts-liberation fonts-noto-color-emoji" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation fonts-noto-color-emoji >/dev/null
command -v chromium
