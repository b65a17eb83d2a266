#!/bin/sh
# Sets up everything on a fresh Debian 12 machine, builds, and starts Nondeep Explorer on its
# built-in default: the project's Fashion-MNIST ParNet and the bundled sample images. Run from
# the build folder it behaves like an installed copy (data, translations, settings schema).
set -eu
cd "$(dirname "$0")"
tools/setup-build.sh
if [ -x build/app/gui/nondeep ]; then
  if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec build/app/gui/nondeep "$@"
  fi
  echo "run.sh: the window needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set);" \
    "classifying a sample with nondeep-cli instead." >&2
  set --
fi
# No window (no display, or a build without the GUI): classify a bundled sample with the
# command-line tool on the default model.
exec build/app/cli/nondeep-cli run --weights assets/weights/parnet-fashion-mnist.safetensors \
  --image assets/samples/0000-ankle-boot.png "$@"
