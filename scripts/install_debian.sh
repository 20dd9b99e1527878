#!/usr/bin/env bash
# Install the Debian packages that are missing, each checked by a command or a file:
#     bash scripts/install_debian.sh PACKAGE[:CHECK] ...
# PACKAGE alone is present when the command PACKAGE is (on PATH or in /usr/bin); PACKAGE:CHECK
# when the command CHECK is, or, for a CHECK starting with /, when that file exists. The install
# step of the Makefile runs
#     bash scripts/install_debian.sh chromium cp2k:cp2k.psmp \
#         cp2k-data:/usr/share/cp2k/BASIS_MOLOPT openmpi-bin:mpirun
# chromium: tests/graph/test_view.py opens the 3D view of a hop network in it; cp2k, its data
# (basis sets, pseudopotentials) and mpirun: `--calculator cp2k` / `--upper cp2k` (PBE) and
# tests/reference/test_cp2k.py. Those tests fail, rather than skip, without them.
#
# Needs root (or sudo) and apt-get when something is missing; quiet unless something goes wrong,
# and then loud: the output of apt-get and the packages still missing, exit status 1. Does nothing
# when everything is present.
set -euo pipefail
me=${0##*/}

present() {  # present CHECK: the command or file CHECK is there
  if [[ $1 == /* ]]; then
    [ -e "$1" ]
  else
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ]
  fi
}

missing() {  # print the packages of "$@" (PACKAGE[:CHECK]) whose check fails
  local spec pkg check
  for spec in "$@"; do
    pkg=${spec%%:*}
    check=${spec#*:}
    [ "$check" = "$spec" ] && check=$pkg
    present "$check" || echo "$pkg"
  done
}

[ $# -gt 0 ] || { echo "$me: usage: $me PACKAGE[:CHECK] ..." >&2; exit 1; }
mapfile -t todo < <(missing "$@")
[ ${#todo[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$me: no apt-get here; install by hand: ${todo[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "$me: installing ${todo[*]} needs root (apt-get install ${todo[*]})" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${todo[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "$me: apt-get install ${todo[*]} failed (output above)" >&2
  exit 1
fi
mapfile -t still < <(missing "$@")
if [ ${#still[@]} -gt 0 ]; then
  echo "$me: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
