#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-check nondeep-cli's logits against the PyTorch re-implementations (tools/nd_models.py).

    crosscheck.py --cli PATH_TO_nondeep-cli --workdir DIR [--torch-only] [--tol 1e-4]

For each model (ParNet-S, RepVGG-A0, VanillaNet-5 at 64x64, 10 classes): random weights with
non-trivial BN statistics (fixed seed) are saved as training-form safetensors (official keys,
F32), a random float32 NCHW input as .npy; then

    CLI run --model M --resolution 64 --classes 10 --weights W.safetensors --input X.npy \
            --dump-logits Y.npy --json [--fused]

must give max|ours - torch| / max|torch| <= tol, unfused and fused. Prints TAP, exits 1 on any
failure. --torch-only runs only the PyTorch half (the CLI tests are reported as skipped).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import nd_models as nm  # noqa: E402
import safetensors_io as st  # noqa: E402

MODELS = [('parnet-s', 64, 10, 11), ('repvgg-a0', 64, 10, 12), ('vanillanet-5', 64, 10, 13)]


class Tap:
    def __init__(self, plan):
        self.n, self.failed = 0, 0
        print('1..%d' % plan)
        sys.stdout.flush()

    def result(self, ok, desc, diag=(), skip=None):
        self.n += 1
        if skip:
            print('ok %d - %s # SKIP %s' % (self.n, desc, skip))
        else:
            print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, desc))
            if not ok:
                self.failed += 1
        for line in diag:
            for part in str(line).splitlines():
                print('# ' + part)
        sys.stdout.flush()


def rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if ours.shape != ref.shape:
        return float('inf'), 'shape %s vs torch %s' % (ours.shape, ref.shape)
    if not np.all(np.isfinite(ours)):
        return float('inf'), 'non-finite logits'
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-30)), ''


def prepare(name, res, classes, seed, workdir):
    """Writes weights + input; returns (paths, logits unfused, logits fused) from PyTorch (fp32)."""
    torch.manual_seed(seed)
    m = nm.init_random(nm.build(name, classes=classes, resolution=res), seed=seed).eval()
    x = torch.randn(1, 3, res, res, generator=torch.Generator().manual_seed(seed + 1000))
    wpath = os.path.join(workdir, '%s.safetensors' % name)
    xpath = os.path.join(workdir, '%s-input.npy' % name)
    st.save(wpath, nm.float_state_dict(m), dtype='F32',
            metadata={'nondeep.model': name, 'nondeep.knobs':
                      '--resolution %d --classes %d' % (res, classes),
                      'nondeep.note': 'random init seed %d (crosscheck)' % seed})
    st.save_npy(xpath, x)
    with torch.no_grad():
        y = m(x).numpy()
        d = nm.to_deploy(m)
        yf = d(x).numpy()
    np.save(os.path.join(workdir, '%s-torch-logits.npy' % name), y.astype('<f4'))
    return wpath, xpath, y, yf


def run_cli(cli, name, res, classes, wpath, xpath, ypath, fused, timeout):
    cmd = [cli, 'run', '--model', name, '--resolution', str(res), '--classes', str(classes),
           '--weights', wpath, '--input', xpath, '--dump-logits', ypath, '--json']
    if fused:
        cmd.append('--fused')
    if os.path.exists(ypath):
        os.unlink(ypath)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return cmd, p


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cli', help='path to nondeep-cli')
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--torch-only', action='store_true', help='skip the CLI half')
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--timeout', type=float, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.workdir, exist_ok=True)
    tap = Tap(len(MODELS) * 3)
    for name, res, classes, seed in MODELS:
        try:
            wpath, xpath, y, yf = prepare(name, res, classes, seed, args.workdir)
            err, why = rel_err(yf, y)
            tap.result(err <= 1e-5, '%s torch train vs deploy fp32 rel %.2e' % (name, err),
                       [why] if why else ())
        except Exception as e:  # noqa: BLE001
            tap.result(False, '%s torch reference' % name, [repr(e)])
            for fused in (False, True):
                tap.result(False, '%s %s' % (name, 'fused' if fused else 'unfused'),
                           ['no reference'])
            continue
        for fused in (False, True):
            desc = '%s %s' % (name, 'fused' if fused else 'unfused')
            if args.torch_only:
                tap.result(True, desc, skip='--torch-only')
                continue
            if not args.cli or not os.access(args.cli, os.X_OK):
                tap.result(False, desc, ['nondeep-cli not found: %r' % args.cli])
                continue
            ypath = os.path.join(args.workdir, '%s-%s-logits.npy' %
                                 (name, 'fused' if fused else 'unfused'))
            try:
                cmd, p = run_cli(args.cli, name, res, classes, wpath, xpath, ypath, fused,
                                 args.timeout)
            except subprocess.TimeoutExpired:
                tap.result(False, desc, ['timed out after %gs' % args.timeout])
                continue
            diag = ['$ ' + ' '.join(cmd)]
            if p.returncode != 0 or not os.path.exists(ypath):
                diag += ['exit %d' % p.returncode, p.stderr.decode(errors='replace')[-2000:]]
                tap.result(False, desc, diag)
                continue
            try:
                json.loads(p.stdout.decode(errors='replace') or 'null')
            except ValueError:
                diag.append('note: --json output is not one JSON document')
            ours = np.load(ypath, allow_pickle=False)
            err, why = rel_err(ours, y)
            ok = err <= args.tol
            diag += ['max|ours-torch|/max|torch| = %.3e (tol %.1e) %s' % (err, args.tol, why)]
            if not ok:
                diag.append('torch[:5] %s ours[:5] %s' % (np.ravel(y)[:5], np.ravel(ours)[:5]))
            tap.result(ok, desc + ' rel %.2e' % err, diag if not ok else ())
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
