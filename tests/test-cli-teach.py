#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""`nondeep-cli teach` end to end (TAP): 200 Fashion-MNIST training images per class of the easy
trio (trouser, bag, sneaker) as PNG folders, a head taught on the shipped ParNet, ≥ 98 % on the
test set's images of those classes; the saved head loaded back by `run --head` gives the same
logits; the same seed gives the same file; bad input is a clear error."""

import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from export_samples import read_idx, write_png  # noqa: E402
from nd_tap import require, test, run_all  # noqa: E402

CLI = sys.argv[1]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BACKBONE = os.path.join(ROOT, "assets", "weights", "parnet-fashion-mnist.safetensors")
FMNIST = "/usr/share/datasets/fashion-mnist"
EASY = {1: "trouser", 8: "bag", 7: "sneaker"}
TRAIN_PER_CLASS = 200
WORK = tempfile.TemporaryDirectory(prefix="nd-teach-")
state = {}


def cli(*args, expect=0):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {p.returncode}, expected {expect}"
                             f"\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def export(split, prefix, limit):
    """The images of the easy trio as PNGs under WORK/split/NAME; the first @limit per class."""
    (n, rows, cols), images = read_idx(os.path.join(FMNIST, prefix + "-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(FMNIST, prefix + "-labels-idx1-ubyte.gz"))
    counts = {}
    for i in range(n):
        label = labels[i]
        if label not in EASY or (limit and counts.get(label, 0) >= limit):
            continue
        counts[label] = counts.get(label, 0) + 1
        d = os.path.join(WORK.name, split, EASY[label])
        os.makedirs(d, exist_ok=True)
        write_png(os.path.join(d, "%05d.png" % i), cols, rows,
                  images[i * rows * cols:(i + 1) * rows * cols])
    return counts


def classes(split):
    return [a for name in EASY.values()
            for a in ("--class" if split == "train" else "--test",
                      f"{name}={os.path.join(WORK.name, split, name)}")]


def metadata(path):
    with open(path, "rb") as f:
        n, = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)), os.path.getsize(path)


def teach(output, *extra):
    return json.loads(cli("teach", "--weights", BACKBONE, *classes("train"), "--output", output,
                          "--json", *extra).stdout)


@test("teach the easy trio: >= 98 % on its test images")
def easy_trio():
    require("dataset", os.path.isdir(FMNIST),
            "%s is missing (Debian's dataset-fashion-mnist)" % FMNIST)
    assert export("train", "train", TRAIN_PER_CLASS) == {k: TRAIN_PER_CLASS for k in EASY}
    test_counts = export("test", "t10k", None)
    head = os.path.join(WORK.name, "easy.safetensors")
    r = teach(head, *classes("test"))
    state["head"], state["report"] = head, r
    assert r["classes"] == list(EASY.values()), r["classes"]
    assert r["features"] == 320, r["features"]
    assert r["train_counts"] == [160] * 3 and r["holdout_counts"] == [40] * 3, r
    assert sum(map(sum, r["confusion"])) == 120, r["confusion"]
    assert r["test_n"] == sum(test_counts.values()) == 3000, r["test_n"]
    assert sum(map(sum, r["test_confusion"])) == 3000
    right = sum(r["test_confusion"][i][i] for i in range(3))
    assert abs(right / 3000 - r["test_accuracy"]) < 1e-12
    assert r["test_accuracy"] >= 0.98, f"test accuracy {r['test_accuracy']:.4f} < 0.98"
    assert r["holdout_accuracy"] >= 0.95, f"held-out accuracy {r['holdout_accuracy']:.4f}"
    print("# easy trio: held-out %.4f, test %.4f, %.2f s (features %.2f s, training %.2f s)"
          % (r["holdout_accuracy"], r["test_accuracy"], r["seconds"], r["extract_seconds"],
             r["train_seconds"]))


@test("the saved head: metadata, and the same logits through run --head")
def round_trip():
    require("dataset", "head" in state, "no head was taught (no dataset)")
    header, size = metadata(state["head"])
    meta = header["__metadata__"]
    assert meta["nondeep.labels"] == "trouser,bag,sneaker", meta
    assert meta["nondeep.head.backbone"] == os.path.basename(BACKBONE), meta
    assert meta["nondeep.head.layer"] == "head.fc", meta
    assert meta["nondeep.head.train_counts"] == "160,160,160", meta
    assert meta["nondeep.head.holdout_counts"] == "40,40,40", meta
    assert abs(float(meta["nondeep.head.holdout_accuracy"])
               - state["report"]["holdout_accuracy"]) < 1e-4, meta
    confusion = [int(v) for v in meta["nondeep.head.confusion"].split(",")]
    assert confusion == sum(state["report"]["confusion"], []), meta
    assert header["head.fc.weight"]["shape"] == [3, 320], header
    assert header["head.fc.bias"]["shape"] == [3], header
    check = state["report"]["check"]
    out = json.loads(cli("run", "--weights", BACKBONE, "--head", state["head"], "--image",
                         check["image"], "--top", "3", "--json").stdout)
    got = {p["index"]: (p["label"], p["logit"]) for p in out["results"][0]}
    assert sorted(got) == [0, 1, 2], got
    for k, want in enumerate(check["logits"]):
        label, logit = got[k]
        assert label == list(EASY.values())[k], got
        assert abs(logit - want) <= 1e-5 * max(1.0, abs(want)), f"class {k}: {logit} vs {want}"
    assert out["top"][0]["label"] == "trouser", out["top"]   # the first training image's class


@test("the same seed gives the same head file; another seed another split")
def deterministic():
    require("dataset", "head" in state, "no head was taught (no dataset)")
    again = os.path.join(WORK.name, "again.safetensors")
    teach(again)
    with open(state["head"], "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read(), "teaching twice with one seed wrote different files"
    other = teach(os.path.join(WORK.name, "seed2.safetensors"), "--seed", "2")
    assert other["holdout_counts"] == [40] * 3


@test("bad input: one class, an empty folder, a head on the wrong backbone, not a head")
def errors():
    empty = os.path.join(WORK.name, "empty")
    os.makedirs(empty, exist_ok=True)
    out = os.path.join(WORK.name, "bad.safetensors")
    p = cli("teach", "--weights", BACKBONE, "--class", f"a={empty}", "--output", out, expect=1)
    assert "at least twice" in p.stderr, p.stderr
    p = cli("teach", "--weights", BACKBONE, "--class", f"a={empty}", "--class", f"b={empty}",
            "--output", out, expect=1)
    assert "no PNG, JPEG or WebP" in p.stderr, p.stderr
    p = cli("teach", "--weights", BACKBONE, "--class", "nodir", "--class", "b=x", "--output", out,
            expect=1)
    assert "NAME=DIR" in p.stderr, p.stderr
    assert not os.path.exists(out)
    sample = os.path.join(ROOT, "assets", "samples", "0000-ankle-boot.png")
    p = cli("run", "--weights", BACKBONE, "--head", BACKBONE, "--image", sample, expect=1)
    assert "not a valid classifier head file" in p.stderr, p.stderr
    if "head" in state:
        other = os.path.join(ROOT, "assets", "weights", "repvgg-a0-w0.25-fmnist.safetensors")
        p = cli("run", "--weights", other, "--head", state["head"], "--image", sample, expect=1)
        assert "taught on" in p.stderr, p.stderr
        p = cli("run", "--head", state["head"], "--image", sample, expect=1)
        assert "--weights" in p.stderr, p.stderr
        trouser = os.path.join(WORK.name, "train", "trouser")
        p = cli("teach", "--weights", BACKBONE, "--class", f"a={trouser}", "--class",
                f"a={trouser}", "--output", out, expect=1)
        assert "distinct" in p.stderr, p.stderr


run_all(WORK.cleanup)
