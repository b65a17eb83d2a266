#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Self-check of tools/nd_models.py against docs/reference/networks.md.

Checks exact parameter counts (train and deploy form, 1000 classes), state_dict entry counts and
train-vs-deploy equality in float64 with random BN statistics. Prints TAP; exit 1 on a failure.

    /usr/bin/python3 tools/check_models.py [--quick]

--quick checks the models tests/pytorch/crosscheck.py uses as its oracle (QUICK); meson test
check-models runs that, .ci/run the full set.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402

# name: (train params, deploy params, train entries, deploy entries); None = not published.
EXPECT = {
    'parnet-s': (20930936, 19128980, 378, 158),
    'parnet-m': (38953256, 35576616, 378, 158),
    'parnet-l': (60180008, 54914824, 378, 158),
    'parnet-xl': (93176168, 84962784, 378, 158),
    'repvgg-a0': (9108968, 8309384, 351, 46),
    'repvgg-a1': (14092264, 12789864, None, 46),
    'repvgg-a2': (28210600, 25499944, None, 46),
    'repvgg-b0': (15817960, 14339048, None, None),
    'repvgg-b1': (57415016, 51829480, None, None),
    'repvgg-b1g2': (45782376, 41360104, None, None),
    'repvgg-b1g4': (39966056, 36125416, None, None),
    'repvgg-b2': (89022376, 80315112, None, None),
    'repvgg-b2g2': (70846376, None, None, None),
    'repvgg-b2g4': (61758376, 55777512, None, None),
    'repvgg-b3': (123085288, 110960872, None, None),
    'repvgg-b3g2': (96911848, None, None, None),
    'repvgg-b3g4': (83825128, 75626728, None, None),
    'vanillanet-5': (22328800, 15523304, 89, 18),
    # docs/reference/networks.md §3.5 gives these in M with 3 decimals: checked to +-0.0005 M below.
    'vanillanet-6': ('56.117M', '32.509M', 109, 22),
    'vanillanet-7': ('56.670M', '32.798M', 129, 26),
    'vanillanet-8': ('65.176M', '37.096M', 149, 30),
    'vanillanet-9': ('73.681M', '41.395M', 169, 34),
    'vanillanet-10': ('82.186M', '45.694M', 189, 38),
    'vanillanet-11': ('90.692M', '49.993M', 209, 42),
    'vanillanet-12': ('99.197M', '54.291M', 229, 46),
    'vanillanet-13': ('107.702M', '58.590M', 249, 50),
    'vanillanet-13-x1.5': ('236.942M', '127.796M', 249, 50),
    'resnet-18': (11689512, None, None, None),
    'resnet-50': (25557032, None, None, None),
    'vgg-16': (138357544, None, None, None),
}

# The models tests/pytorch/crosscheck.py compares nondeep-cli with.
QUICK = ['parnet-s', 'repvgg-a0', 'repvgg-b1g4', 'vanillanet-5', 'resnet-18', 'resnet-50',
         'vgg-16']

# Models whose fused forward is compared in float64 (resolution, classes).
EQUIV = [('parnet-s', 64), ('parnet-m', 64), ('repvgg-a0', 64), ('repvgg-b1g4', 64),
         ('vanillanet-5', 64), ('vanillanet-9', 64), ('resnet-18', 64), ('resnet-50', 64)]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc))
        if diag and not cond:
            print('# ' + diag)
        sys.stdout.flush()


