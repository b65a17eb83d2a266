#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""nondeep-cli smoke tests: every subcommand, its JSON keys, and its bad-input errors (TAP).

A test that cannot run here (no Vulkan device, no dataset) reports "ok N - ... # SKIP why";
with that resource named in ND_TEST_REQUIRE (CI: .ci/run) it fails instead.
New cases go with their kind: subcommands before "bad arguments", hostile files at the end."""

import json
import os
import struct
import subprocess
import sys
import tempfile

from nd_tap import test, run_all, require

CLI = sys.argv[1]
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "weights")
FMNIST = "/usr/share/datasets/fashion-mnist"
TMP = tempfile.mkdtemp(prefix="nd-cli-test-")


def cli(*args, expect=0):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=600)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {p.returncode}, "
                             f"expected {expect}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def cli_json(*args):
    return json.loads(cli(*args, "--json").stdout)


def cli_error(*args, contains=None):
    """A bad invocation: non-zero exit, one line on stderr, no crash (no signal)."""
    p = cli(*args, expect=None)
    assert p.returncode in (1, 2), f"{args}: exit {p.returncode}, expected 1 or 2\n{p.stderr}"
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert lines and lines[0].startswith("nondeep-cli"), f"{args}: stderr {p.stderr!r}"
    if p.returncode == 1:
        assert len(lines) == 1, f"{args}: expected one line, got {lines}"
    if contains:
        assert contains.lower() in p.stderr.lower(), f"{args}: {contains!r} not in {p.stderr!r}"
    return p


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY"
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hlen].decode()
    body = data[10 + hlen:]
    return header, struct.unpack("<%df" % (len(body) // 4), body)


@test("info: ParNet-S counts, both forms")
def _():
    u = cli_json("info", "--model", "parnet-s")
    assert u["params"] == 20930936, u["params"]
    assert u["depth"] == 12, u["depth"]
    assert round(u["macs"] / 1e9, 3) == 5.260, u["macs"]
    assert any(b["block"] == "streams.2.4" for b in u["blocks"])
    f = cli_json("info", "--model", "parnet-s", "--fused")
    assert f["params"] == 19128980, f["params"]
    assert round(f["macs"] / 1e9, 3) == 4.734, f["macs"]
    assert f["fused"] is True


@test("info: RepVGG-A0 and VanillaNet-5 deploy counts")
def _():
    assert cli_json("info", "--model", "repvgg-a0", "--fused")["params"] == 8309384
    v = cli_json("info", "--model", "vanillanet-5", "--fused")
    assert v["params"] == 15523304 and v["macs"] == 5161185280, v
    assert cli_json("info", "--model", "resnet-50")["depth"] == 50


for model in ["parnet-s", "repvgg-a0", "repvgg-b1g4", "vanillanet-5", "resnet-18"]:
    @test(f"verify: {model} fused = unfused")
    def _(model=model):
        r = cli_json("verify", "--model", model, "--resolution", "64", "--classes", "10")
        assert r["ok"] is True and r["max_rel"] <= 1e-4, r


@test("verify: VanillaNet at λ < 1 is refused")
def _():
    cli_error("verify", "--model", "vanillanet-5", "--resolution", "64", "--lambda", "0.5",
              contains="λ")


@test("run: --input .npy, top-K JSON, --dump-logits")
def _():
    x = os.path.join(TMP, "x.npy")
    y = os.path.join(TMP, "y.npy")
    write_npy(x, (1, 3, 64, 64), [((i * 7919) % 255) / 127.0 - 1.0 for i in range(3 * 64 * 64)])
    r = cli_json("run", "--model", "repvgg-a0", "--input", x, "--top", "3", "--dump-logits", y)
    top = r["results"][0]
    assert len(top) == 3 and all({"index", "label", "probability"} <= set(t) for t in top), r
    assert top[0]["probability"] >= top[1]["probability"] >= top[2]["probability"]
    header, logits = read_npy(y)
    assert "(1, 1000)" in header and len(logits) == 1000, header
    assert max(range(1000), key=lambda i: logits[i]) == top[0]["index"]
    assert r["results"][0][0]["label"] != "class %d" % top[0]["index"]   # ImageNet names


@test("fuse: deploy weights reproduce the training form")
def _():
    x = os.path.join(TMP, "x.npy")
    out = os.path.join(TMP, "fused.safetensors")
    train = os.path.join(TMP, "train.safetensors")
    # our own random weights as a file: fuse reads them back
    first = os.path.join(TMP, "first.safetensors")
    # random weights (seed 3) saved in training form, then fused from that file
    cli("fuse", "--model", "parnet-s", "--resolution", "64", "--classes", "10", "--seed", "3",
        "--output", first, "--training-output", train)
    write_npy(x, (1, 3, 64, 64), [((i * 31) % 97) / 48.0 - 1.0 for i in range(3 * 64 * 64)])
    cli("fuse", "--weights", train, "--output", out)
    a = cli_json("run", "--weights", train, "--input", x, "--top", "1")
    b = cli_json("run", "--weights", out, "--input", x, "--top", "1")
    assert b["fused"] is True
    la, lb = a["results"][0][0]["logit"], b["results"][0][0]["logit"]
    assert abs(la - lb) <= 1e-4 * max(1.0, abs(la)), (la, lb)


@test("bench: JSON keys and per-op table")
def _():
    r = cli_json("bench", "--model", "repvgg-a0", "--resolution", "64", "--fused",
                 "--iters", "3", "--warmup", "1")
    for k in ("median_ms", "min_ms", "max_ms", "ops", "gflops"):
        assert k in r, k
    assert r["min_ms"] <= r["median_ms"] <= r["max_ms"]
    assert any(op["algo"] and op["op"] == "conv2d" for op in r["ops"])


@test("bench: per-stream times")
def _():
    r = cli_json("bench", "--model", "parnet-s", "--resolution", "64", "--width", "0.25",
                 "--iters", "2", "--warmup", "0")
    streams = {s["stream"]: s["ms"] for s in r["streams"]}
    assert set(streams) == {-1, 0, 1, 2}, streams
    assert abs(sum(streams.values()) - r["op_sum_ms"]) < 1e-6 * max(1.0, r["op_sum_ms"])
    assert all(op["stream"] in streams for op in r["ops"] if op["median_ms"] > 0)


@test("bench: --backend vulkan --device by name")
def _():
    devices = json.loads(cli("devices", "--json").stdout)
    require("vulkan", devices, "nondeep-cli devices lists no Vulkan device")
    name = devices[0]["name"].split()[0].upper()   # any case, any part of the name
    r = cli_json("bench", "--model", "repvgg-a0", "--resolution", "32", "--width", "0.25",
                 "--iters", "2", "--warmup", "0", "--backend", "vulkan", "--device", name)
    assert r["backend"] == "vulkan" and devices[0]["name"] in r["device"], r["device"]
    assert any(op["algo"].startswith("vk-") for op in r["ops"])
    cli_error("bench", "--model", "repvgg-a0", "--backend", "vulkan", "--device",
              "no-such-gpu", contains="no-such-gpu")


def safetensors_metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})


@test("eval: every shipped model reproduces its card on the first 1000 test images")
def _():
    require("dataset", os.path.isdir(FMNIST),
            "%s is missing (Debian's dataset-fashion-mnist)" % FMNIST)
    shipped = sorted(f for f in os.listdir(WEIGHTS_DIR) if f.endswith(".safetensors"))
    assert shipped, WEIGHTS_DIR
    for name in shipped:
        path = os.path.join(WEIGHTS_DIR, name)
        meta = safetensors_metadata(path)
        want = int(meta["nondeep.test_correct_first_1000"])
        for form in ([], ["--fused"]):
            r = cli_json("eval", "--weights", path, "--dataset", "fashion-mnist", "--limit",
                         "1000", *form)
            assert r["n"] == 1000 and abs(r["accuracy"] - r["correct"] / 1000) < 1e-9, r
            # PyTorch and our kernels round differently: one borderline image may flip.
            assert abs(r["correct"] - want) <= 1, (name, form, r["correct"], want)
            print("# %s%s: %d / 1000 (card: %d)" % (name, " fused" if form else "",
                                                    r["correct"], want))
        # --model alone finds the shipped weights of that model (the first by file name)
        first = sorted(f for f in shipped
                       if safetensors_metadata(os.path.join(WEIGHTS_DIR, f))["nondeep.model"]
                       == meta["nondeep.model"])[0]
        if first == name:
            r = cli_json("eval", "--model", meta["nondeep.model"], "--dataset", "fashion-mnist",
                         "--limit", "1000")
            assert abs(r["correct"] - want) <= 1 and r["weights"].endswith(name), r

def write_safetensors(path, tensors, metadata):
    """tensors: [(name, shape, values)], float32, in order."""
    header, data = {"__metadata__": metadata} if metadata is not None else {}, b""
    for name, shape, values in tensors:
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(header, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = []
    for name, t in header.items():
        b, e = t["data_offsets"]
        out.append((name, t["shape"], list(struct.unpack("<%df" % ((e - b) // 4), data[b:e]))))
    return out


def write_torch_zip(path, state_dicts):
    """A torch.save-layout zip whose data.pkl is {entry: {name: tensor}} (pickle protocol 2,
    assembled opcode by opcode as tests/data/hostile/make-hostile.py does: no torch needed)."""
    import zipfile

    def u(x):
        b = x.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    def tup(vals):
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in vals) + b"t"

    pkl, storages = b"\x80\x02}(", {}
    for entry, tensors in state_dicts:
        pkl += u(entry) + b"}("
        for name, shape, values in tensors:
            key = str(len(storages))
            storages[key] = struct.pack("<%df" % len(values), *values)
            stride, acc = [], 1
            for d in reversed(shape):
                stride.insert(0, acc)
                acc *= d
            pkl += (u(name) + b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + u("storage") +
                    b"ctorch\nFloatStorage\n" + u(key) + u("cpu") +
                    b"J" + struct.pack("<i", len(values)) + b"tQ" + b"J\0\0\0\0" +
                    tup(shape) + tup(stride) + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR")
        pkl += b"u"
    pkl += b"u."
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for k, v in storages.items():
            z.writestr("archive/data/" + k, v)
        z.writestr("archive/version", "3\n")


@test("knobs out of range: each one an error naming it, never the preset")
def _():
    for args, message in [
        (["--width", "-1"], "--width must be greater than 0 and at most 8, not -1"),
        (["--width", "nan"], "--width takes a number, not “nan”"),
        (["--lambda", "-1"], "--lambda must be between 0 and 1, not -1"),
        (["--streams", "0"], "--streams must be 1, 2 or 3, not 0"),
        (["--classes", "0"], "--classes must be between 1 and 100000, not 0"),
        (["--in-channels", "65"], "--in-channels must be between 1 and 64, not 65"),
        (["--resolution", "-224"], "--resolution must be between 32 and 4096 pixels, not -224"),
        (["--resolution", "abc"], "--resolution takes a whole number, not “abc”"),
        (["--blocks", "4,5,99999"], "--blocks: “99999” is not a block count between 0 and 64"),
        (["--blocks", "1,2,3,4,5,6,7,8,9"], "--blocks takes 1 to 8 comma-separated counts"),
        (["--memory-budget", "-3"], "The memory budget must be more than 0"),
        (["--memory-budget", "lots"], "“lots” is not a memory size"),
    ]:
        p = cli("info", "--model", "parnet-s", *args, expect=2)
        assert p.stderr.strip() == "nondeep-cli: " + message or \
            p.stderr.startswith("nondeep-cli: " + message), (args, p.stderr)
    p = cli("eval", "--model", "parnet-s", "--limit", "-5", expect=1)
    assert p.stderr.strip() == "nondeep-cli: --limit must be at least 1, not -5", p.stderr
    p = cli("camera", "--test-pattern", "--fps", "0", expect=1)
    assert p.stderr.strip() == "nondeep-cli: --fps must be between 1 and 1000", p.stderr
    # a batch that does not fit an int is refused before it is used
    huge = os.path.join(TMP, "huge-batch.npy")
    write_npy(huge, (2 ** 31, 0, 32, 32), [])
    p = cli("run", "--model", "repvgg-a0", "--input", huge, expect=1)
    assert p.stderr.strip() == ("nondeep-cli: %s: shape [2147483648, 0, 32, 32]: the batch must "
                                "be 1 to 65536 images of at least one channel and a side of 1 "
                                "to 4096 pixels" % huge), p.stderr


def nbsp(text):
    """GLib's g_format_size() puts a no-break space between number and unit."""
    return text.replace("\u00a0", " ")


