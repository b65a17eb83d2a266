#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""nondeep-cli lesson end to end (TAP): the steps of each family on the shipped trained weights
or random ones, each within 1e-5 relative in float32; the JSON keys the README documents; the
pitfalls' effects; the PDF handout's pages; bad input."""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

CLI = sys.argv[1]
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "weights")
TMP = tempfile.mkdtemp(prefix="nd-cli-lesson-")
STEP_MAX_REL = 1e-5
SMALL = ["--width", "0.25", "--resolution", "32"]
results = []


def cli(*args, expect=0):
    p = subprocess.run([CLI, "lesson", *map(str, args)], capture_output=True, text=True,
                       timeout=600)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"lesson {' '.join(map(str, args))}: exit {p.returncode}, expected "
                             f"{expect}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def lesson(*args):
    return json.loads(cli(*args, "--json").stdout)


def weights(name):
    return os.path.join(WEIGHTS, name + ".safetensors")


def check_steps(d, ids):
    got = [s["id"] for s in d["steps"]]
    assert got == ids, f"{d['model']} {d['block']}: steps {got}, expected {ids}"
    assert d["precision"] == "float32" and d["n_steps"] == len(ids)
    for i, s in enumerate(d["steps"]):
        assert s["index"] == i
        assert s["valid"], s["id"]
        assert s["max_rel"] <= STEP_MAX_REL, f"{d['model']} {d['block']} {s['id']}: {s['max_rel']}"
        assert s["explanation"] and s["title"] and s["url"].startswith("https://arxiv.org/")
        assert s["tensors"], s["id"]
        for t in s["tensors"]:
            assert set(t) == {"name", "shape", "min", "max", "mean_abs", "slice"}, t.keys()
    assert d["steps"][0]["max_abs"] == 0


def test_repvgg_shipped():
    d = lesson("--weights", weights("repvgg-a0-w0.25-fmnist"), "--block", "stage1.1")
    assert d["model"] == "repvgg-a0" and d["family"] == "repvgg" and d["block"] == "stage1.1"
    assert d["input_shape"][0] == 1
    check_steps(d, ["training", "bn_folded", "pad_1x1", "identity_kernel", "fused"])
    fused = d["steps"][4]["tensors"]
    # the addends, then the fused kernel: the slices add up
    k = [t["slice"] for t in fused if t["name"].endswith(".weight")]
    assert len(k) == 4, [t["name"] for t in fused]
    for j in range(9):
        assert abs(k[0][j] + k[1][j] + k[2][j] - k[3][j]) <= 1e-5 * max(1, abs(k[3][j])), j
    # the 1×1 padded: a single value at the centre
    pad = d["steps"][2]["tensors"][0]["slice"]
    assert all(v == 0 for j, v in enumerate(pad) if j != 4) and pad[4] != 0


def test_parnet_shipped():
    d = lesson("--weights", weights("parnet-fashion-mnist"), "--block", "inits.0.0")
    check_steps(d, ["training", "bn_folded", "pool_1x1", "fused", "sse"])
    pool = d["steps"][2]["tensors"][0]["slice"]
    # AvgPool 2×2 + 1×1 at stride 2: w/4 on the four taps (1..2, 1..2), zero elsewhere
    assert pool[0] == pool[1] == pool[2] == pool[3] == pool[6] == 0
    assert pool[4] == pool[5] == pool[7] == pool[8] != 0
    gate = d["steps"][4]["tensors"][0]
    assert gate["name"].endswith(".gate") and 0 <= gate["min"] <= gate["max"] <= 2
    d = lesson("--weights", weights("parnet-fashion-mnist"), "--block", "streams.0.1")
    check_steps(d, ["training", "bn_folded", "pad_1x1", "fused", "sse"])


def test_vanillanet_shipped():
    d = lesson("--weights", weights("vanillanet-5-w0.125-fmnist"), "--block", "stages.0")
    check_steps(d, ["training", "bn_folded", "activation", "merge_1x1"])
    act = {t["name"]: t for t in d["steps"][2]["tensors"]}
    assert act["lambda"]["slice"] == [1.0]
    curve = act["activation_curve"]["slice"]
    n = len(curve) // 2
    assert curve[:n] == curve[n:], "at λ = 1 the activation is the identity"


def test_vanillanet_lambda():
    d = lesson("--model", "vanillanet-5", "--width", "0.125", "--resolution", "32",
               "--lambda", "0.5", "--block", "stages.1")
    steps = {s["id"]: s for s in d["steps"]}
    assert steps["bn_folded"]["valid"] and steps["bn_folded"]["max_rel"] <= STEP_MAX_REL
    assert not steps["activation"]["valid"] and steps["activation"]["max_rel"] > 1e-2
    assert not steps["merge_1x1"]["valid"]
    p = cli("--model", "vanillanet-5", "--width", "0.125", "--resolution", "32", "--lambda", "0.5",
            "--block", "stages.1", "--pitfall", "int8", expect=1)
    assert "λ = 1" in p.stderr, p.stderr


def test_random_families():
    for model, block, ids in [
            ("repvgg-b1g4", "stage2.1", ["training", "bn_folded", "pad_1x1", "identity_kernel",
                                         "fused"]),
            ("resnet-18", "layer2.0", ["training", "bn_folded"]),
            ("parnet-s", "combine", ["training", "bn_folded", "pad_1x1", "fused", "sse"])]:
        check_steps(lesson("--model", model, *SMALL, "--block", block), ids)


def test_step_and_channels():
    d = lesson("--model", "repvgg-b1g4", *SMALL, "--block", "stage2.1", "--step", "3",
               "--out-channel", "5", "--in-channel", "5")
    assert [s["index"] for s in d["steps"]] == [3] and d["n_steps"] == 5
    assert d["out_channel"] == 5 and d["in_channel"] == 5
    kernel = d["steps"][0]["tensors"][0]["slice"]
    assert kernel[4] != 0 and sum(abs(v) for v in kernel) == abs(kernel[4])
    # input channel 40 is in another of the 4 groups than output channel 5: no slice
    d = lesson("--model", "repvgg-b1g4", *SMALL, "--block", "stage2.1", "--step", "3",
               "--out-channel", "5", "--in-channel", "40")
    assert d["steps"][0]["tensors"][0]["slice"] is None


def test_input_npy():
    path = os.path.join(TMP, "x.npy")
    values = [((i * 37) % 101) / 50.0 - 1.0 for i in range(32 * 32)]
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32, 32), }"
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))
    d = lesson("--weights", weights("repvgg-a0-w0.25-fmnist"), "--block", "stage2.0",
               "--input", path)
    assert d["input_shape"] == [1, 1, 32, 32]
    check_steps(d, [s["id"] for s in d["steps"]])


def test_pitfalls():
    w = ["--weights", weights("repvgg-a0-w0.25-fmnist"), "--block", "stage1.1", "--step", "0"]
    e = lesson(*w, "--pitfall", "eval")["pitfall"]
    assert e["kind"] == "eval"
    # batch statistics of one image instead of the running ones: a large difference
    assert e["block_unfused_max_rel"] > 0.05, e
    assert len(e["top5_float"]) == len(e["top5_unfused"]) == 5
    assert "block_fused_max_rel" not in e
    q = lesson(*w, "--pitfall", "int8")["pitfall"]
    for key in ("block_unfused_max_rel", "block_fused_max_rel", "logits_unfused_max_rel",
                "logits_fused_max_rel", "top5_fused", "top5_changed_fused", "hist_range",
                "hist_branches", "hist_fused", "int8_step_branches", "int8_step_fused",
                "zero_fraction_branches", "zero_fraction_fused"):
        assert key in q, key
    # after fusion the kernel's range grows, the int8 step with it, and the error follows
    assert q["int8_step_fused"] > q["int8_step_branches"], q
    assert q["logits_fused_max_rel"] > q["logits_unfused_max_rel"] > 0, q
    assert len(q["hist_fused"]) == len(q["hist_branches"]) == 21
    h = lesson(*w, "--pitfall", "fp16")["pitfall"]
    assert 0 < h["logits_unfused_max_rel"] < 1e-2 and 0 < h["logits_fused_max_rel"] < 1e-2, h
    # the text form prints the same numbers
    p = cli(*w, "--pitfall", "int8")
    assert "pitfall int8" in p.stdout and "%.3g" % q["logits_fused_max_abs"] in p.stdout


def pdf_pages(path):
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    with open(path, "rb") as f:   # without poppler-utils: count the page objects
        return len(re.findall(rb"/Type\s*/Page\b", f.read()))


def test_pdf():
    out = os.path.join(TMP, "lesson.pdf")
    d = json.loads(cli("--weights", weights("repvgg-a0-w0.25-fmnist"), "--block", "stage1.1",
                       "--pitfall", "int8", "--output", out, "--json").stdout)
    with open(out, "rb") as f:
        assert f.read(5) == b"%PDF-"
    # an overview, one page per step, the pitfall
    assert pdf_pages(out) == 1 + d["n_steps"] + 1, pdf_pages(out)
    # every family draws: ParNet's pool and SSE steps, VanillaNet's curve and 7×7 kernels
    for args in (["--weights", weights("parnet-fashion-mnist"), "--block", "inits.0.0"],
                 ["--weights", weights("vanillanet-5-w0.125-fmnist"), "--block", "stages.0",
                  "--pitfall", "eval"],
                 ["--model", "resnet-18", *SMALL, "--block", "layer2.0"]):
        other = os.path.join(TMP, "other.pdf")
        d2 = json.loads(cli(*args, "--output", other, "--json").stdout)
        assert pdf_pages(other) == 1 + d2["n_steps"] + ("pitfall" in d2), args
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "2", "-l", "2", out,
                        os.path.join(TMP, "page")], check=True)
        assert any(n.startswith("page") and n.endswith(".png") for n in os.listdir(TMP))


def test_frames():
    out = os.path.join(TMP, "frames")
    cli("--weights", weights("repvgg-a0-w0.25-fmnist"), "--block", "stage1.1", "--frames", out)
    names = sorted(os.listdir(out))
    assert names == ["merge-%03d.png" % i for i in range(25)], names
    data = [open(os.path.join(out, n), "rb").read() for n in names]
    assert all(d[:8] == b"\x89PNG\r\n\x1a\n" for d in data)
    # the addends move: the first, middle and last frames differ
    assert data[0] != data[12] != data[24]
    # a block without branches has no merge to animate
    cli("--model", "resnet-18", *SMALL, "--block", "layer2.0", "--frames", out, expect=1)


def test_errors():
    p = cli("--model", "repvgg-a0", *SMALL, expect=1)
    assert "stage1.1" in p.stderr, p.stderr   # lists the blocks
    p = cli("--model", "repvgg-a0", *SMALL, "--block", "nope", expect=1)
    assert "nope" in p.stderr
    cli("--model", "repvgg-a0", *SMALL, "--block", "stage1.1", "--pitfall", "bf8", expect=1)
    cli("--model", "repvgg-a0", *SMALL, "--block", "stage1.1", "--step", "99", expect=1)
    p = cli("--model", "vgg-16", *SMALL, "--block", "features.0", expect=1)
    assert "nothing to re-parameterize" in p.stderr or "no block" in p.stderr, p.stderr
    cli("--model", "repvgg-a0", *SMALL, "--block", "stage1.1", "--input",
        os.path.join(TMP, "missing.npy"), expect=1)


TESTS = [test_repvgg_shipped, test_parnet_shipped, test_vanillanet_shipped,
         test_vanillanet_lambda, test_random_families, test_step_and_channels, test_input_npy,
         test_pitfalls, test_pdf, test_frames, test_errors]

print(f"1..{len(TESTS)}")
failed = 0
for i, test in enumerate(TESTS, 1):
    try:
        test()
        print(f"ok {i} {test.__name__}")
    except Exception as e:   # report and go on: every case gets its line
        failed += 1
        print(f"not ok {i} {test.__name__}")
        for line in str(e).splitlines() or [repr(e)]:
            print(f"# {line}")
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if failed else 0)
