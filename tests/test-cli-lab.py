#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The architecture lab end to end (TAP): info's cost counts against hand-computed layers,
roofline, compare and guideline JSON for shape and internal consistency. Small sizes, so it
stays well under a minute on busy cores; timings are only checked for order and against the
measured roof with a noise margin, never against fixed numbers."""

import json
import os
import subprocess
import sys

from nd_tap import Skip, test, run_all, REQUIRED

CLI = sys.argv[1]


def cli(*args, expect=0):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {p.returncode}, expected {expect}"
                             f"\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def cli_json(*args):
    return json.loads(cli(*args, "--json").stdout)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-30)


def check_spread(row, what):
    keys = ("min_ms", "p25_ms", "median_ms", "p75_ms", "max_ms")
    vals = [row[k] for k in keys]
    assert vals[0] > 0, f"{what}: no time {row}"
    assert vals == sorted(vals), f"{what}: spread out of order {dict(zip(keys, vals))}"


def check_context(r):
    for k in ("backend", "device", "threads", "precision", "date"):
        assert k in r, f"context key {k} missing: {sorted(r)}"
    assert r["backend"] == "cpu" and r["precision"] == "float32", r
    assert r["threads"] >= 1, r
    assert r["date"][:2] == "20" and "T" in r["date"], r["date"]


def mac_elements(hw, c_in, c_out, k):
    """ShuffleNet V2's memory access cost of a stride-1 'same' conv without bias."""
    return hw * (c_in + c_out) + c_in * c_out * k * k


@test("info: FLOPs and memory access cost of ResNet-18 layer1.0 by hand")
def _():
    r = cli_json("info", "--model", "resnet-18", "--resolution", "32")
    for k in ("params", "macs", "depth", "blocks"):   # the keys info always had
        assert k in r, k
    b = next(b for b in r["blocks"] if b["block"] == "layer1.0")
    hw, c = 8 * 8, 64   # 32 px → 16 (stem conv) → 8 (max pool)
    assert b["shape"] == [c, 8, 8], b
    conv = 2 * hw * c * c * 9
    # two convs, two BNs (2 per element), two ReLUs, one add
    assert b["flops"] == 2 * conv + 2 * 2 * hw * c + 2 * hw * c + hw * c, b
    # each conv: ShuffleNet V2's h·w·(c_in + c_out) + c_in·c_out·k²; each BN its map and four
    # vectors in, its map out; ReLUs a map in and out; the add two in, one out
    elems = (2 * mac_elements(hw, c, c, 3) + 2 * (2 * hw * c + 4 * c) + 2 * 2 * hw * c
             + 3 * hw * c)
    assert b["bytes_read"] + b["bytes_written"] == 4 * elems, (b, 4 * elems)
    assert b["bytes_written"] == 4 * 7 * hw * c, b
    fc = next(b for b in r["blocks"] if b["block"] == "fc")
    assert fc["flops"] == 2 * 512 * 1000 + 1000, fc
    assert r["weight_depth"] == 18 and r["depth"] == 18, r
    assert r["flops"] >= 2 * r["macs"], r
    assert r["memory_access_bytes"] == r["bytes_read"] + r["bytes_written"], r
    assert sum(b["flops"] for b in r["blocks"]) <= r["flops"], r["flops"]
    # 8 residual blocks fork once each (2 paths): 16
    assert r["branches"] == 16 and r["ops"] > 8 * 7, r


@test("info: ParNet-S structure (12 weight layers, 3 streams)")
def _():
    r = cli_json("info", "--model", "parnet-s", "--resolution", "64", "--width", "0.25")
    assert r["weight_depth"] == 12, r["weight_depth"]
    assert r["branches"] > 3 * 10, r["branches"]
    f = cli_json("info", "--model", "parnet-s", "--resolution", "64", "--width", "0.25",
                 "--fused")
    assert f["weight_depth"] == 12 and f["ops"] < r["ops"] and f["branches"] < r["branches"], f
    assert f["memory_access_bytes"] < r["memory_access_bytes"], f


MACHINE_PEAK = {"sgemm": "sgemm_gflops", "nd-gemm": "nd_gemm_gflops",
                "shader-fma": "shader_fma_gflops"}


