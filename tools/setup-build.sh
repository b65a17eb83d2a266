#!/bin/sh
# Installs what is missing (tools/install-deps.sh), configures build/ once and builds it.
# Shared by run.sh and test.sh.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build
