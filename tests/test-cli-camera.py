#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""`nondeep-cli camera` end to end without a camera (TAP): test pattern and a still file
through capture → preprocess → inference, JSON keys, and the missing-device errors."""

import json
import subprocess
import sys
import time

CLI = sys.argv[1]
SAMPLE = sys.argv[2]
# a small Fashion-MNIST-shaped ParNet with random weights: the path, not the accuracy
SMALL = ["--model", "parnet-s", "--in-channels", "1", "--resolution", "32", "--classes", "10",
         "--width", "0.25"]
results = []


def run(*args, timeout=120):
    t0 = time.monotonic()
    p = subprocess.run([CLI, "camera", *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    return p, time.monotonic() - t0


def test(name):
    def wrap(f):
        try:
            f()
            results.append((True, name, ""))
        except Exception as e:  # noqa: BLE001 - every failure is reported as TAP
            results.append((False, name, str(e)))
        return f
    return wrap


@test("test pattern: frames, fps and the JSON keys")
def _():
    p, _ = run("--test-pattern", "--frames", 25, "--json", *SMALL)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    for key in ("frames", "fps", "model", "backend", "dropped"):
        assert key in r, f"no {key} in {r}"
    assert r["frames"] == 25, r
    assert r["fps"] > 0, r
    assert r["model"] == "parnet-s" and r["backend"] == "cpu", r
    assert r["received"] >= r["frames"] + r["dropped"] - 1, r
    assert r["last_top1"] != "", r


@test("still image file as the source")
def _():
    p, _ = run("--file", SAMPLE, "--frames", 5, "--fps", 60, "--json", *SMALL)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["frames"] == 5


@test("RGB family preprocessing at a small resolution")
def _():
    p, _ = run("--test-pattern", "--pattern", "smpte", "--size", "97x61", "--frames", 3,
               "--model", "repvgg-a0", "--resolution", "32", "--width", "0.25", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["frames"] == 3 and "bilinear 32, crop 32" in r["preprocess"], r


@test("absent camera /dev/video99: a clear error, quickly")
def _():
    p, dt = run("--device", "/dev/video99", "--frames", 3, *SMALL, timeout=30)
    assert p.returncode == 1, (p.returncode, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "/dev/video99" in lines[0] and "not found" in lines[0], lines
    assert dt < 15, dt


@test("bad arguments are refused")
def _():
    for args in (["--frames", 0], ["--size", "axb"], ["--test-pattern", "--pattern", "nope"],
                 ["--test-pattern", "--file", SAMPLE]):
        p, _ = run(*args, *SMALL)
        assert p.returncode in (1, 2), (args, p.returncode, p.stderr)
        assert p.stderr.startswith("nondeep-cli"), (args, p.stderr)


print(f"1..{len(results)}")
for i, (ok, name, msg) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    for line in msg.splitlines():
        print(f"# {line}")
sys.exit(0)
