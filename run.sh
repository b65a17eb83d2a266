#!/bin/sh
# Sets up everything on a fresh Debian 12 machine, builds, and starts Nondeep Explorer on its
# built-in default: the project's Fashion-MNIST ParNet and the bundled sample images.
set -eu
cd "$(dirname "$0")"
tools/setup-build.sh
if [ -x build/app/gui/nondeep ]; then
  exec build/app/gui/nondeep "$@"
fi
# No GUI in this build: classify a bundled sample with the command-line tool.
exec build/app/cli/nondeep-cli run --weights assets/weights/parnet-fashion-mnist.safetensors \
  --image assets/samples/0000-ankle-boot.png "$@"
