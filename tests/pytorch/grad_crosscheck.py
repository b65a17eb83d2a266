#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-check the runtime's backward pass against PyTorch autograd (tools/nd_models.py).

    grad_crosscheck.py --cli PATH_TO_nondeep-cli --workdir DIR [--tol 1e-4] [--only M,...]

The reference is autograd in float64 on the same float32 weights and input.
For ParNet-S, RepVGG-A0, VanillaNet-5 and ResNet-18 at 64×64 (10 classes, random weights with
non-trivial BN statistics, a batch of 2 random inputs), the input gradient of each image's top
logit from

    CLI saliency --model M --resolution 64 --classes 10 --weights W --input X.npy \
                 --method grad --dump-grad G.npy --json [--fused]

must equal autograd's on the training-form module (unfused) and on its deploy form (fused):
max|ours − torch| / max|torch| ≤ tol. The CLI's fused and unfused gradients must agree too.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import nd_tap  # noqa: E402

CASES = [('parnet-s', 31), ('repvgg-a0', 32), ('vanillanet-5', 33), ('resnet-18', 34)]
RES, CLASSES, BATCH = 64, 10, 2
# the least max-pool gap (relative to the pool input's max |x|) an input may have: VanillaNet-5
# has ~1 window per image below 1e-6, each a coin flip for float32 rounding
GAP = 3e-7


def rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if ours.shape != ref.shape:
        return float('inf')
    if not np.all(np.isfinite(ours)):
        return float('inf')
    return float(np.max(np.abs(ours - ref)) / max(np.max(np.abs(ref)), 1e-30))


def min_pool_gap(model, x):
    """The smallest gap between a max-pool window's two largest inputs, relative to that
    pool's largest |input|, over every MaxPool2d of @model on @x (float64). At a near-tie the
    gradient jumps: float32 rounding in any implementation may route it to either cell.
    Windows whose maximum is exactly 0 (after a ReLU) are left out: ReLU stops the gradient
    to all of their cells."""
    import torch
    import torch.nn.functional as F
    gaps = [float('inf')]

    def hook(mod, inp, out):
        t = inp[0]
        k, s, p = (v if isinstance(v, int) else v[0] for v in (mod.kernel_size, mod.stride,
                                                               mod.padding))
        tp = F.pad(t, (p, p, p, p), value=float('-inf'))
        cols = F.unfold(tp, k, stride=s).reshape(t.shape[0], t.shape[1], k * k, -1)
        top = cols.topk(2, dim=2).values
        keep = top[:, :, 0] != 0
        if keep.any():
            gap = (top[:, :, 0] - top[:, :, 1])[keep].min().item()
            gaps.append(gap / max(t.abs().max().item(), 1e-30))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, torch.nn.MaxPool2d)]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return min(gaps)


