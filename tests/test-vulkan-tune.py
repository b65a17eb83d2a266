#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel tuning on the Vulkan backend (--tune, ND_VK_TUNE), through the CLI (TAP).

`bench --tune` times each convolution's kernel variants and remembers the fastest per device
and shape in $XDG_CACHE_HOME/nondeep/vulkan-kernels.ini; later plans use those verdicts. Which
variant wins is a measurement (it differs between runs on lavapipe), so these tests check what
must hold whatever wins: the verdicts are written and read back, a verdict decides a kernel,
logits do not change beyond the kernels' own rounding, and a damaged file means the rules.
Each case has its own cache folder; the suite's ND_VK_TUNE=0 is removed here.
"""

import configparser
import json
import os
import re
import sys
import tempfile

import nd_cli
from nd_tap import test, run_all

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="nd-vk-tune-")
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "samples",
                      "0000-ankle-boot.png")
# RepVGG-A0 at half width and 32 px: 22 convolutions of 8 shapes, 3×3 stride-1 ones among
# them that Winograd can take; tuning it on lavapipe takes about 20 s
MODEL = ("--model", "repvgg-a0", "--width", "0.5", "--resolution", "32", "--fused",
         "--backend", "vulkan")


def cli(cache, *args, expect=0, env=None):
    return nd_cli.run(CLI, *args, expect=expect,
                      env={"XDG_CACHE_HOME": cache, "ND_VK_TUNE": None, **(env or {})})


def bench(cache, *extra, env=None):
    return json.loads(cli(cache, "bench", *MODEL, "--iters", "2", "--warmup", "0", "--json",
                          *extra, env=env).stdout)


def conv_algos(r):
    return {op["name"]: op["algo"] for op in r["ops"] if op["op"] == "conv2d"}


def variants(r):
    """Each op's tuned kernel variant (bench JSON ops[].variant), the rules' left out."""
    return {op["name"]: op["variant"] for op in r["ops"] if op["variant"] is not None}


def have_vulkan():
    nd_cli.have_vulkan(CLI, env={"XDG_CACHE_HOME": TMP})


def verdicts(cache):
    path = os.path.join(cache, "nondeep", "vulkan-kernels.ini")
    kf = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    kf.optionxform = str
    assert kf.read(path), path + " was not written"
    return kf


def logits(cache, name, env=None):
    out = os.path.join(TMP, name + ".npy")
    cli(cache, "run", *MODEL, "--seed", "3", "--image", SAMPLE, "--dump-logits", out, env=env)
    return nd_cli.read_npy(out)


VARIANTS = {"rules", "winograd-off", "winograd-f23", "winograd-f43", "tile-32x32x4x4",
            "tile-64x64x4x4", "tile-64x64x8x8", "tile-128x64x8x4", "tile-128x128x8x8",
            "split-k-off", "coopmat-off"}
TUNED = os.path.join(TMP, "tuned")


@test("bench --tune: timed, remembered per shape, then used without --tune")
def _():
    have_vulkan()
    p = cli(TUNED, "bench", *MODEL, "--iters", "2", "--warmup", "0", "--json", "--tune",
            env={"G_MESSAGES_DEBUG": "NdRuntime"})
    first = json.loads(p.stdout)
    assert first["kernels"] == "tuned" and first["tune_ms"] > 0, first["kernels"]
    # variants were built and timed (whichever won): on lavapipe the rules take 4×4 register
    # blocks and Winograd at 8×8, so the 8×8 blocks and Winograd off at least differ
    built = dict((m.group(1), int(m.group(2))) for m in
                 re.finditer(r"kernel variant (\S+): (\d+) convolutions built otherwise",
                             p.stderr))
    assert set(built) == VARIANTS - {"rules"}, sorted(built)
    assert built["winograd-off"] > 0 and built["tile-64x64x8x8"] > 0, built
    kf = verdicts(TUNED)
    assert len(kf.sections()) == 1, kf.sections()
    group = kf[kf.sections()[0]]
    # one key per convolution shape (the 22 convolutions have 8), each "variant;ms;ms"
    assert len(group) == 8, list(group)
    for key, value in group.items():
        name, rules_ms, best_ms = value.split(";")
        assert key.startswith("fp32.b1.") and name in VARIANTS, (key, value)
        assert float(best_ms) <= float(rules_ms), (key, value)
    tuned = sum(1 for v in group.values() if not v.startswith("rules;"))
    again = bench(TUNED)
    assert again["kernels"] == "tuned earlier", again["kernels"]
    assert again["tuned_ops"] == first["tuned_ops"] and again["tune_ms"] == 0
    assert conv_algos(again) == conv_algos(first)
    assert (first["tuned_ops"] > 0) == (tuned > 0), (first["tuned_ops"], tuned)
    # the ops say which variant: as many as tuned_ops, each its shape's verdict
    assert variants(again) == variants(first) and len(variants(first)) == first["tuned_ops"]
    assert set(variants(first).values()) <= {v.split(";")[0] for v in group.values()}
    # a second --tune has nothing left to time; --retune times them all again
    assert bench(TUNED, "--tune")["kernels"] == "tuned earlier"
    p = cli(TUNED, "bench", *MODEL, "--iters", "1", "--warmup", "0", "--json", "--retune",
            env={"G_MESSAGES_DEBUG": "NdRuntime"})
    re_ = json.loads(p.stdout)
    assert re_["kernels"] == "tuned" and re_["tune_ms"] > 0, re_["kernels"]
    assert "kernel variant winograd-off:" in p.stderr, p.stderr[-2000:]
    kf = verdicts(TUNED)
    assert len(kf.sections()) == 1 and set(kf[kf.sections()[0]]) == set(group), list(kf)


@test("verdicts decide the kernels; the logits stay the rules' to 1e-4")
def _():
    have_vulkan()
    kf = verdicts(TUNED)
    section = kf.sections()[0]
    cache = os.path.join(TMP, "forced")
    os.makedirs(os.path.join(cache, "nondeep"))
    wino = [k for k in kf[section] if ".k3x3.s1." in k and not k.split(".")[2].startswith("i3x")]
    assert wino, list(kf[section])
    for key in kf[section]:
        kf[section][key] = ("winograd-f43" if key in wino else "tile-64x64x8x8") + ";1;0.5"
    with open(os.path.join(cache, "nondeep", "vulkan-kernels.ini"), "w") as f:
        kf.write(f, space_around_delimiters=False)
    r = bench(cache)
    assert r["kernels"] == "tuned earlier", r["kernels"]
    algos = conv_algos(r)
    assert "vk-winograd-f43" in algos.values(), algos
    # the ops a verdict builds otherwise than the rules name its variant, and only they count
    # (F(4,3) is no kernel for the 2×2 and 4×4 maps: those stay the rules' implicit GEMM)
    v = variants(r)
    assert r["tuned_ops"] == len(v) and 0 < len(v) < 22, (r["tuned_ops"], v)
    assert set(v.values()) == {"winograd-f43", "tile-64x64x8x8"}, v
    assert all((algos[name] == "vk-winograd-f43") == (var == "winograd-f43")
               for name, var in v.items()), (algos, v)
    assert all(name in v for name, algo in algos.items() if algo == "vk-winograd-f43"), v
    rules = bench(cache, env={"ND_VK_TUNE": "0"})
    assert rules["kernels"] == "rules" and rules["tuned_ops"] == 0 and not variants(rules)
    assert "vk-winograd-f43" not in conv_algos(rules).values()
    a = logits(cache, "verdicts")
    b = logits(cache, "rules", env={"ND_VK_TUNE": "0"})
    scale = max(1.0, max(abs(x) for x in b))
    worst = max(abs(x - y) for x, y in zip(a, b))
    assert len(a) == len(b) and worst <= 1e-4 * scale, (worst, scale)


@test("a damaged or foreign verdict file means the rules, and is not fatal")
def _():
    have_vulkan()
    kf = verdicts(TUNED)
    section = kf.sections()[0]
    key = next(iter(kf[section]))
    bad = {
        "binary": b"\x00\xff[\x01garbage\n=;;\n" * 50,
        "values": ("[%s]\n%s=no-such-kernel;1;1\n" % (section, key)
                   + "\n".join("%s=winograd-f43;%s" % (k, v) for k, v in
                               zip(list(kf[section])[1:], ["nan;1", "1", "-1;2", "1;1e99"])
                               )).encode(),
        "other device": ("[0000:0000 driver 0 nondeep 0]\n%s=winograd-f43;1;1\n"
                         % key).encode(),
    }
    for what, data in bad.items():
        cache = os.path.join(TMP, "bad-" + what.replace(" ", "-"))
        os.makedirs(os.path.join(cache, "nondeep"))
        with open(os.path.join(cache, "nondeep", "vulkan-kernels.ini"), "wb") as f:
            f.write(data)
        r = bench(cache)
        assert r["kernels"] == "rules" and r["tuned_ops"] == 0, (what, r["kernels"])


@test("the environment's kernel overrides win; --tune is for Vulkan")
def _():
    have_vulkan()
    assert bench(TUNED, env={"ND_VK_WINOGRAD": "0"})["kernels"] == "forced"
    assert bench(TUNED, env={"ND_VK_TUNE": "0"})["kernels"] == "rules"
    r = json.loads(cli(TUNED, "bench", "--model", "repvgg-a0", "--width", "0.5",
                       "--resolution", "32", "--iters", "1", "--json").stdout)
    assert r["kernels"] is None and r["tuned_ops"] is None and r["tune_ms"] is None
    assert not variants(r) and all("variant" in op for op in r["ops"])
    p = cli(TUNED, "run", "--model", "repvgg-a0", "--resolution", "32", "--image", SAMPLE,
            "--tune", expect=None)
    assert p.returncode in (1, 2) and "--tune is for the Vulkan backend" in p.stderr, p.stderr
    p = cli(TUNED, "bench", "--model", "repvgg-a0", "--resolution", "32", "--retune",
            expect=None)
    assert p.returncode in (1, 2) and "--retune is for the Vulkan backend" in p.stderr, p.stderr
    t = cli(TUNED, "bench", *MODEL, "--iters", "1", "--warmup", "0").stdout
    assert "kernels: as timed earlier on this device" in t, t


run_all()
