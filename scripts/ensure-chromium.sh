#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "==> installing Chromium from apt (for the browser tests)"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: chromium is missing; install it with: sudo apt-get install -y chromium fonts-liberation" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
command -v chromium
