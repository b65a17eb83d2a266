# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Python drivers of nondeep-cli share: running it, and reading the float32 .npy files
its --dump-logits writes."""

import json
import os
import struct
import subprocess

from nd_tap import require


def run(cli, *args, expect=0, env=None, timeout=900):
    """Runs `cli args`; with @env, these variables over ours (a value None removes one). Fails
    unless the exit status is @expect (None: any)."""
    e = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=e)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {p.returncode}, expected "
                             f"{expect}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def have_vulkan(cli, env=None):
    """Skips the test (fails under ND_TEST_REQUIRE=vulkan) without a Vulkan device."""
    devices = json.loads(run(cli, "devices", "--json", env=env).stdout)
    require("vulkan", devices, "nondeep-cli devices lists no Vulkan device")


def read_npy(path):
    """The values of a little-endian float32 .npy file (version 1 or 2), as a tuple."""
    with open(path, "rb") as f:
        assert f.read(6) == b"\x93NUMPY"
        major = f.read(2)[0]
        n = struct.unpack("<H" if major == 1 else "<I", f.read(2 if major == 1 else 4))[0]
        header = f.read(n).decode()
        assert "'<f4'" in header, header
        data = f.read()
    return struct.unpack("<%df" % (len(data) // 4), data)