@test("memory budget: a request over it fails fast, from flags or from metadata")
def _():
    import time
    want = ("nondeep-cli: vgg-16 --resolution 4096 --classes 1000 --in-channels 3 --width 8 "
            "needs 292.1 GiB (weights 6.6 GiB, activations 285.4 GiB per image, 1 image), over "
            "the memory budget of 4.0 GiB (--memory-budget or ND_MEMORY_BUDGET raises it)")
    t0 = time.monotonic()
    p = cli("info", "--model", "vgg-16", "--resolution", "4096", "--width", "8", expect=1)
    assert nbsp(p.stderr.strip()) == want, p.stderr
    # the 97-byte file of issue 13: no tensors, metadata asking for the same model
    bomb = os.path.join(TMP, "bomb.safetensors")
    write_safetensors(bomb, [], {"nondeep.model": "vgg-16",
                                 "nondeep.knobs": "--resolution 4096 --width 8"})
    assert os.path.getsize(bomb) < 128, os.path.getsize(bomb)
    for cmd in (["run", "--input", os.path.join(TMP, "none.npy")], ["info"], ["verify"]):
        if cmd[0] == "run":
            x = os.path.join(TMP, "x1.npy")
            write_npy(x, (1, 3, 32, 32), [0.0] * (3 * 32 * 32))
            cmd = ["run", "--input", x, "--resolution", "4096"]
        p = cli(*cmd, "--weights", bomb, expect=1)
        assert nbsp(p.stderr.strip()) == want, (cmd, p.stderr)
    assert time.monotonic() - t0 < 10, time.monotonic() - t0
    # a knob out of range in a file's metadata is the file's error
    bad = os.path.join(TMP, "bad-knobs.safetensors")
    write_safetensors(bad, [], {"nondeep.model": "parnet-s", "nondeep.knobs": "--width -1"})
    p = cli("info", "--weights", bad, expect=1)
    assert p.stderr.strip() == ("nondeep-cli: bad-knobs.safetensors: metadata nondeep.knobs: "
                                "--width must be greater than 0 and at most 8, not -1"), p.stderr
    # --memory-budget: a unit or MiB; lowering it refuses what fits the default
    p = cli("info", "--model", "repvgg-a0", "--memory-budget", "64", expect=1)
    assert "over the memory budget of 64.0 MiB" in nbsp(p.stderr), p.stderr
    assert cli_json("info", "--model", "repvgg-a0", "--memory-budget", "0.1G")["params"] > 0


