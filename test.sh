#!/bin/sh
# Sets up everything on a fresh Debian 12 machine and runs every test suite.
set -eu
cd "$(dirname "$0")"
tools/setup-build.sh
meson test -C build --print-errorlogs --num-processes 2 "$@"
