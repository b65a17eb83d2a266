#!/bin/sh
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A relocatable tarball of built programs and the shared libraries they load (GLib, OpenBLAS,
# GStreamer, Cairo, Pango, ..., and the Vulkan loader, which the runtime dlopens), for timing
# on a machine that has a GPU driver but none of our build dependencies (a CUDA image):
#
#   tools/bundle.sh OUT.tar.xz build/app/cli/nondeep-cli build/tests/test-backend-ops
#   # there:
#   mkdir -p /tmp/nd && tar xf OUT.tar.xz -C /tmp/nd
#   LD_LIBRARY_PATH=/tmp/nd/lib /tmp/nd/nondeep-cli devices
#
# glibc itself (libc, libm, the dynamic loader) is left out: the target's own is used, so the
# target needs a glibc at least as new as the build machine's (Debian 12: 2.36).
set -eu
out=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/lib"
for p in "$@"; do
  cp "$p" "$dir/"
  ldd "$p" | awk '$3 ~ /^\// { print $3 }'
done | sort -u | grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$dir/lib/"; done
vk=$(ldconfig -p | awk '/libvulkan\.so\.1 / { print $NF; exit }')
[ -n "$vk" ] && cp -L "$vk" "$dir/lib/"
tar -C "$dir" -cJf "$out" .
echo "$out: $(du -h "$out" | cut -f1)"
