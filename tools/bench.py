#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Side-by-side CPU latency: nondeep-cli vs PyTorch, in one run, alternating.

    bench.py --cli build/app/cli/nondeep-cli [--models parnet-s,resnet-50] [--quick]
             [--iters 20] [--warmup 3] [--rounds 1] [--threads 2] [--out BENCHMARKS.md]
    bench.py --torch-only ...          (PyTorch half only)

Ours:    CLI bench --model M [--fused] --iters N --warmup W --json
         -> {"median_ms", "min_ms", "max_ms", "ops": [...]}
PyTorch: the same model from tools/nd_models.py, eval, torch.no_grad, batch 1, 224x224,
         torch.set_num_threads(threads), same warmup/iters.
For each model and form (unfused, fused) the two are run back to back, `rounds` times.
MACs (Conv2d + Linear + VanillaNet's depthwise activation conv) are counted with hooks on the
PyTorch model of the same form; GFLOP/s = 2 * MACs / median time.
Writes the Markdown report (--out) and the raw numbers next to it (.json).
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402

DEFAULT_MODELS = ['parnet-s', 'parnet-m', 'repvgg-a0', 'repvgg-b1', 'vanillanet-5',
                  'vanillanet-9', 'resnet-18', 'resnet-50', 'vgg-16']
QUICK_MODELS = ['parnet-s', 'repvgg-a0', 'vanillanet-5', 'resnet-18']

# Quoted from shared/DESIGN.md ("measured by the project earlier on this machine type"):
# ncnn's benchncnn, 2 threads, and PyTorch 1.13 at the same time.
NCNN_QUOTED = [('resnet-18', '16.8', '24'), ('resnet-50', '38–44', '52–60'),
               ('vgg-16', '89', '216')]


def count_macs(model, res, in_ch=3):
    """MACs of Conv2d, Linear and VanillaNet activation convs for one 1xCxHxW forward."""
    total = [0]

    def conv_hook(m, i, o):
        total[0] += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, i, o):
        total[0] += o.numel() * m.in_features

    def act_hook(m, i, o):
        total[0] += o.numel() * m.weight.shape[-1] * m.weight.shape[-2]

    hs = []
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            hs.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hs.append(mod.register_forward_hook(lin_hook))
        elif isinstance(mod, nm.VNActivation):
            hs.append(mod.register_forward_hook(act_hook))
    was_training = model.training
    with torch.no_grad():
        model.eval()(torch.zeros(1, in_ch, res, res))
    model.train(was_training)
    for h in hs:
        h.remove()
    return total[0]


def torch_model(name, fused, res):
    m = nm.init_random(nm.build(name, resolution=res), seed=1).eval()
    return nm.to_deploy(m) if fused else m


def time_torch(model, res, iters, warmup):
    x = torch.randn(1, 3, res, res)
    ts = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            ts.append((time.perf_counter() - t0) * 1e3)
    return {'median_ms': statistics.median(ts), 'min_ms': min(ts), 'max_ms': max(ts),
            'samples_ms': ts}


def run_ours(cli, name, fused, res, iters, warmup, threads, timeout, extra=()):
    cmd = [cli, 'bench', '--model', name, '--iters', str(iters), '--warmup', str(warmup), '--json']
    if fused:
        cmd.append('--fused')
    if res != 224:
        cmd[4:4] = ['--resolution', str(res)]
    cmd += list(extra)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'error': 'timeout after %ds' % timeout, 'cmd': ' '.join(cmd)}
    if p.returncode != 0:
        return {'error': 'exit %d: %s' % (p.returncode, p.stderr.decode(errors='replace')[-500:]),
                'cmd': ' '.join(cmd)}
    try:
        out = p.stdout.decode(errors='replace')
        r = json.loads(out[out.index('{'):])
    except ValueError as e:
        return {'error': 'bad JSON: %s' % e, 'cmd': ' '.join(cmd)}
    r['cmd'] = ' '.join(cmd)
    return r


def machine():
    info = {'cpu': platform.processor() or '?', 'cores': os.cpu_count(), 'avx512f': False}
    try:
        with open('/proc/cpuinfo') as f:
            txt = f.read()
        m = re.search(r'^model name\s*:\s*(.*)$', txt, re.M)
        if m:
            info['cpu'] = m.group(1).strip()
        info['avx512f'] = ' avx512f' in txt
        info['logical_cpus'] = txt.count('\nprocessor') + txt.startswith('processor')
    except OSError:
        pass
    info['kernel'] = platform.release()
    return info