def check_machine_peak(roof, backend):
    """The compute roof is the best of the machine's own probe (sgemm and the packed GEMM on
    the CPU, the FMA-loop shader on Vulkan) and the 1×1-conv probes, and says which set it."""
    rates = {"conv-probe": max(roof["conv_probes_gflops"])}
    for source, key in MACHINE_PEAK.items():
        assert key in roof, (key, sorted(roof))
        if roof[key] is not None:
            assert roof[key] > 0, (key, roof)
            rates[source] = roof[key]
    if backend == "cpu":
        assert roof["sgemm_gflops"] is not None and roof["gemm_size"] in (512, 1024), roof
        assert roof["shader_fma_gflops"] is None and roof["shader_fma_invocations"] is None
    else:
        assert roof["sgemm_gflops"] is None and roof["nd_gemm_gflops"] is None, roof
        assert roof["gemm_size"] is None, roof
        assert roof["shader_fma_gflops"] is not None, roof
        assert roof["shader_fma_invocations"] >= 1024, roof
        assert roof["shader_fma_timer"] in ("gpu-timestamps", "host-clock"), roof
    for probe in roof["conv_probes_gflops"]:
        assert roof["peak_gflops"] >= probe, roof
    assert roof["peak_gflops"] == max(rates.values()), (roof["peak_gflops"], rates)
    assert roof["peak_source"] in rates, roof["peak_source"]
    assert rates[roof["peak_source"]] == roof["peak_gflops"], (roof["peak_source"], rates)


def check_points_under_compute_roof(r):
    """No op computes faster than the machine's peak (5 % for noise), except an algorithm that
    does fewer multiplies than counted (Winograd: an effective rate) or one below the µs
    clock's resolution."""
    peak, checked = r["roof"]["peak_gflops"], 0
    for p in r["points"]:
        if p["effective"] or p["timer_limited"]:
            continue
        checked += 1
        assert p["gflops"] <= 1.05 * peak, (p["name"], p["algo"], p["gflops"], peak)
    assert checked >= 5, f"only {checked} points under the compute roof"