def torch_grads(model, x):
    """d logit[top] / d x for each image, and the top classes, in float64: PyTorch's float32
    autograd of VanillaNet-5's training form is itself 8e-3 away from its float64 one (seed
    33), while its deploy form and ours are within 1e-6, so float32 would test PyTorch."""
    import torch
    model = model.double()
    xg = x.double().clone().requires_grad_(True)
    y = model(xg)
    top = y.argmax(dim=1)
    y.gather(1, top[:, None]).sum().backward()
    return xg.grad.numpy(), top.numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cli', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--only', help='comma-separated model names')
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    cases = [c for c in CASES if not args.only or c[0] in args.only.split(',')]
    state = {}

    def prepare(name, seed):
        try:
            import torch
        except ImportError:
            nd_tap.require('torch', False, 'python3-torch is not installed')
        import nd_models as nm
        import safetensors_io as st
        torch.set_num_threads(1)
        m = nm.init_random(nm.build(name, classes=CLASSES, resolution=RES), seed=seed).eval()
        # an input whose max-pool windows hold no near-tie (see min_pool_gap)
        m64 = nm.clone_model(m).double()
        for k in range(1, 40):
            x = torch.randn(BATCH, 3, RES, RES,
                            generator=torch.Generator().manual_seed(seed + k))
            gap = min_pool_gap(m64, x.double())
            if gap >= GAP:
                break
        print('# %s: input seed %d, smallest max-pool gap %.2e' % (name, seed + k, gap))
        wpath = os.path.join(args.workdir, '%s.safetensors' % name)
        xpath = os.path.join(args.workdir, '%s-input.npy' % name)
        st.save(wpath, nm.float_state_dict(m), dtype='F32',
                metadata={'nondeep.model': name,
                          'nondeep.knobs': '--resolution %d --classes %d' % (RES, CLASSES),
                          'nondeep.note': 'random init seed %d (grad crosscheck)' % seed})
        st.save_npy(xpath, x)
        d = nm.to_deploy(m)
        g, top = torch_grads(m, x)
        gf, topf = torch_grads(d, x)
        state[name] = dict(w=wpath, x=xpath, g=g, top=top, gf=gf, topf=topf)
        return g, gf, top, topf

    def cli_grad(name, fused):
        s = state.get(name)
        if s is None:
            raise AssertionError('no PyTorch reference (see the case above)')
        out = os.path.join(args.workdir, '%s-%s-grad.npy' % (name, 'fused' if fused else 'train'))
        cmd = [args.cli, 'saliency', '--model', name, '--resolution', str(RES), '--classes',
               str(CLASSES), '--weights', s['w'], '--input', s['x'], '--method', 'grad',
               '--dump-grad', out, '--json'] + (['--fused'] if fused else [])
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        if p.returncode != 0:
            raise AssertionError('$ %s\nexit %d\n%s' % (' '.join(cmd), p.returncode,
                                                        p.stderr.decode(errors='replace')[-2000:]))
        classes = [r['class'] for r in json.loads(p.stdout.decode())['results']]
        return np.load(out, allow_pickle=False), classes

    for name, seed in cases:
        def t_torch(name=name, seed=seed):
            g, gf, top, topf = prepare(name, seed)
            err = rel_err(gf, g)
            # the deploy form is the same function: same top class, same gradient
            assert list(top) == list(topf), 'top classes %s vs deploy %s' % (top, topf)
            assert err <= 1e-4, 'torch train vs deploy gradient rel %.2e' % err

        def t_cli(name=name, fused=False):
            ours, classes = cli_grad(name, fused)
            s = state[name]
            ref = s['gf'] if fused else s['g']
            assert classes == list(s['topf' if fused else 'top']), \
                'top classes: ours %s, torch %s' % (classes, list(s['top']))
            err = rel_err(ours, ref)
            print('# %s %s: max|ours - torch| / max|torch| = %.3e' %
                  (name, 'fused' if fused else 'training', err))
            assert err <= args.tol, 'rel %.3e > %.1e' % (err, args.tol)
            s['ours_fused' if fused else 'ours'] = ours

        def t_same(name=name):
            s = state[name]
            if 'ours' not in s or 'ours_fused' not in s:
                raise AssertionError('a CLI gradient above failed')
            err = rel_err(s['ours_fused'], s['ours'])
            print('# %s: fused vs training gradient rel %.3e' % (name, err))
            assert err <= args.tol, 'rel %.3e > %.1e' % (err, args.tol)

        nd_tap.test('%s %dpx: torch autograd, training vs deploy' % (name, RES))(t_torch)
        nd_tap.test('%s %dpx training form: CLI input gradient == autograd' % (name, RES))(
            lambda t=t_cli, n=name: t(n, False))
        nd_tap.test('%s %dpx fused: CLI input gradient == autograd' % (name, RES))(
            lambda t=t_cli, n=name: t(n, True))
        nd_tap.test('%s %dpx: CLI fused == training gradient' % (name, RES))(t_same)
    nd_tap.run_all()


if __name__ == '__main__':
    main()
