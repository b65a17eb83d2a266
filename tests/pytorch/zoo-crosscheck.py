#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-check the zoo presets against torchvision's own definitions (python3-torchvision)
and the timm models against the project's definitions of them (tools/nd_timm.py, timm's
module names: timm is not packaged in Debian).

    zoo-crosscheck.py --cli PATH_TO_nondeep-cli --workdir DIR [--only a,b] [--tol 1e-4]

For each case torchvision builds the model (10 classes), BN layers get non-trivial statistics
(γ ∈ [0.5, 1.5], β, μ ~ N(0, 0.1), σ² ∈ [0.5, 2]), and the state_dict is saved with torch.save
exactly as torchvision publishes its checkpoints (.pth, num_batches_tracked included). Then

    CLI run --model M --resolution R --classes 10 [--width W] --weights M.pth \\
            --input X.npy --dump-logits Y.npy [--fused]

must give max|ours - torch| / max|torch| <= tol for a batch of 2, unfused and fused. The
unfused run gives no --model and no --classes: the checkpoint's keys and shapes choose them
(as `inspect --json` must also report). VGG-19 runs at width 0.25 (torchvision's own
make_layers on the scaled configuration E, its classifier's first layer resized to match) so
that its file stays small, with --model; the rest at full width. One more case saves
DenseNet-121 under its legacy keys (denselayerN.norm.1…, which torchvision renames on load).
Prints TAP, exits 1 on any failure; without torchvision every case is a TAP skip (a failure
when ND_TEST_REQUIRE names torch).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

import numpy as np

REQUIRED = set(os.environ.get('ND_TEST_REQUIRE', '').replace(' ', ',').split(','))
CLASSES = 10
BATCH = 2

# preset, torchvision builder, resolution, width, seed
CASES = [
    ('vgg-19', 'vgg19', 32, 0.25, 21),
    ('resnet-101', 'resnet101', 64, 1.0, 22),
    ('resnext-50-32x4d', 'resnext50_32x4d', 64, 1.0, 23),
    ('mobilenet-v2', 'mobilenet_v2', 64, 1.0, 24),
    ('shufflenet-v2-1.0', 'shufflenet_v2_x1_0', 64, 1.0, 25),
    ('densenet-121', 'densenet121', 64, 1.0, 26),
    # built with its auxiliary classifier, as published (AuxLogits.* in the file, unused)
    ('inception-v3', 'inception_v3', 80, 1.0, 27),
    # timm layouts (tools/nd_timm.py); VoVNet at 80 px so that three ceil-mode pools round up
    ('resnet-v2-50', 'timm:resnetv2_50', 64, 1.0, 28),
    ('darknet-53', 'timm:darknet53', 64, 1.0, 29),
    ('cspdarknet-53', 'timm:cspdarknet53', 64, 1.0, 30),
    ('vovnet-39', 'timm:vovnet39a', 80, 1.0, 31),
    ('vovnet-57', 'timm:vovnet57a', 80, 1.0, 32),
    ('ese-vovnet-39', 'timm:ese_vovnet39b', 80, 1.0, 33),
]


def tap_line(n, ok, desc, diag=(), skip=None):
    if skip:
        print('ok %d - %s # SKIP %s' % (n, desc, skip))
    else:
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, desc))
    for line in diag:
        for part in str(line).splitlines():
            print('# ' + part)
    sys.stdout.flush()


def build_torchvision(torch, tv, builder, width):
    if builder.startswith('timm:'):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        '..', '..', 'tools'))
        import nd_timm
        return nd_timm.build(builder[5:], classes=CLASSES)
    if builder == 'vgg19' and width != 1.0:
        from torchvision.models import vgg
        cfg = [v if v == 'M' else int(v * width) for v in vgg.cfgs['E']]
        m = vgg.VGG(vgg.make_layers(cfg), num_classes=CLASSES, init_weights=True)
        m.classifier[0] = torch.nn.Linear(cfg[-2] * 7 * 7, 4096)
        return m
    if builder == 'inception_v3':
        return tv.models.inception_v3(num_classes=CLASSES, aux_logits=True, init_weights=True)
    return getattr(tv.models, builder)(num_classes=CLASSES)


def randomize_bn(torch, model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                c = mod.num_features
                mod.weight.copy_(torch.rand(c, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(c, generator=g) * 0.1)
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)


def rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if ours.shape != ref.shape:
        return float('inf'), 'shape %s vs torch %s' % (ours.shape, ref.shape)
    if not np.all(np.isfinite(ours)):
        return float('inf'), 'non-finite logits'
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-30)), ''