@test("roofline: roof, points at or below it within noise")
def _():
    r = cli_json("roofline", "--model", "repvgg-a0", "--resolution", "64", "--width", "0.5",
                 "--fused", "--iters", "5")
    check_context(r)
    roof = r["roof"]
    assert roof["peak_gflops"] > 0 and roof["bandwidth_gbs"] > 0, roof
    check_machine_peak(roof, "cpu")
    check_points_under_compute_roof(r)
    head = cli("roofline", "--model", "repvgg-a0", "--resolution", "32", "--width", "0.25",
               "--iters", "1").stdout.splitlines()[0]
    assert "sgemm" in head and "1×1-conv probes" in head, head
    assert close(roof["ridge_intensity"], roof["peak_gflops"] / roof["bandwidth_gbs"], 1e-6)
    assert len(roof["copy_probes"]) >= 3, roof
    pts = r["points"]
    info = cli_json("info", "--model", "repvgg-a0", "--resolution", "64", "--width", "0.5",
                    "--fused")
    assert len(pts) + r["merged_ops"] == info["ops"], (len(pts), r["merged_ops"], info["ops"])
    assert sum(p["flops"] for p in pts) <= info["flops"]
    checked, over = 0, []
    for p in pts:
        for k in ("id", "name", "op", "algo", "flops", "bytes", "intensity", "median_ms",
                  "gflops", "attainable_gflops", "roof_pct", "effective", "timer_limited"):
            assert k in p, (k, p)
        assert p["median_ms"] > 0 and p["bytes"] > 0, p
        assert close(p["intensity"], p["flops"] / p["bytes"], 1e-6), p
        att = min(roof["peak_gflops"], p["intensity"] * roof["bandwidth_gbs"])
        assert close(p["attainable_gflops"], att, 1e-6), p
        if p["flops"] > 0:
            assert close(p["roof_pct"], 100 * p["gflops"] / att, 1e-6), p
        if p["effective"] or p["timer_limited"]:
            continue   # fewer multiplies than counted / below the µs clock's resolution
        checked += 1
        if p["roof_pct"] > 110:
            over.append((p["name"], p["op"], round(p["roof_pct"])))
    assert checked >= 5, f"only {checked} points to check"
    # a shared machine: the roof's best-of-N probe and the ops' medians are taken at
    # different moments, so allow one point in ten a little above, none far above
    assert len(over) <= max(1, checked // 10), over
    assert all(o[2] < 200 for o in over), over


@test("roofline on Vulkan: the FMA-loop shader's peak, points under it")
def _():
    if cli("devices", expect=None).returncode != 0:
        if "vulkan" in REQUIRED:
            raise AssertionError("ND_TEST_REQUIRE names vulkan, but there is no Vulkan device")
        raise Skip("no Vulkan device")
    r = cli_json("roofline", "--backend", "vulkan", "--model", "repvgg-a0", "--resolution",
                 "32", "--width", "0.25", "--fused", "--iters", "2", "--warmup", "1")
    assert r["backend"] == "vulkan" and r["precision"] == "float32", r
    roof = r["roof"]
    assert roof["bandwidth_gbs"] > 0 and roof["memcpy_gbs"] == 0, roof
    check_machine_peak(roof, "vulkan")
    assert close(roof["ridge_intensity"], roof["peak_gflops"] / roof["bandwidth_gbs"], 1e-6)
    check_points_under_compute_roof(r)


@test("bench: % of roof per op, old keys kept")
def _():
    r = cli_json("bench", "--model", "repvgg-a0", "--resolution", "32", "--width", "0.25",
                 "-n", "3", "--warmup", "1")
    for k in ("model", "median_ms", "ops", "op_sum_ms", "streams", "roof"):
        assert k in r, k
    for op in r["ops"]:
        for k in ("id", "name", "op", "algo", "median_ms", "gflops", "roof_pct", "macs",
                  "in_shape", "out_shape"):
            assert k in op, (k, op)
        assert op["roof_pct"] == -1 or op["roof_pct"] >= 0, op
        assert len(op["out_shape"]) == 3 and min(op["out_shape"]) > 0, op
    # the first op reads the image
    assert r["ops"][0]["in_shape"] == [3, 32, 32], r["ops"][0]
    # the per-op MACs add up to the model's (tools/ort_profile.py matches ops by them)
    info = cli_json("info", "--model", "repvgg-a0", "--resolution", "32", "--width", "0.25")
    assert sum(op["macs"] for op in r["ops"]) == info["macs"], (r["ops"], info["macs"])
    assert r["ops"][-1]["out_shape"][0] == info["classes"], r["ops"][-1]
    assert "of roof" in cli("bench", "--model", "repvgg-a0", "--resolution", "32", "--width",
                            "0.25", "-n", "2").stdout


@test("compare: rows match info, spread ordered, top-1 quoted with its source")
def _():
    models = ["parnet-s", "resnet-18"]
    r = cli_json("compare", "--models", ",".join(models), "--resolution", "32", "--iters", "4",
                 "--warmup", "1", "--with-vulkan")
    check_context(r)
    assert [row["model"] for row in r["rows"]] == models, r["rows"]
    for row in r["rows"]:
        info = cli_json("info", "--model", row["model"], "--resolution", "32")
        for k in ("params", "macs", "flops", "memory_access_bytes", "weight_depth", "ops",
                  "branches"):
            assert row[k] == info[k], (row["model"], k, row[k], info[k])
        assert close(row["gmacs"], info["macs"] / 1e9, 1e-9)
        assert close(row["memory_access_mb"], info["memory_access_bytes"] / 1e6, 1e-9)
        check_spread(row, row["model"])
        assert close(row["throughput_ips"], 1000 / row["median_ms"], 1e-9), row
        q = row["quoted_top1"]
        assert q is not None and q["measured"] is False and 60 < q["value"] < 90, q
        assert len(q["source"]) > 20, q
        # CPU and, where a Vulkan device opens, Vulkan in the same row
        if r["vulkan_device"] is None:
            assert "vulkan" not in REQUIRED, r["vulkan_unavailable"]
            assert row["vulkan"] is None and r["vulkan_unavailable"], r
        else:
            assert r["vulkan_unavailable"] is None, r
            check_spread(row["vulkan"], row["model"] + " on Vulkan")
    csv = cli("compare", "--models", "resnet-18,repvgg-a0", "--fused", "--resolution", "32",
              "--iters", "2", "--csv", "--cpu-only").stdout.splitlines()
    assert csv[0].startswith("model,fused,resolution,params,gmacs"), csv[0]
    assert len(csv) == 3 and csv[1].startswith("resnet-18,true,32,") and csv[2].startswith(
        "repvgg-a0,true,32,"), csv
    head = csv[0].split(",")
    assert all(row.split(",")[head.index("vulkan_median_ms")] == "" for row in csv[1:]), csv
    r = cli_json("compare", "--models", "resnet-18", "--resolution", "32", "--iters", "2",
                 "--cpu-only")
    assert r["vulkan_device"] is None and r["vulkan_unavailable"] == "--cpu-only", r
    assert r["rows"][0]["vulkan"] is None, r


@test("guideline: every experiment, equal FLOPs, the 1×1 memory access formula")
def _():
    r = cli_json("guideline", "all", "--size", "8", "--channels", "32", "--iters", "3",
                 "--warmup", "1")
    check_context(r)
    names = [e["name"] for e in r["experiments"]]
    assert names == ["ratio", "groups", "branches", "eltwise", "depth-width"], names
    for e in r["experiments"]:
        assert e["claim"] and e["source"] and e["finding"], e
        vs = e["variants"]
        assert len(vs) >= 2, e
        for v in vs:
            check_spread(v, v["label"])
        if e["name"] != "eltwise":   # the others hold the FLOPs (nearly) equal
            f = [v["flops"] for v in vs]
            assert max(f) <= 1.3 * min(f), (e["name"], f)
    ratio = r["experiments"][0]["variants"]
    hw = 8 * 8
    for v in ratio:
        c1 = v["input"][0]
        c2 = int(v["label"].split("→")[1])
        # four units of two 1×1 convs (c1 → c2 → c1), nothing else
        assert v["memory_access_bytes"] == 4 * 4 * 2 * mac_elements(hw, c1, c2, 1), v
    mac = [v["memory_access_bytes"] for v in ratio]
    assert mac[0] == min(mac), mac   # G1: memory access is least at 1:1
    elt = r["experiments"][3]["variants"]
    for v in elt:
        assert v["eltwise_flops"] < v["flops"] and v["eltwise_ms"] >= 0, v
    depth = r["experiments"][4]["variants"]
    assert [v["weight_depth"] for v in depth] == [2, 4, 8, 16], depth


@test("guideline on Vulkan: the context names the backend")
def _():
    if cli("devices", expect=None).returncode != 0:
        if "vulkan" in REQUIRED:
            raise AssertionError("ND_TEST_REQUIRE names vulkan, but there is no Vulkan device")
        raise Skip("no Vulkan device")
    r = cli_json("guideline", "ratio", "--backend", "vulkan", "--size", "4", "--channels", "16",
                 "--iters", "2", "--warmup", "0")
    assert r["backend"] == "vulkan" and r["threads"] == 0 and r["precision"] == "float32", r
    for v in r["experiments"][0]["variants"]:
        check_spread(v, v["label"])


@test("guideline parnet-table: counts as info gives them, fused ≤ unfused, stream modes reported")
def _():
    r = cli_json("guideline", "parnet-table", "--resolution", "64", "--iters", "2",
                 "--warmup", "0")
    check_context(r)
    assert r["resolution"] == 64, r
    [e] = r["experiments"]
    assert e["name"] == "parnet-table" and e["claim"] and e["source"] and e["finding"], e
    vs = e["variants"]
    models = ["parnet-s", "parnet-m", "resnet-34", "resnet-50"]
    assert sorted({v["model"] for v in vs}) == sorted(models), vs
    concurrent_ok = r["threads"] >= 2
    for m in models:
        mine = {(v["fused"], v["streams_requested"]): v for v in vs if v["model"] == m}
        parnet = m.startswith("parnet")
        want = {(False, "auto"), (True, "auto")}
        if parnet:
            want |= {(True, "concurrent"), (True, "sequential")}
        assert set(mine) == want, (m, sorted(mine))
        u, f = mine[(False, "auto")], mine[(True, "auto")]
        for v in mine.values():
            check_spread(v, v["label"])
            assert v["input"] == [3, 64, 64], v
            assert v["quoted_top1"]["top1"] > 0 and v["quoted_top1"]["source"], v
        assert f["params"] <= u["params"] and f["macs"] <= u["macs"], (u, f)
        for form, v in ((["--fused"], f), ([], u)):
            info = cli_json("info", "--model", m, "--resolution", "64", *form)
            assert v["macs"] == info["macs"] and v["params"] == info["params"], (m, form, v, info)
        if not parnet:   # one stream: nothing to run in parallel
            assert all(v["streams_mode"] is None for v in mine.values()), mine
            continue
        assert f["weight_depth"] == 12, f
        assert u["streams_mode"] in ("concurrent", "sequential"), u
        assert f["streams_mode"] in ("concurrent", "sequential"), f
        if "ND_CPU_STREAMS" not in os.environ:
            assert f["streams_reason"] == ("timed" if concurrent_ok else "one thread"), f
            c, q = mine[(True, "concurrent")], mine[(True, "sequential")]
            assert c["streams_mode"] == ("concurrent" if concurrent_ok else "sequential"), c
            assert q["streams_mode"] == "sequential", q
            assert c["streams_reason"] == ("requested" if concurrent_ok else "one thread"), c
    for m in ("parnet-s", "parnet-m"):   # the sentence is computed from the medians
        f = next(v for v in vs if v["model"] == m and v["fused"]
                 and v["streams_requested"] == "auto")
        assert f"{f['median_ms']:.1f} ms" in e["finding"], (f, e["finding"])


@test("bench --streams-mode: the plan runs and reports the mode asked for")
def _():
    if "ND_CPU_STREAMS" in os.environ:
        raise Skip("ND_CPU_STREAMS overrides the mode")
    for mode in ("concurrent", "sequential"):   # auto ("timed") as guideline parnet-table
        r = cli_json("bench", "--model", "parnet-s", "--resolution", "64", "--width", "0.25",
                     "--fused", "--iters", "1", "--warmup", "0", "--streams-mode", mode)
        assert r["streams_requested"] == mode, r["streams_requested"]
        assert r["streams_mode"] in ("concurrent", "sequential"), r["streams_mode"]
        one = r["streams_reason"] == "one thread"   # a 1-thread pool runs them in sequence
        assert r["streams_reason"] in ("requested", "one thread"), r["streams_reason"]
        assert r["streams_mode"] == ("sequential" if one else mode), (mode, r["streams_mode"])
    # the environment variable still overrides the option (existing tests force modes with it)
    p = subprocess.run([CLI, "bench", "--model", "parnet-s", "--resolution", "64", "--width",
                        "0.25", "--fused", "--iters", "1", "--warmup", "0", "--streams-mode",
                        "concurrent", "--json"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, ND_CPU_STREAMS="0"))
    r = json.loads(p.stdout)
    assert r["streams_mode"] == "sequential", r["streams_mode"]
    assert r["streams_reason"] in ("ND_CPU_STREAMS", "one thread"), r["streams_reason"]
    r = cli_json("bench", "--model", "resnet-18", "--resolution", "32", "--iters", "1",
                 "--warmup", "0", "--streams-mode", "concurrent")
    assert r["streams_mode"] is None and r["streams_reason"] is None, r
    for args in (["bench", "--model", "parnet-s", "--streams-mode", "fast"],
                 ["guideline", "ratio", "--resolution", "64"]):
        p = cli(*args, expect=None)
        assert p.returncode in (1, 2) and p.stderr.startswith("nondeep-cli"), (args, p.stderr)


@test("lab: bad arguments")
def _():
    for args in (["compare"], ["compare", "--models", "parnet-s,nope"],
                 ["guideline"], ["guideline", "bogus"],
                 ["roofline", "--model", "repvgg-a0", "--iters", "0"],
                 ["compare", "--models", "parnet-s", "--model", "resnet-18"]):
        p = cli(*args, expect=None)
        assert p.returncode in (1, 2), (args, p.returncode, p.stderr)
        assert p.stderr.startswith("nondeep-cli"), (args, p.stderr)


@test("compare --per-block: blocks as info lists them, pairs by stage and position, A - B")
def _():
    args = ("--resolution", "64", "--fused")
    r = cli_json("compare", "--models", "parnet-s,resnet-18", "--per-block", *args,
                 "--iters", "3", "--warmup", "1")
    check_context(r)
    assert [m["model"] for m in r["models"]] == ["parnet-s", "resnet-18"], r["models"]
    order = {}
    for side, m in zip("ab", r["models"]):
        info = cli_json("info", "--model", m["model"], *args)
        assert m["fused"] is True and m["resolution"] == 64, m
        # every block the graph view draws, with info's counts and shape
        ib = {b["block"]: b for b in info["blocks"]}
        assert sorted(ib) == sorted(b["block"] for b in m["blocks"]), m["model"]
        for b in m["blocks"]:
            assert b["macs"] == ib[b["block"]]["macs"], b
            assert b["shape"] == ib[b["block"]]["shape"], b
            assert b["ms"] >= 0 and b["p25_ms"] <= b["p75_ms"], b
            assert (b["stride"] is None) == (b["stage"] == "head"), b
            if b["stride"] is not None:
                assert b["stride"] & (b["stride"] - 1) == 0, b   # a power of two
                assert b["stage"] == f"stride {b['stride']}", b
        # blocks in stage order (head last), positions 0, 1, … in each stage
        key = [(b["stride"] or 1 << 30, b["position"]) for b in m["blocks"]]
        assert key == sorted(key), key
        for i, b in enumerate(m["blocks"]):
            prev = m["blocks"][i - 1] if i else None
            want = prev["position"] + 1 if prev and prev["stage"] == b["stage"] else 0
            assert b["position"] == want, (b, prev)
        total = sum(b["ms"] for b in m["blocks"])
        assert 0 < total <= m["op_sum_ms"] + 1e-6, (total, m["op_sum_ms"])
        check_spread(m["wall"], m["model"])
        order[side] = {(b["stage"], b["position"]): b for b in m["blocks"]}
    seen = {"a": [], "b": []}
    for p in r["pairs"]:
        k = (p["stage"], p["position"])
        for side in "ab":
            name = p["block_" + side]
            assert (name is None) == (k not in order[side]), (p, side)
            if name is not None:
                assert order[side][k]["block"] == name and close(order[side][k]["ms"],
                                                                 p[side + "_ms"]), p
                seen[side].append(name)
        if p["block_a"] and p["block_b"]:
            assert close(p["diff_ms"], p["a_ms"] - p["b_ms"], 1e-9), p
            if p["b_ms"] > 0:
                assert close(p["diff_pct"], 100 * p["diff_ms"] / p["b_ms"], 1e-9), p
        else:
            assert p["diff_ms"] is None and p["diff_pct"] is None, p
    for side, m in zip("ab", r["models"]):
        assert sorted(seen[side]) == sorted(b["block"] for b in m["blocks"]), side
    assert r["matched"] == sum(1 for p in r["pairs"] if p["block_a"] and p["block_b"]) > 3, r
    assert r["matched"] < len(r["pairs"]), "ParNet has more blocks in a stage than ResNet"
    for st in r["stages"]:
        for side, m in zip("ab", r["models"]):
            bs = [b for b in m["blocks"] if b["stage"] == st["stage"]]
            assert st["blocks_" + side] == len(bs), st
            assert close(st[side + "_ms"], sum(b["ms"] for b in bs), 1e-9), st
    # the CSV the window's table is checked against: the same pairs in the same order
    csv = cli("compare", "--models", "parnet-s,resnet-18", "--per-block", *args, "--iters", "2",
              "--csv").stdout.splitlines()
    assert csv[0] == ("stage,position,block_a,block_b,a_ms,b_ms,diff_ms,diff_pct,a_p25_ms,"
                      "a_p75_ms,b_p25_ms,b_p75_ms"), csv[0]
    assert len(csv) == len(r["pairs"]) + 1, csv
    for line, p in zip(csv[1:], r["pairs"]):
        f = line.split(",")
        assert f[0] == ("head" if p["stride"] is None else str(p["stride"])), (line, p)
        assert f[1:4] == [str(p["position"]), p["block_a"] or "", p["block_b"] or ""], (line, p)
        assert (f[6] == "") == (p["diff_ms"] is None), (line, p)
    text = cli("compare", "--models", "parnet-s,resnet-18", "--per-block", *args, "--iters",
               "1").stdout
    assert "unmatched" in text and "not by what they do" in text, text
    p = cli("compare", "--models", "parnet-s", "--per-block", expect=1)
    assert "exactly two" in p.stderr, p.stderr


run_all()
