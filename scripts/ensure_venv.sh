#!/usr/bin/env bash
# Make the virtualenv VENV (default .venv) with PYTHON (default python3), unless one with pip is
# there already.
#
#   scripts/ensure_venv.sh [VENV]
#
# Debian's and Ubuntu's python3 cannot make a virtualenv without the python3-venv package
# ("ensurepip is not available"). As root that package is installed from the system packages;
# otherwise this prints what to install and fails.
set -euo pipefail

VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}

say() { printf '[venv] %s\n' "$*"; }

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A failed attempt leaves a virtualenv without pip behind; start again from nothing.
make_venv() { rm -rf "$VENV" && "$PYTHON" -m venv "$VENV" >"$log" 2>&1; }

if make_venv; then exit 0; fi

version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
packages=(python3-venv "python$version-venv")
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  say "$PYTHON -m venv failed; installing ${packages[*]} from Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null || true
  if make_venv; then exit 0; fi
fi
cat "$log"
rm -rf "$VENV"
say "$PYTHON cannot make a virtualenv. On Debian or Ubuntu install the venv package and run"
say "make again: sudo apt-get install ${packages[*]}"
say "(or point PYTHON at another Python 3.11: make PYTHON=/path/to/python3.11 ...)"
exit 1