def check_inspect(cli, wpath, name):
    p = subprocess.run([cli, 'inspect', '--json', wpath], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    try:
        model = json.loads(p.stdout.decode(errors='replace'))['state_dicts'][0]['model']
    except (ValueError, KeyError, IndexError) as e:
        return False, ['exit %d: %r' % (p.returncode, e), p.stderr.decode(errors='replace')]
    ok = model.get('detected') and model.get('preset') == name and model.get('classes') == CLASSES
    return ok, [] if ok else ['detected %r' % model]


def compare(args, n, name, builder, res, width, fused, wpath, xpath, y, detect, what=''):
    """Runs the CLI on @wpath and compares its logits with torchvision's @y; prints one line."""
    form = 'fused' if fused else 'unfused'
    ypath = os.path.join(args.workdir, '%s-%s-logits.npy' % (name, form))
    cmd = [args.cli, 'run', '--resolution', str(res), '--weights', wpath, '--input', xpath,
           '--dump-logits', ypath]
    if not detect:
        cmd += ['--model', name, '--classes', str(CLASSES)]
    if width != 1.0:
        cmd += ['--width', '%g' % width]
    if fused:
        cmd.append('--fused')
    desc = '%s %dpx %s%s%s vs %s' % (
        name, res, form, ' (detected)' if detect else '', ' ' + what if what else '',
        'tools/nd_timm.py ' + builder[5:] if builder.startswith('timm:')
        else 'torchvision.models.' + builder)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        tap_line(n, False, desc, ['timed out after %gs' % args.timeout])
        return False
    if p.returncode != 0 or not os.path.exists(ypath):
        tap_line(n, False, desc, ['$ ' + ' '.join(cmd), 'exit %d' % p.returncode,
                                  p.stderr.decode(errors='replace')[-2000:]])
        return False
    err, why = rel_err(np.load(ypath, allow_pickle=False), y)
    ok = err <= args.tol
    tap_line(n, ok, '%s rel %.2e' % (desc, err),
             () if ok else ['$ ' + ' '.join(cmd), why, 'tol %g' % args.tol])
    os.unlink(ypath)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cli', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--only', help='comma-separated preset names')
    args = ap.parse_args()
    cases = [c for c in CASES if not args.only or c[0] in args.only.split(',')]
    # per case: inspect, unfused, fused; one more for DenseNet's legacy keys
    legacy = any(c[0] == 'densenet-121' for c in cases)
    print('1..%d' % (3 * len(cases) + legacy))
    try:
        import torch
        import torchvision as tv
    except ImportError as e:
        descs = ['%s %s' % (c[0], form) for c in cases for form in ('inspect', 'unfused', 'fused')]
        for i, desc in enumerate(descs + ['densenet-121 legacy keys'] * legacy):
            if 'torch' in REQUIRED:
                tap_line(i + 1, False, desc, ['ND_TEST_REQUIRE names torch: %s' % e])
            else:
                tap_line(i + 1, True, desc, skip='no torchvision (%s)' % e)
        return 1 if 'torch' in REQUIRED else 0
    torch.set_num_threads(1)
    os.makedirs(args.workdir, exist_ok=True)
    failed, n = 0, 0
    for name, builder, res, width, seed in cases:
        torch.manual_seed(seed)
        m = build_torchvision(torch, tv, builder, width)
        randomize_bn(torch, m, seed)
        m.eval()
        x = torch.randn(BATCH, 3, res, res, generator=torch.Generator().manual_seed(seed + 1))
        with torch.no_grad():
            y = m(x).numpy()
        wpath = os.path.join(args.workdir, '%s.pth' % name)
        xpath = os.path.join(args.workdir, '%s-input.npy' % name)
        sd = m.state_dict()
        torch.save(sd, wpath)
        np.save(xpath, x.numpy().astype('<f4'))
        n += 1
        ok, diag = check_inspect(args.cli, wpath, name)
        failed += not ok
        tap_line(n, ok, '%s inspect detects %s' % (os.path.basename(wpath), name), diag)
        for fused in (False, True):
            n += 1
            ok = compare(args, n, name, builder, res, width, fused, wpath, xpath, y,
                         detect=not fused and width == 1.0)
            failed += not ok
        if name == 'densenet-121':
            legacy_sd = collections.OrderedDict(
                (re.sub(r'(denselayer\d+\.(?:norm|relu|conv))([12])\.', r'\1.\2.', k), v)
                for k, v in sd.items())
            assert any('.norm.1.' in k for k in legacy_sd)
            lpath = os.path.join(args.workdir, '%s-legacy.pth' % name)
            torch.save(legacy_sd, lpath)
            n += 1
            failed += not compare(args, n, name, builder, res, width, False, lpath, xpath, y,
                                  detect=True, what='legacy keys')
            os.unlink(lpath)
        os.unlink(wpath)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
