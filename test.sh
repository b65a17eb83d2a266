#!/bin/sh
# Sets up everything on a fresh Debian 12 machine and runs every test suite.
set -eu
cd "$(dirname "$0")"
tools/install-deps.sh
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build
meson test -C build --print-errorlogs --num-processes 2 "$@"