def versions(cli):
    v = {'python': platform.python_version(), 'torch': torch.__version__}
    try:
        import numpy
        v['numpy'] = numpy.__version__
    except ImportError:
        pass
    m = re.search(r'(?:oneDNN|MKL-DNN) v[0-9.]+', torch.__config__.show())
    if m:
        v['torch_onednn'] = m.group(0)
    if cli:
        try:
            p = subprocess.run([cli, '--version'], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
            v['nondeep-cli'] = p.stdout.decode(errors='replace').strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            v['nondeep-cli'] = '?'
    return v


def top_ops(ours, k=5):
    """Best-effort summary of the CLI's per-op list: the k slowest ops (name, ms)."""
    ops = ours.get('ops') or []
    rows = []
    for o in ops:
        if not isinstance(o, dict):
            continue
        ms = next((o[key] for key in ('median_ms', 'ms', 'time_ms', 'mean_ms') if key in o), None)
        name = next((str(o[key]) for key in ('name', 'op', 'node', 'block') if key in o), '?')
        if isinstance(ms, (int, float)):
            rows.append((ms, name, str(o.get('op', o.get('kind', '')))))
    rows.sort(reverse=True)
    return rows[:k]


def fmt(x, nd=1):
    return '–' if x is None else ('%.*f' % (nd, x))


WINDOW_BEGIN = '<!-- window: tools/bench_window.py -->'
WINDOW_END = '<!-- /window -->'


def write_report(path, results, meta):
    L = ['# Benchmarks', '',
         'Generated by `tools/bench.py` on %s.' % meta['date'], '',
         '## Machine and versions', '',
         '- CPU: %s, %s logical CPUs, AVX-512F: %s; kernel %s' % (
             meta['machine']['cpu'], meta['machine'].get('logical_cpus', meta['machine']['cores']),
             'yes' if meta['machine']['avx512f'] else 'no', meta['machine']['kernel']),
         '- ' + ', '.join('%s %s' % kv for kv in meta['versions'].items()),
         '- Batch 1, %dx%d, float32, %d threads for PyTorch (`torch.set_num_threads`), '
         'warmup %d, iters %d, rounds %d; ours and PyTorch alternate per model and form.' % (
             meta['res'], meta['res'], meta['threads'], meta['warmup'], meta['iters'],
             meta['rounds']),
         '- Unfused = training form (all branches, BN); fused = re-parameterized / deploy form '
         '(ResNet: BN folded; VGG-16 has one form).',
         '- GFLOP/s = 2 x MACs / median time. MACs count Conv2d, Linear and VanillaNet\'s '
         'depthwise activation convs of the form that ran.', '']
    if meta['torch_only']:
        L += ['**PyTorch only** (`--torch-only`): the nondeep-cli columns are empty.', '']
    L += ['## Results (milliseconds)', '',
          '| model | form | GMACs | ours median | ours min–max | PyTorch median | '
          'PyTorch min–max | ours / PyTorch | ours GFLOP/s | PyTorch GFLOP/s |',
          '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in results:
        o, t = r.get('ours') or {}, r['torch']
        om = o.get('median_ms') if 'error' not in o else None
        ratio = om / t['median_ms'] if om else None
        gm = r['macs'] / 1e9
        L.append('| %s | %s | %.3f | %s | %s | %.1f | %.1f–%.1f | %s | %s | %.1f |' % (
            r['model'], r['form'], gm, fmt(om),
            '%s–%s' % (fmt(o.get('min_ms')), fmt(o.get('max_ms'))) if om else '–',
            t['median_ms'], t['min_ms'], t['max_ms'],
            fmt(ratio, 2), fmt(2 * gm / om * 1e3 if om else None),
            2 * gm / t['median_ms'] * 1e3))
    errs = [r for r in results if r.get('ours') and 'error' in r['ours']]
    if errs:
        L += ['', 'Failed CLI runs:', '']
        L += ['- %s %s: `%s` — %s' % (r['model'], r['form'], r['ours'].get('cmd', ''),
                                      r['ours']['error'].replace('\n', ' ')) for r in errs]
    ops = [(r, top_ops(r['ours'])) for r in results if r.get('ours') and 'error' not in r['ours']]
    if any(t for _, t in ops):
        L += ['', '## Slowest ops (ours, from the CLI\'s per-op list)', '']
        for r, t in ops:
            if t:
                L.append('- %s %s: ' % (r['model'], r['form']) +
                         '; '.join('%s %.2f ms' % (n, ms) for ms, n, _ in t))
    L += ['', '## Quoted reference: ncnn (not measured by this script)', '',
          'Quoted from `shared/DESIGN.md`: ncnn\'s benchmark tool, 2 threads, measured by the '
          'project earlier on this machine type, with PyTorch 1.13 measured at the same time.', '',
          '| model | ncnn (quoted) ms | PyTorch then (quoted) ms |', '|---|---:|---:|']
    L += ['| %s | %s | %s |' % row for row in NCNN_QUOTED]
    L.append('')
    # tools/bench_window.py's section is its own: kept as it is
    try:
        with open(path) as f:
            old = f.read()
        start, end = old.find(WINDOW_BEGIN), old.find(WINDOW_END)
        if 0 <= start < end:
            L += [old[start:end + len(WINDOW_END)], '']
    except OSError:
        pass
    with open(path, 'w') as f:
        f.write('\n'.join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cli', help='path to nondeep-cli')
    ap.add_argument('--torch-only', action='store_true')
    ap.add_argument('--models', help='comma-separated (default: %s)' % ','.join(DEFAULT_MODELS))
    ap.add_argument('--forms', default='unfused,fused')
    ap.add_argument('--quick', action='store_true', help='4 small models, iters 5, warmup 1')
    ap.add_argument('--iters', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--rounds', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--resolution', type=int, default=224)
    ap.add_argument('--timeout', type=int, default=1800)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  '..', 'BENCHMARKS.md'))
    a = ap.parse_args()
    if a.quick:
        a.iters, a.warmup = 5, 1
    models = a.models.split(',') if a.models else (QUICK_MODELS if a.quick else DEFAULT_MODELS)
    models = [nm.canonical_name(m) for m in models]
    forms = [f.strip() for f in a.forms.split(',')]
    if not a.torch_only and not (a.cli and os.access(a.cli, os.X_OK)):
        ap.error('--cli PATH is required (or --torch-only)')
    torch.set_num_threads(a.threads)
    results = []
    for name in models:
        for form in forms:
            fused = form == 'fused'
            if name == 'vgg-16' and fused:
                continue
            model = torch_model(name, fused, a.resolution)
            macs = count_macs(model, a.resolution)
            ours_runs, torch_runs = [], []
            for _ in range(a.rounds):
                if not a.torch_only:
                    ours_runs.append(run_ours(a.cli, name, fused, a.resolution, a.iters, a.warmup,
                                              a.threads, a.timeout))
                torch_runs.append(time_torch(model, a.resolution, a.iters, a.warmup))
            tr = dict(torch_runs[0])
            if a.rounds > 1:
                allt = [s for r in torch_runs for s in r['samples_ms']]
                tr = {'median_ms': statistics.median(allt), 'min_ms': min(allt),
                      'max_ms': max(allt), 'samples_ms': allt}
            ours = None
            if ours_runs:
                good = [r for r in ours_runs if 'error' not in r]
                ours = good[0] if good else ours_runs[0]
                if len(good) > 1:
                    ours = dict(good[0])
                    ours['median_ms'] = statistics.median(r['median_ms'] for r in good)
                    ours['min_ms'] = min(r['min_ms'] for r in good)
                    ours['max_ms'] = max(r['max_ms'] for r in good)
            rec = {'model': name, 'form': form, 'macs': macs, 'torch': tr, 'ours': ours}
            results.append(rec)
            print('%-13s %-7s %6.3f GMACs  torch %8.2f ms  ours %s' % (
                name, form, macs / 1e9, tr['median_ms'],
                '-' if not ours else ours.get('error', '%.2f ms' % ours.get('median_ms', -1))))
            sys.stdout.flush()
            del model
    meta = {'date': datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC'),
            'machine': machine(), 'versions': versions(None if a.torch_only else a.cli),
            'res': a.resolution, 'threads': a.threads, 'iters': a.iters, 'warmup': a.warmup,
            'rounds': a.rounds, 'torch_only': a.torch_only}
    out = os.path.abspath(a.out)
    write_report(out, results, meta)
    with open(os.path.splitext(out)[0] + '.json', 'w') as f:
        json.dump({'meta': meta, 'results': results}, f, indent=1)
    print('wrote %s' % out)
    return 1 if any(r['ours'] and 'error' in r['ours'] for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
