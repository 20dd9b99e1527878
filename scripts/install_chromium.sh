#!/usr/bin/env bash
# Install headless Chromium (Debian's package `chromium`) when it is missing:
#     bash scripts/install_chromium.sh      (the install step of the Makefile runs it)
#
# tests/graph/test_view.py opens the interactive 3D view of a hop network in it (screenshot, DOM,
# network log) and fails, rather than skips, without it. Needs root (or sudo) and apt-get; quiet
# unless something goes wrong. Does nothing when `chromium` is already on PATH or at
# /usr/bin/chromium.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium.sh: no apt-get here; install Chromium by hand (tests/graph/test_view.py needs it)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_chromium.sh: installing Chromium needs root (apt-get install chromium)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_chromium.sh: apt-get install chromium failed (output above)" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || {
  echo "install_chromium.sh: chromium is still missing after apt-get install" >&2
  exit 1
}
