#!/bin/sh
# Installs the Debian 12 packages Nondeep Explorer needs to build, run and test.
# Idempotent: skips apt entirely when everything is already installed.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc
  libglib2.0-dev libjson-glib-dev libopenblas-dev libopenblas0-pthread
  libgdk-pixbuf-2.0-dev
  libjpeg-dev
  libvulkan-dev mesa-vulkan-drivers glslc spirv-tools vulkan-tools
  libgtk-4-dev libadwaita-1-dev libcairo2-dev libpango1.0-dev
  fonts-wqy-microhei
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  xvfb xauth desktop-file-utils appstream gettext locales
  python3 python3-numpy python3-torch python3-torchvision python3-pil dataset-fashion-mnist
"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing:$missing"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# The tests run the programs under LANG=zh_CN.UTF-8 (and the app in Chinese is one of its
# looks): a fresh Debian has only C.UTF-8, so that locale is generated once
if ! locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8'; then
  echo "Generating the zh_CN.UTF-8 locale"
  $SUDO sed -i 's/^# *\(zh_CN\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  $SUDO locale-gen
fi