def match(expect, got):
    if expect is None:
        return True
    if isinstance(expect, str):
        return abs(got / 1e6 - float(expect[:-1])) <= 0.0005 + 1e-9
    return expect == got


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--quick', action='store_true', help="only crosscheck.py's models")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tap = Tap()
    names = list(EXPECT)
    equiv = EQUIV
    if args.quick:
        names = QUICK
        equiv = [e for e in EQUIV if e[0] in QUICK]
    print('1..%d' % (len(names) * 4 + len(equiv) + 6))
    for name in names:
        tp, dp, te, de = EXPECT[name]
        m = nm.build(name)
        got = nm.count_params(m)
        tap.ok(match(tp, got), '%s train params %s' % (name, format(got, ',')),
               'expected %s' % (tp,))
        n_sd = len(m.state_dict())
        tap.ok(te is None or te == n_sd, '%s train state_dict entries %d' % (name, n_sd),
               'expected %s' % (te,))
        if name.startswith('vgg'):
            # no re-parameterization: the deploy form is the training form, tensor for tensor
            sd = nm.deploy_state_dict(m)
            tap.ok(nm.count_params(nm.build(name, deploy=True)) == got,
                   '%s deploy params = train params (no deploy form)' % name)
            tap.ok(list(sd) == list(m.state_dict()) and
                   all(torch.equal(v, m.state_dict()[k]) for k, v in sd.items()),
                   '%s deploy state_dict = train state_dict' % name)
            del m, sd
            continue
        with torch.no_grad():
            sd = nm.deploy_state_dict(m)
        d = nm.build(name, deploy=True)
        d.load_state_dict(sd, strict=True)
        got = nm.count_params(d)
        tap.ok(match(dp, got), '%s deploy params %s' % (name, format(got, ',')),
               'expected %s' % (dp,))
        tap.ok(de is None or de == len(sd), '%s deploy state_dict entries %d' % (name, len(sd)),
               'expected %s' % (de,))
        del m, d, sd

    # Official key spellings (docs/reference/networks.md §1.4, §2.4, §3.3, §3.6).
    p = nm.build('parnet-s').state_dict()
    tap.ok(all(k in p for k in ['streams.2.4.block.rbr_identity.running_var',
                                'downsamples_2.1.2.block.rbr_1x1.1.bn.weight',
                                'combine.2.block.rbr_1x1.conv.weight',
                                'downsamples_2.1.0.b1.weight', 'combine.0.b2.running_mean',
                                'inits.0.0.block.se.cvsig.conv.weight', 'head.fc.weight']),
           'parnet-s official training keys present')
    pd = nm.deploy_state_dict(nm.build('parnet-s'))
    tap.ok('combine.3.block.rbr_dense.weight' in pd and 'combine.3.block.rbr_dense.bias' in pd and
           not any('rbr_1x1' in k for k in pd) and 'streams.0.0.block.rbr_identity.weight' in pd,
           'parnet-s fused keys: rbr_dense.weight/bias, no rbr_1x1, identity kept')
    r = nm.build('repvgg-a0').state_dict()
    tap.ok('stage0.rbr_1x1.conv.weight' in r and 'stage1.1.rbr_identity.running_var' in r and
           'stage1.0.rbr_identity.weight' not in r and 'linear.weight' in r,
           'repvgg-a0 official training keys')
    v = nm.build('vanillanet-5').state_dict()
    tap.ok(tuple(v['stem1.0.weight'].shape) == (512, 3, 4, 4) and
           tuple(v['stages.0.act.weight'].shape) == (1024, 1, 7, 7) and
           tuple(v['cls2.0.weight'].shape) == (1000, 1000, 1, 1) and 'stem2.2.bn.running_var' in v,
           'vanillanet-5 official training keys and shapes')
    vd = nm.deploy_state_dict(nm.build('vanillanet-5'))
    tap.ok(list(vd)[:4] == ['stem.0.weight', 'stem.0.bias', 'stem.1.weight', 'stem.1.bias'] and
           'stages.2.conv.bias' in vd and 'cls.2.weight' in vd, 'vanillanet-5 deploy keys')
    try:
        nm.build('parnet-s').eval()(torch.zeros(1, 3, 48, 48))
        rejected = False
    except ValueError:
        rejected = True
    tap.ok(rejected, 'unfused parnet rejects input sizes not divisible by 32')

    for name, res in equiv:
        m = nm.init_random(nm.build(name, classes=1000, resolution=res), seed=7).double().eval()
        d = nm.to_deploy(m)
        x = torch.randn(2, 3, res, res, generator=torch.Generator().manual_seed(1),
                        dtype=torch.float64)
        with torch.no_grad():
            a, b = m(x), d(x)
        rel = ((a - b).abs().max() / a.abs().max()).item()
        tap.ok(rel <= 1e-10, '%s train vs deploy float64 max rel diff %.2e' % (name, rel))
    print('# %d/%d failed' % (tap.failed, tap.n))
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
