#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes real torch.save checkpoints in the published layouts for tests/test-checkpoint.c.

usage: write-torch-checkpoints.py OUTDIR
Each NAME.pth comes with NAME.ref.safetensors: the float32 values the C reader must produce
(keys after `module.` stripping, for the state dict the authors evaluate with).
Exits 77 (skip) when torch is not importable."""
import argparse
import json
import os
import struct
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "skip"
    print(f"torch not available: {e}", file=sys.stderr)
    sys.exit(77)


def write_ref(path, tensors):
    """A minimal F32 safetensors writer (no dependency on the safetensors package)."""
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        t = t.detach().to(torch.float32).contiguous()
        b = t.numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def small_state(seed):
    """The keys and shapes of small_graph() in tests/test-checkpoint.c."""
    g = torch.Generator().manual_seed(seed)
    sd = {
        "stage0.conv.weight": torch.randn(6, 1, 3, 3, generator=g),
        "stage0.bn.weight": torch.rand(6, generator=g) + 0.5,
        "stage0.bn.bias": torch.randn(6, generator=g) * 0.1,
        "stage0.bn.running_mean": torch.randn(6, generator=g) * 0.1,
        "stage0.bn.running_var": torch.rand(6, generator=g) + 0.5,
        "stage0.bn.num_batches_tracked": torch.tensor(17, dtype=torch.int64),
        "stage1.conv.weight": torch.randn(4, 6, 3, 3, generator=g),
        "stage1.conv.bias": torch.randn(4, generator=g),
        "linear.weight": torch.randn(5, 4, generator=g),
        "linear.bias": torch.randn(5, generator=g),
    }
    return sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    out = ap.parse_args().outdir
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)  # noqa: E731

    # RepVGG-style: a plain name → tensor dict
    a = small_state(1)
    torch.save(a, p("plain.pth"))
    write_ref(p("plain.ref.safetensors"), a)

    # timm (ParNet): module.-prefixed state_dict and state_dict_ema, optimizer, argparse args
    b = small_state(2)
    model = torch.nn.Linear(4, 5)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    args = argparse.Namespace(model="simplenet_repvgg", lr=0.001, epochs=120, smoothing=0.1)
    torch.save({
        "epoch": 119, "arch": "simplenet_repvgg",
        "state_dict": {"module." + k: v for k, v in a.items()},
        "optimizer": opt.state_dict(), "version": 2, "args": args,
        "amp_scaler": {"scale": 65536.0, "growth_factor": 2.0},
        "state_dict_ema": {"module." + k: v for k, v in b.items()},
        "metric": 75.19,
    }, p("timm.pth.tar"))
    write_ref(p("timm.ref.safetensors"), b)

    # VanillaNet: {'model', 'model_ema'}; the authors evaluate model_ema
    torch.save({"model": a, "model_ema": b, "epoch": 299}, p("vanilla.pth"))
    write_ref(p("vanilla.ref.safetensors"), b)

    # dtypes, strides, offsets, shared storages, a Parameter
    g = torch.Generator().manual_seed(3)
    base = torch.randn(4, 6, generator=g)
    x4 = torch.randn(2, 3, 4, 5, generator=g)
    d = {
        "f16": torch.randn(3, 5, generator=g).half(),
        "bf16": torch.randn(7, generator=g).bfloat16(),
        "f64": torch.randn(2, 3, generator=g).double(),
        "i64": torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4),
        "transposed": base.t(),
        "offset": base.view(-1)[5:17],
        "shared_a": base[1],
        "shared_b": base[:, 2],
        "channels_last": x4.to(memory_format=torch.channels_last),
        "param": torch.nn.Parameter(torch.randn(3, generator=g)),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    torch.save(d, p("dtypes.pth"))
    write_ref(p("dtypes.ref.safetensors"), d)

    # legacy (pre-1.6) serialization
    torch.save(a, p("legacy.pth"), _use_new_zipfile_serialization=False)

    # NaN weights
    n = dict(a)
    n["stage0.bn.running_var"] = a["stage0.bn.running_var"].clone()
    n["stage0.bn.running_var"][3] = float("nan")
    torch.save(n, p("nan.pth"))


if __name__ == "__main__":
    main()