@test("--entry: run and inspect choose among the state dicts of one file")
def _():
    train = os.path.join(TMP, "entry-train.safetensors")
    cli("fuse", "--model", "repvgg-a0", "--width", "0.25", "--resolution", "32", "--classes",
        "10", "--in-channels", "1", "--seed", "5", "--output", os.path.join(TMP, "e.st"),
        "--training-output", train)
    tensors = read_safetensors(train)
    ema = [(n, s, [v * 0.5 if n.endswith("weight") and len(s) == 4 else v for v in vals])
           for n, s, vals in tensors]
    two = os.path.join(TMP, "two.pth.tar")
    write_torch_zip(two, [("state_dict", tensors), ("state_dict_ema", ema)])
    x = os.path.join(TMP, "gray.npy")
    write_npy(x, (1, 1, 32, 32), [((i * 13) % 29) / 14.0 - 1.0 for i in range(32 * 32)])
    a = cli_json("run", "--weights", two, "--entry", "state_dict", "--input", x, "--top", "10")
    b = cli_json("run", "--weights", two, "--entry", "state_dict_ema", "--input", x, "--top",
                 "10")
    d = cli_json("run", "--weights", two, "--input", x, "--top", "10")
    assert a["weights_note"].startswith(
        "weights: state_dict (chosen; the file has state_dict, state_dict_ema); detected "
        "repvgg-a0, training form"), a["weights_note"]
    assert b["weights_note"].startswith("weights: state_dict_ema (chosen;"), b["weights_note"]
    assert d["weights_note"].startswith("weights: state_dict_ema (default;"), d["weights_note"]
    la = sorted((t["index"], t["logit"]) for t in a["top"])
    lb = sorted((t["index"], t["logit"]) for t in b["top"])
    ld = sorted((t["index"], t["logit"]) for t in d["top"])
    assert la != lb and lb == ld, (la, lb)
    p = cli("run", "--weights", two, "--entry", "model_ema", "--input", x, expect=1)
    assert p.stderr.strip() == ("nondeep-cli: two.pth.tar: no state dict “model_ema” in the "
                                "file (it has: state_dict, state_dict_ema)"), p.stderr
    i = json.loads(cli("inspect", "--json", "--entry", "state_dict", two).stdout)
    assert i["entry"] == "state_dict" and [s["name"] for s in i["state_dicts"]] == ["state_dict"]
    p = cli("inspect", "--entry", "nope", two, expect=1)
    assert p.stderr.strip() == ("inspect: two.pth.tar: no state dict “nope” in the file (it "
                                "has: state_dict, state_dict_ema)"), p.stderr
    # content, not the name, picks the parser: the zip named .safetensors still opens
    renamed = os.path.join(TMP, "zip-named.safetensors")
    with open(two, "rb") as f, open(renamed, "wb") as g:
        g.write(f.read())
    r = cli_json("run", "--weights", renamed, "--input", x, "--top", "1")
    assert r["model"] == "repvgg-a0", r


