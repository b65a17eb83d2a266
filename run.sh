#!/bin/sh
# Sets up everything on a fresh Debian 12 machine, builds, and starts Nondeep Explorer on its
# built-in default (model, weights, sample input).
set -eu
cd "$(dirname "$0")"
tools/install-deps.sh
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build
if [ -x build/app/gui/nondeep ]; then
  exec build/app/gui/nondeep "$@"
fi
# No GUI in this build: classify the bundled sample with the command-line tool.
exec build/app/cli/nondeep-cli run --weights assets/weights/parnet-fashion-mnist.safetensors \
  --image assets/samples/0000-ankle-boot.png "$@"
