#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-check nondeep-cli's logits against the PyTorch re-implementations (tools/nd_models.py).

    crosscheck.py --cli PATH_TO_nondeep-cli --workdir DIR [--torch-only] [--tol 1e-4]

For each case in CASES (every family: ParNet-S, RepVGG-A0 and the grouped B1g4, VanillaNet-5,
ResNet-18/50, VGG-16; 10 classes) random weights with non-trivial BN statistics (fixed seed) are
saved as training-form safetensors (official keys, F32), a random float32 input of batch 2 as
.npy; then

    CLI run --model M --resolution R --classes 10 [--width W] [--backend vulkan] \
            --weights W.safetensors --input X.npy --dump-logits Y.npy --json [--fused]

must give max|ours - torch| / max|torch| <= tol for both images, unfused and fused. The CPU
cases run at 64 px (full width but VGG-16's, whose 4096-wide classifier alone would be 0.5 GB);
the Vulkan cases at 32 px and width 0.25, small enough for lavapipe. Without a Vulkan device
the Vulkan cases are TAP skips, failures when ND_TEST_REQUIRE names vulkan (CI). Prints TAP,
exits 1 on any failure. --torch-only runs only the PyTorch half (the CLI tests are skipped).
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

# name, resolution, seed, width, backend (10 classes, batch 2 throughout)
CASES = [
    ('parnet-s', 64, 11, 1.0, 'cpu'),
    ('repvgg-a0', 64, 12, 1.0, 'cpu'),
    ('repvgg-b1g4', 64, 14, 1.0, 'cpu'),
    ('vanillanet-5', 64, 13, 1.0, 'cpu'),
    ('resnet-18', 64, 15, 1.0, 'cpu'),
    ('resnet-50', 64, 16, 1.0, 'cpu'),
    ('vgg-16', 64, 17, 0.25, 'cpu'),
] + [(name, 32, seed + 100, 0.25, 'vulkan') for name, seed in
     [('parnet-s', 11), ('repvgg-a0', 12), ('repvgg-b1g4', 14), ('vanillanet-5', 13),
      ('resnet-18', 15), ('resnet-50', 16), ('vgg-16', 17)]]
CLASSES = 10
BATCH = 2
REQUIRED = set(os.environ.get('ND_TEST_REQUIRE', '').replace(' ', ',').split(','))


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


def knobs(res, width):
    k = ['--resolution', str(res), '--classes', str(CLASSES)]
    return k + (['--width', '%g' % width] if width != 1.0 else [])


def prepare(tag, name, res, seed, width, workdir):
    """Writes weights + input; returns (paths, logits unfused, logits fused) from PyTorch (fp32)."""
    torch.manual_seed(seed)
    m = nm.init_random(nm.build(name, classes=CLASSES, resolution=res, width=width),
                       seed=seed).eval()
    x = torch.randn(BATCH, 3, res, res, generator=torch.Generator().manual_seed(seed + 1000))
    wpath = os.path.join(workdir, '%s.safetensors' % tag)
    xpath = os.path.join(workdir, '%s-input.npy' % tag)
    st.save(wpath, nm.float_state_dict(m), dtype='F32',
            metadata={'nondeep.model': name, 'nondeep.knobs': ' '.join(knobs(res, width)),
                      'nondeep.note': 'random init seed %d (crosscheck)' % seed})
    st.save_npy(xpath, x)
    with torch.no_grad():
        y = m(x).numpy()
        d = nm.to_deploy(m)
        yf = d(x).numpy()
    np.save(os.path.join(workdir, '%s-torch-logits.npy' % tag), y.astype('<f4'))
    return wpath, xpath, y, yf


def vulkan_devices(cli):
    """The CLI's Vulkan device list ([] without one), or None when it cannot be asked."""
    if not cli or not os.access(cli, os.X_OK):
        return None
    p = subprocess.run([cli, 'devices', '--json'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    try:
        return json.loads(p.stdout.decode(errors='replace') or '[]') if p.returncode == 0 else []
    except ValueError:
        return []


def run_cli(cli, name, res, width, backend, wpath, xpath, ypath, fused, timeout):
    cmd = [cli, 'run', '--model', name] + knobs(res, width) + [
        '--weights', wpath, '--input', xpath, '--dump-logits', ypath, '--json']
    if backend != 'cpu':
        cmd += ['--backend', backend]
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
    ap.add_argument('--only', help='comma-separated model names: run just those cases')
    args = ap.parse_args()
    cases = [c for c in CASES if not args.only or c[0] in args.only.split(',')]
    torch.set_num_threads(1)
    os.makedirs(args.workdir, exist_ok=True)
    devices = None if args.torch_only else vulkan_devices(args.cli)
    tap = Tap(len(cases) * 3)
    for name, res, seed, width, backend in cases:
        tag = '%s-%s-%d' % (name, backend, res)
        failed_before = tap.failed
        label = '%s %dpx%s %s batch %d' % (name, res, ' width %g' % width if width != 1.0 else '',
                                           backend, BATCH)
        try:
            wpath, xpath, y, yf = prepare(tag, name, res, seed, width, args.workdir)
            err, why = rel_err(yf, y)
            tap.result(err <= 1e-5, '%s torch train vs deploy fp32 rel %.2e' % (label, err),
                       [why] if why else ())
        except Exception as e:  # noqa: BLE001
            tap.result(False, '%s torch reference' % label, [repr(e)])
            for fused in (False, True):
                tap.result(False, '%s %s' % (label, 'fused' if fused else 'unfused'),
                           ['no reference'])
            continue
        for fused in (False, True):
            desc = '%s %s' % (label, 'fused' if fused else 'unfused')
            if args.torch_only:
                tap.result(True, desc, skip='--torch-only')
                continue
            if not args.cli or not os.access(args.cli, os.X_OK):
                tap.result(False, desc, ['nondeep-cli not found: %r' % args.cli])
                continue
            if backend == 'vulkan' and not devices:
                if 'vulkan' in REQUIRED:
                    tap.result(False, desc, ['ND_TEST_REQUIRE names vulkan, but nondeep-cli '
                                             'devices lists no Vulkan device'])
                else:
                    tap.result(True, desc, skip='no Vulkan device')
                continue
            ypath = os.path.join(args.workdir, '%s-%s-logits.npy' %
                                 (tag, 'fused' if fused else 'unfused'))
            try:
                cmd, p = run_cli(args.cli, name, res, width, backend, wpath, xpath, ypath, fused,
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
                out = json.loads(p.stdout.decode(errors='replace') or 'null')
            except ValueError:
                out = None
                diag.append('note: --json output is not one JSON document')
            ours = np.load(ypath, allow_pickle=False)
            err, why = rel_err(ours, y)
            ok = err <= args.tol
            if out is not None and out.get('backend') != backend:
                ok, why = False, 'ran on backend %r, not %r' % (out.get('backend'), backend)
            diag += ['max|ours-torch|/max|torch| = %.3e (tol %.1e) %s' % (err, args.tol, why)]
            if not ok:
                diag.append('torch[:5] %s ours[:5] %s' % (np.ravel(y)[:5], np.ravel(ours)[:5]))
            tap.result(ok, desc + ' rel %.2e' % err, diag if not ok else ())
            if ok:
                os.unlink(ypath)
        if tap.failed == failed_before:   # the weights are the bulk (VGG-16: 170 MB)
            os.unlink(wpath)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
