#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exports the project's own PyTorch models (tools/nd_models.py) to ONNX for the benchmark.

    export_onnx.py --models parnet-s,resnet-18 [--forms unfused,fused] [--resolution 224]
                   [--seed 1] [--opset 17] --outdir build/bench-ort/models

For each model and form it writes, into OUTDIR:
  M-FORM.onnx           the form that ran (unfused: training form in eval mode, BN kept as
                        BatchNormalization; fused: the deploy form from nd_models.to_deploy)
  M.safetensors         the training-form weights (F32, official keys) the CLI loads with --weights
  M-input.npy / .bin    one 1x3xRxR float32 input (the .bin is raw little-endian for the Node runner)
  M-FORM-torch.npy      PyTorch's logits for that input

Uses torch.onnx.export of Debian's torch 1.13 (opset up to 17); the `onnx` Python package is not
needed. Not part of the product, its tests or CI.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402
import safetensors_io as st  # noqa: E402

OPSET = 17  # the newest torch 1.13 exports


def paths(outdir, name, form):
    base = os.path.join(outdir, name)
    return {'onnx': '%s-%s.onnx' % (base, form), 'weights': base + '.safetensors',
            'input_npy': base + '-input.npy', 'input_bin': base + '-input.bin',
            'torch_logits': '%s-%s-torch.npy' % (base, form)}


def export(name, form, outdir, res=224, seed=1, opset=OPSET, model=None, force=False):
    """Writes the files above for one model and form (kept when present, unless force);
    returns their paths. `model` (training form, eval) may be given to skip rebuilding it."""
    name = nm.canonical_name(name)
    p = paths(outdir, name, form)
    if not force and all(os.path.exists(v) for v in p.values()):
        return p
    os.makedirs(outdir, exist_ok=True)
    m = model if model is not None else nm.init_random(nm.build(name, resolution=res),
                                                       seed=seed).eval()
    x = torch.randn(1, 3, res, res, generator=torch.Generator().manual_seed(seed + 1000))
    st.save(p['weights'], nm.float_state_dict(m), dtype='F32',
            metadata={'nondeep.model': name, 'nondeep.knobs': '--resolution %d' % res,
                      'nondeep.note': 'random init seed %d (tools/export_onnx.py)' % seed})
    st.save_npy(p['input_npy'], x)
    x.numpy().astype('<f4').tofile(p['input_bin'])
    net = nm.to_deploy(m) if form == 'fused' else m
    with torch.no_grad():
        np.save(p['torch_logits'], net(x).numpy().astype('<f4'))
        # dynamic shapes would cost ORT its static-shape optimizations: batch 1, fixed R
        torch.onnx.export(net, x, p['onnx'], opset_version=opset, input_names=['input'],
                          output_names=['logits'], do_constant_folding=True)
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', required=True)
    ap.add_argument('--forms', default='unfused,fused')
    ap.add_argument('--resolution', type=int, default=224)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--opset', type=int, default=OPSET)
    ap.add_argument('--outdir', required=True)
    ap.add_argument('--force', action='store_true', help='rewrite files that exist')
    a = ap.parse_args()
    for name in a.models.split(','):
        for form in a.forms.split(','):
            t0 = time.time()
            p = export(name, form, a.outdir, a.resolution, a.seed, a.opset, force=a.force)
            print('%s %s: %s (%.1f s)' % (name, form, p['onnx'], time.time() - t0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
