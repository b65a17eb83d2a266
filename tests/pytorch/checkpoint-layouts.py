#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The published checkpoint layouts, end to end: tools/write_checkpoints.py writes each layout
(timm ParNet with optimizer/args and EMA, RepVGG train/deploy/timm keys/fp16/shared-storage
views, VanillaNet {model, model_ema} and deploy, ParNet bf16) with PyTorch's logits; nondeep-cli
must detect the model from the file (no --model), pick the state dict the authors evaluate with,
and give the same logits (max|ours - torch| / max|torch| <= tol), unfused and --fused.

    checkpoint-layouts.py --cli PATH --workdir DIR [--tol 1e-4]

TAP. Without torch/numpy: "1..0 # SKIP" (meson reports the test as SKIP, which
.ci/check-skips.py refuses), or a failure when ND_TEST_REQUIRE names torch.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import torch  # noqa: F401  (write_checkpoints.py needs it)
except Exception as e:  # noqa: BLE001
    if 'torch' in os.environ.get('ND_TEST_REQUIRE', '').replace(' ', ',').split(','):
        print('1..1\nnot ok 1 - ND_TEST_REQUIRE names torch, but: %s' % e)
        sys.exit(1)
    print('1..0 # SKIP python3-torch/numpy not available: %s' % e)
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, '..', '..', 'tools')


def rel_err(a, b):
    a = np.asarray(a, np.float64).reshape(-1)
    b = np.asarray(b, np.float64).reshape(-1)
    if a.shape != b.shape:
        return float('inf')
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--tol', type=float, default=1e-4)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(TOOLS, 'write_checkpoints.py'), args.workdir,
                    '--width', '0.25', '--classes', '10', '--resolution', '64'],
                   check=True, stdout=subprocess.DEVNULL)
    manifest = json.load(open(os.path.join(args.workdir, 'manifest.json')))

    cases = []  # (description, file, extra args, expected .npy)
    for f, m in manifest.items():
        default_expected = m['expected']
        if 'expected_ema' in m:          # timm: the default is state_dict_ema
            default_expected = m['expected_ema']
            cases.append(('%s --weights-key %s' % (f, m['weights_entry']), f,
                          ['--weights-key', m['weights_entry']], m['expected']))
        if 'expected_model' in m:        # VanillaNet: 'model' on request
            cases.append(('%s --weights-key model' % f, f, ['--weights-key', 'model'],
                          m['expected_model']))
        cases.append((f, f, [], default_expected))
        if not m['fused']:
            cases.append(('%s --fused' % f, f, ['--fused'], default_expected))

    print('1..%d' % len(cases))
    failed = 0
    for n, (desc, f, extra, expected) in enumerate(cases, 1):
        m = manifest[f]
        out = os.path.join(args.workdir, 'got-%d.npy' % n)
        cmd = [args.cli, 'run', '--weights', os.path.join(args.workdir, f),
               '--resolution', '64', '--input', os.path.join(args.workdir, m['input']),
               '--dump-logits', out] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print('not ok %d - %s' % (n, desc))
            print('# ' + ' '.join(cmd))
            for line in r.stderr.splitlines():
                print('# ' + line)
            continue
        err = rel_err(np.load(out), np.load(os.path.join(args.workdir, expected)))
        ok = err <= args.tol
        failed += not ok
        print('%s %d - %s (rel err %.2e)' % ('ok' if ok else 'not ok', n, desc, err))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