@test("bad arguments and files: one-line errors, no crash")
def _():
    # Each case breaks one thing and checks the message names it: the other arguments are valid
    # (a good input, existing weights), so the error cannot come from elsewhere.
    good = os.path.join(TMP, "good.npy")
    write_npy(good, (1, 3, 32, 32), [((i * 13) % 29) / 14.0 - 1.0 for i in range(3 * 32 * 32)])
    cli("run", "--model", "repvgg-a0", "--input", good, "--top", "1")   # the baseline runs
    cli_error("info", "--model", "parnet-q", contains="parnet-q")
    cli_error("info", "--model", "parnet-s", "--streams", "4", contains="stream")
    cli_error("info", "--model", "repvgg-a0", "--streams", "2", contains="ParNet")
    cli_error("info", "--model", "parnet-s", "--resolution", "100", contains="32")
    cli_error("info", "--model", "parnet-s", "--blocks", "1,x,3", contains="--blocks")
    cli_error("info", contains="--model")
    nope = os.path.join(TMP, "nope.npy")
    p = cli_error("run", "--model", "repvgg-a0", "--input", nope, contains="nope.npy")
    assert "no such file" in p.stderr.lower(), p.stderr
    bad = os.path.join(TMP, "bad.npy")
    with open(bad, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00\xff\xff{'descr'")
    cli_error("run", "--model", "repvgg-a0", "--input", bad, contains="not a valid float32 .npy")
    none = os.path.join(TMP, "none.safetensors")
    p = cli_error("run", "--model", "repvgg-a0", "--weights", none, "--input", good,
                  contains="none.safetensors")
    assert "no such file" in p.stderr.lower(), p.stderr
    junk = os.path.join(TMP, "junk.safetensors")
    with open(junk, "wb") as f:
        f.write(struct.pack("<Q", 1 << 60) + b"{}")
    cli_error("info", "--model", "repvgg-a0", "--weights", junk,
              contains="not a valid safetensors file")
    cli_error("run", "--model", "repvgg-a0", "--top", "0", "--input", good, contains="--top")
    p = cli(expect=2)
    assert "Usage" in p.stderr
    cli_error("frobnicate", contains="frobnicate")


run_all()
