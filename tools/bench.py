#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Side-by-side CPU latency: nondeep-cli vs PyTorch vs ONNX Runtime, in one run, alternating.

    bench.py --cli build/app/cli/nondeep-cli [--models parnet-s,resnet-50] [--quick]
             [--iters 20] [--warmup 3] [--rounds 1] [--threads 2] [--out BENCHMARKS.md]
             [--ort-dir build/bench-ort | --no-ort]
    bench.py --torch-only ...          (PyTorch half only)

Ours:    CLI bench --model M [--fused] --iters N --warmup W --json
         -> {"median_ms", "min_ms", "max_ms", "ops": [...]}
PyTorch: the same model from tools/nd_models.py, eval, torch.no_grad, batch 1, 224x224,
         torch.set_num_threads(threads), same warmup/iters.
ORT:     the same PyTorch model exported to ONNX (tools/export_onnx.py, opset 17), timed by
         tools/bench_ort.mjs with npm's onnxruntime-node from --ort-dir (install it there with
         `npm install --ignore-scripts onnxruntime-node@1.30.0`): session.run, 2 intra-op threads,
         all graph optimizations. Before timing, each exported model's logits are checked once
         against ours (`run --weights --input --dump-logits`, same weights and input): max|ours -
         ORT| / max|ORT| must be <= 1e-4, so both time the same computation. A fused model
         above its target (0.7x ORT for ParNet, 1.0x for the rest) gets one more, untimed ORT
         run with session profiling, whose per-node times the report sets against ours
         (tools/ort_profile.py).
For each model and form (unfused, fused) the three are run back to back, `rounds` times.
MACs are the CLI's (`info --json`, the form that ran); without the CLI they are counted with hooks
on the PyTorch model (Conv2d + Linear + VanillaNet's activation conv). GFLOP/s = 2 * MACs / median.
Writes the Markdown report (--out) and the raw numbers next to it (.json).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import export_onnx  # noqa: E402
import nd_models as nm  # noqa: E402
import ort_profile  # noqa: E402

ORT_RUNNER = os.path.join(TOOLS, 'bench_ort.mjs')
VERIFY_REL = 1e-4

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
    return run_json(cmd, timeout)


def run_json(cmd, timeout):
    """Runs cmd; its stdout's JSON object, or {'error': ...}. Always carries 'cmd'."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {'error': str(e), 'cmd': ' '.join(cmd)}
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


def run_ort(ort_dir, onnx, iters, warmup, threads, timeout, extra=()):
    cmd = ['node', ORT_RUNNER, '--ort-dir', ort_dir, '--model', onnx, '--iters', str(iters),
           '--warmup', str(warmup), '--threads', str(threads)] + list(extra)
    return run_json(cmd, timeout)


def info_macs(cli, name, fused, res):
    """MACs of the form that runs, as the CLI counts them (`info --json`); None on failure."""
    cmd = [cli, 'info', '--model', name, '--resolution', str(res), '--json']
    r = run_json(cmd + (['--fused'] if fused else []), 600)
    return r.get('macs') if 'error' not in r else None


def verify_ort(cli, ort_dir, files, name, fused, res, threads, timeout):
    """Ours and ORT on the same weights and input: {'max_rel': ..., 'ok': bool} or an error."""
    ours_y = files['onnx'] + '.ours.npy'
    ort_y = files['onnx'] + '.ort.bin'
    cmd = [cli, 'run', '--model', name, '--resolution', str(res), '--weights', files['weights'],
           '--input', files['input_npy'], '--dump-logits', ours_y, '--json']
    r = run_json(cmd + (['--fused'] if fused else []), timeout)
    if 'error' in r:
        return {'error': 'ours: ' + r['error']}
    o = run_ort(ort_dir, files['onnx'], 0, 0, threads, timeout,
                ['--input', files['input_bin'], '--dump', ort_y])
    if 'error' in o:
        return {'error': 'ORT: ' + o['error']}
    a = np.load(ours_y).astype(np.float64).ravel()
    b = np.fromfile(ort_y, '<f4').astype(np.float64)
    if a.shape != b.shape:
        return {'error': 'logit shapes differ: %s vs %s' % (a.shape, b.shape)}
    t = np.load(files['torch_logits']).astype(np.float64).ravel()
    rel = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
    rel_t = float(np.abs(b - t).max() / max(np.abs(t).max(), 1e-30))
    return {'max_rel': rel, 'ort_vs_torch_max_rel': rel_t, 'ok': rel <= VERIFY_REL}


def load_avg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def merge_runs(runs):
    """Median of the runs' medians (ours: one process per round) — min, max over all."""
    good = [r for r in runs if r and 'error' not in r]
    if not good:
        return runs[0] if runs else None
    out = dict(good[0])
    if len(good) > 1:
        out['median_ms'] = statistics.median(r['median_ms'] for r in good)
        out['min_ms'] = min(r['min_ms'] for r in good)
        out['max_ms'] = max(r['max_ms'] for r in good)
    return out


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
    """The k slowest ops of the CLI's per-op list, slowest first: dicts with ms, name, op,
    algo, gflops and roof_pct (this op's share of what the machine's roofline allows at its
    arithmetic intensity; None where the CLI gives none)."""
    rows = []
    for o in ours.get('ops') or []:
        if isinstance(o, dict) and isinstance(o.get('median_ms'), (int, float)):
            rows.append({'ms': o['median_ms'], 'name': str(o.get('name') or o.get('block') or '?'),
                         'op': str(o.get('op', '')), 'algo': o.get('algo'),
                         'gflops': o.get('gflops'), 'roof_pct': o.get('roof_pct')})
    rows.sort(key=lambda r: r['ms'], reverse=True)
    return rows[:k]


def roof_budget(ours):
    """(ms the ops took, ms they would take at the roof, ms in ops under half their roof):
    an op at p % of its roof would take p % of its time there. Ops without a roof figure
    (no FLOPs or bytes counted) count as at the roof."""
    took = at_roof = slow = 0.0
    for o in ours.get('ops') or []:
        if not isinstance(o, dict) or not isinstance(o.get('median_ms'), (int, float)):
            continue
        ms, pct = o['median_ms'], o.get('roof_pct')
        took += ms
        frac = min(pct, 100.0) / 100.0 if isinstance(pct, (int, float)) and pct > 0 else 1.0
        at_roof += ms * frac
        if frac < 0.5:
            slow += ms
    return took, at_roof, slow


def op_text(t):
    extra = [x for x in (t['op'], t['algo']) if x]
    if isinstance(t.get('gflops'), (int, float)) and t['gflops'] > 0:
        extra.append('%.0f GFLOP/s' % t['gflops'])
    if isinstance(t.get('roof_pct'), (int, float)) and t['roof_pct'] >= 0:
        extra.append('%.0f %% of roof' % t['roof_pct'])
    return '%s %.2f ms (%s)' % (t['name'], t['ms'], ', '.join(extra))


def target_ratio(model):
    """Issue 17's target for ours / ONNX Runtime, fused: 0.7 for ParNet, 1.0 for the rest."""
    return 0.7 if model.startswith('parnet') else 1.0


def misses_section(results):
    """For every fused model above its target against ONNX Runtime: how far from the roof its
    ops are, and its slowest ops with their algorithm and % of roof."""
    L = []
    for r in results:
        ours, ort = r.get('ours'), r.get('ort')
        if r['form'] != 'fused' or not _med(ours) or not _med(ort):
            continue
        ratio = ours['median_ms'] / ort['median_ms']
        if ratio <= target_ratio(r['model']):
            continue
        took, at_roof, slow = roof_budget(ours)
        roof = ours.get('roof') or {}
        if not L:
            L += ['', '## Models above their target against ONNX Runtime: the roof', '',
                  'Target: ours / ORT ≤ 0.7 for ParNet, ≤ 1.0 for the rest (fused). "At the '
                  'roof" sums each op\'s time scaled by its %% of the roofline that `nondeep-cli '
                  'bench` measures on this machine (peak %s GFLOP/s, %s GB/s); ops under 50 %% '
                  'of their roof are where the time is lost.' % (
                      fmt(roof.get('peak_gflops'), 0), fmt(roof.get('bandwidth_gbs'), 0)), '']
        L.append('- %s: ours / ORT %.2f (target %.1f); per-op sum %.1f ms, at the roof %.1f ms '
                 '(%.0f %%); %.1f ms in ops under half their roof. Slowest: %s' % (
                     r['model'], ratio, target_ratio(r['model']), took, at_roof,
                     100 * at_roof / took if took else 0, slow,
                     '; '.join(op_text(t) for t in top_ops(ours, 3))))
        prof = r.get('ort_profile')
        if prof and 'error' not in prof:
            L += ort_profile.report_lines(r['model'], prof)
    return L


def fmt(x, nd=1):
    return '–' if x is None else ('%.*f' % (nd, x))


def _med(r):
    return r.get('median_ms') if r and 'error' not in r else None


def _span(r):
    return '%s–%s' % (fmt(r.get('min_ms')), fmt(r.get('max_ms'))) if _med(r) else '–'


def layout_text(ours):
    """The CPU plan's activation layout and, when the prepare timed both, their times"""
    if not ours or not ours.get('layout'):
        return ''
    ms = ours.get('layout_ms')
    if not ms:
        return ours['layout']
    return '%s (%s / %s)' % (ours['layout'], fmt(ms['nchw'], 2), fmt(ms['nc16'], 2))


def results_table(results):
    L = ['## Results (milliseconds)', '',
         '| model | form | GMACs | ours median | ours min–max | ours layout | PyTorch median '
         '| PyTorch min–max | ORT median | ORT min–max | ours / PyTorch | ours / ORT '
         '| ours GFLOP/s | PyTorch GFLOP/s | ORT GFLOP/s |',
         '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in results:
        om, tm, xm = _med(r.get('ours')), _med(r['torch']), _med(r.get('ort'))
        gm = r['macs'] / 1e9

        def gf(ms):
            return fmt(2 * gm / ms * 1e3 if ms else None)
        L.append('| %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            r['model'], r['form'], gm, fmt(om), _span(r.get('ours')), layout_text(r.get('ours')),
            fmt(tm), _span(r['torch']),
            fmt(xm), _span(r.get('ort')), fmt(om / tm if om and tm else None, 2),
            fmt(om / xm if om and xm else None, 2), gf(om), gf(tm), gf(xm)))
    errs = [(who, r) for r in results for who in ('ours', 'ort')
            if r.get(who) and 'error' in r[who]]
    if errs:
        L += ['', 'Failed runs:', '']
        L += ['- %s %s (%s): `%s` — %s' % (r['model'], r['form'], who, r[who].get('cmd', ''),
                                           r[who]['error'].replace('\n', ' ')) for who, r in errs]
    checks = [r for r in results if r.get('ort_check')]
    if checks:
        L += ['', 'Same computation: logits of ours vs ONNX Runtime on the same weights and '
              'input (max|ours − ORT| / max|ORT|; ORT vs PyTorch in brackets): ' + '; '.join(
                  '%s %s %s' % (r['model'], r['form'], ('**failed**: ' + r['ort_check']['error'])
                                if 'error' in r['ort_check'] else '%.1e (%.1e)%s' % (
                      r['ort_check']['max_rel'], r['ort_check']['ort_vs_torch_max_rel'],
                      '' if r['ort_check']['ok'] else ' **over %g**' % VERIFY_REL))
                  for r in checks) + '.']
    return L


WINDOW_BEGIN = '<!-- window: tools/bench_window.py -->'
WINDOW_END = '<!-- /window -->'


def write_report(path, results, meta, half=()):
    L = ['# Benchmarks', '',
         'Generated by `tools/bench.py` on %s.' % meta['date'], '',
         '## Machine and versions', '',
         '- CPU: %s, %s logical CPUs, AVX-512F: %s; kernel %s' % (
             meta['machine']['cpu'], meta['machine'].get('logical_cpus', meta['machine']['cores']),
             'yes' if meta['machine']['avx512f'] else 'no', meta['machine']['kernel']),
         '- ' + ', '.join('%s %s' % kv for kv in meta['versions'].items()),
         '- Batch 1, %dx%d, float32, %d threads for PyTorch (`torch.set_num_threads`), '
         'warmup %d, iters %d, rounds %d; ours, PyTorch%s alternate per model and form.' % (
             meta['res'], meta['res'], meta['threads'], meta['warmup'], meta['iters'],
             meta['rounds'], ' and ONNX Runtime' if meta.get('ort') else ''),
         '- Unfused = training form (all branches, BN); fused = re-parameterized / deploy form '
         '(ResNet: BN folded; VGG-16 has one form).',
         '- GFLOP/s = 2 x MACs / median time. MACs are `nondeep-cli info --json`\'s for the form '
         'that ran (without the CLI: PyTorch hooks on Conv2d, Linear and VanillaNet\'s '
         'depthwise activation convs).',
         '- Ours layout: the CPU plan\'s activations in NCHW (`nchw`) or channel-blocked '
         '(`nc16`), as its prepare chose by timing both (five neighbouring pairs of runs; the '
         'fastest NCHW / blocked run in ms in brackets; `bench --json`\'s `layout`, `layout_ms`), or untimed where '
         'the graph has no blocked region. The choice is remembered in '
         '`~/.cache/nondeep/cpu-layout.ini`; this run started without one.',
         '- Load average (1 min) %s at the start, %s at the end.' % (
             fmt(meta.get('load_avg_start'), 2), fmt(meta.get('load_avg_end'), 2))]
    if meta.get('ort'):
        L += ['- ONNX Runtime: npm\'s `onnxruntime-node` (CPU, MLAS), `tools/bench_ort.mjs`: '
              'session.run, %d intra-op threads, graphOptimizationLevel all; the models are '
              'exported from `tools/nd_models.py` by `tools/export_onnx.py` (opset %s; unfused = '
              'training form in eval mode, fused = deploy form), run in the same alternating '
              'round as ours and PyTorch. Each exported model\'s logits were checked once '
              'against ours on the same weights and input (max|ours − ORT| / max|ORT| ≤ %g).'
              % (meta['threads'], meta['versions'].get('onnx opset', '?'), VERIFY_REL)]
    L.append('')
    if meta['torch_only']:
        L += ['**PyTorch only** (`--torch-only`): the nondeep-cli columns are empty.', '']
    L += results_table(results)
    ops = [(r, top_ops(r['ours'])) for r in results if r.get('ours') and 'error' not in r['ours']]
    if any(t for _, t in ops):
        L += ['', '## Slowest ops (ours, from the CLI\'s per-op list)', '']
        for r, t in ops:
            if t:
                L.append('- %s %s: ' % (r['model'], r['form']) + '; '.join(op_text(x) for x in t))
    L += misses_section(results)
    if half:
        L += half_table(half)
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


def parse_args():
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
    ap.add_argument('--ort-dir', default=os.path.join(TOOLS, '..', 'build', 'bench-ort'),
                    help='folder with node_modules/onnxruntime-node (default build/bench-ort)')
    ap.add_argument('--onnx-dir', help='where exported models go (default ORT_DIR/models)')
    ap.add_argument('--no-ort', action='store_true', help='leave ONNX Runtime out')
    ap.add_argument('--half-models', default='vgg-16,repvgg-b1',
                    help='ours with --weights-precision fp32/bf16/fp16 on these ("" for none)')
    ap.add_argument('--half-only', action='store_true', help='only the --half-models section')
    ap.add_argument('--out', default=os.path.join(TOOLS, '..', 'BENCHMARKS.md'))
    a = ap.parse_args()
    if a.quick:
        a.iters, a.warmup = 5, 1
    if not a.torch_only and not (a.cli and os.access(a.cli, os.X_OK)):
        ap.error('--cli PATH is required (or --torch-only)')
    a.ort = not a.no_ort and not a.torch_only
    if a.ort and not os.path.isdir(os.path.join(a.ort_dir, 'node_modules', 'onnxruntime-node')):
        ap.error('no onnxruntime-node in %s: `mkdir -p %s && cd %s && npm install '
                 '--ignore-scripts onnxruntime-node@1.30.0`, or --no-ort' % ((a.ort_dir,) * 3))
    a.onnx_dir = a.onnx_dir or os.path.join(a.ort_dir, 'models')
    return a


def bench_one(a, name, form):
    """One model and form: MACs, the ORT check, then `rounds` alternating rounds."""
    fused = form == 'fused'
    model = torch_model(name, fused, a.resolution)
    macs_hooks = count_macs(model, a.resolution)
    macs = (info_macs(a.cli, name, fused, a.resolution) if not a.torch_only else None)
    rec = {'model': name, 'form': form, 'macs': macs or macs_hooks,
           'macs_source': 'nondeep-cli info' if macs else 'PyTorch hooks',
           'macs_torch_hooks': macs_hooks}
    files = None
    if a.ort:
        base = nm.init_random(nm.build(name, resolution=a.resolution), seed=1).eval()
        files = export_onnx.export(name, form, a.onnx_dir, a.resolution, seed=1, model=base)
        del base
        rec['onnx'] = os.path.relpath(files['onnx'])
        rec['ort_check'] = verify_ort(a.cli, a.ort_dir, files, name, fused, a.resolution,
                                      a.threads, a.timeout)
    ours_runs, torch_runs, ort_runs = [], [], []
    for _ in range(a.rounds):
        if not a.torch_only:
            ours_runs.append(run_ours(a.cli, name, fused, a.resolution, a.iters, a.warmup,
                                      a.threads, a.timeout))
        torch_runs.append(time_torch(model, a.resolution, a.iters, a.warmup))
        if files:
            ort_runs.append(run_ort(a.ort_dir, files['onnx'], a.iters, a.warmup, a.threads,
                                    a.timeout))
    tr = dict(torch_runs[0])
    if a.rounds > 1:
        allt = [s for r in torch_runs for s in r['samples_ms']]
        tr = {'median_ms': statistics.median(allt), 'min_ms': min(allt),
              'max_ms': max(allt), 'samples_ms': allt}
    rec.update(torch=tr, ours=merge_runs(ours_runs), ort=merge_runs(ort_runs))
    if files and fused and _med(rec['ours']) and _med(rec['ort']) \
            and rec['ours']['median_ms'] / rec['ort']['median_ms'] > target_ratio(name):
        rec['ort_profile'] = profile_ort(a, files, name, form, rec['ours'])
    return rec


def profile_ort(a, files, name, form, ours):
    """A model that misses its target: one more ORT run, with session profiling on (not
    timed: profiling slows it), its per-node times matched to ours (tools/ort_profile.py)."""
    prefix = os.path.join(a.onnx_dir, 'profile', '%s-%s-' % (name, form))
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    for old in glob.glob(prefix + '*.json'):
        os.remove(old)
    r = run_ort(a.ort_dir, files['onnx'], a.iters, a.warmup, a.threads, a.timeout,
                ['--profile', prefix])
    nodes = ort_profile.load(prefix, a.iters) if 'error' not in r else None
    if not nodes:
        return {'error': r.get('error', 'no ORT profile written')}
    return ort_profile.compare(ours, nodes)


HALF = ('fp32', 'bf16', 'fp16')


def bench_half(a, name):
    """Ours with --weights-precision fp32 / bf16 / fp16, alternating, `rounds` times."""
    fused = name != 'vgg-16'
    runs = {p: [] for p in HALF}
    # one layout for the three precisions (each is its own graph to the layout timing, which
    # could otherwise pick differently and blur the weights' effect): NCHW
    os.environ['ND_CPU_LAYOUT'] = 'nchw'
    for _ in range(a.rounds):
        for p in HALF:
            runs[p].append(run_ours(a.cli, name, fused, a.resolution, a.iters, a.warmup,
                                    a.threads, a.timeout, ['--weights-precision', p]))
    del os.environ['ND_CPU_LAYOUT']
    rec = {'model': name, 'form': 'fused' if fused else 'unfused'}
    rec.update((p, merge_runs(runs[p])) for p in HALF)
    half_ops = {o.get('name') for o in (rec['bf16'] or {}).get('ops') or []
                if str(o.get('algo', '')).startswith('gemv-')}
    rec['half_ops'] = sorted(n for n in half_ops if n)
    for p in HALF:
        ops = (rec[p] or {}).get('ops') or []
        rec[p + '_half_ops_ms'] = sum(o.get('median_ms') or 0 for o in ops
                                      if o.get('name') in half_ops) if ops else None
    print('%-13s 16-bit weights: %s' % (name, '  '.join(
        '%s %s ms' % (p, fmt(_med(rec[p]), 2)) for p in HALF)))
    sys.stdout.flush()
    return rec


def half_table(half):
    L = ['', '## 16-bit weights on the CPU (`--weights-precision`)', '',
         'Ours only, `bench --weights-precision P`, P alternating per round. The 16-bit layers '
         '(linear layers and 1×1 convolutions of a 1×1 map, `nd-cpu-half.c`) are memory-bound '
         'at batch 1; every other layer stays float32. "16-bit layers ms" sums the per-op '
         'medians of those layers (`gemv-bf16` / `gemv-fp16` in the per-op list). All three '
         'run the NCHW layout (`ND_CPU_LAYOUT=nchw`), so only the weights differ.', '',
         '| model | form | fp32 ms | bf16 ms | fp16 ms | bf16 / fp32 | fp16 / fp32 | 16-bit layers '
         '| their ms fp32 | bf16 | fp16 |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in half:
        f, b, h = _med(r['fp32']), _med(r['bf16']), _med(r['fp16'])
        L.append('| %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s |' % (
            r['model'], r['form'], fmt(f), fmt(b), fmt(h), fmt(b / f if b and f else None, 2),
            fmt(h / f if h and f else None, 2), len(r['half_ops']),
            fmt(r['fp32_half_ops_ms'], 2), fmt(r['bf16_half_ops_ms'], 2),
            fmt(r['fp16_half_ops_ms'], 2)))
    return L


def show(rec):
    def ms(r):
        return '-' if not r else r.get('error', '%.2f ms' % r.get('median_ms', -1))[:60]
    chk = rec.get('ort_check') or {}
    print('%-13s %-7s %6.3f GMACs  torch %8.2f ms  ours %s  ORT %s%s' % (
        rec['model'], rec['form'], rec['macs'] / 1e9, rec['torch']['median_ms'], ms(rec['ours']),
        ms(rec.get('ort')), '' if not chk else '  check %s' % (
            chk.get('error', '')[:80] or 'max rel %.1e' % chk['max_rel'])))
    sys.stdout.flush()


def main():
    a = parse_args()
    models = a.models.split(',') if a.models else (QUICK_MODELS if a.quick else DEFAULT_MODELS)
    models = [] if a.half_only else [nm.canonical_name(m) for m in models]
    forms = [f.strip() for f in a.forms.split(',')]
    torch.set_num_threads(a.threads)
    # a fresh cache for the CPU layout verdicts: each model and form times its layout at its
    # first prepare of this run, and every later round reuses that verdict
    os.environ['XDG_CACHE_HOME'] = tempfile.mkdtemp(prefix='nd-bench-cache-')
    load0, results = load_avg(), []
    for name in models:
        for form in forms:
            if name == 'vgg-16' and form == 'fused' and 'unfused' in forms:
                continue   # one form: measured once
            rec = bench_one(a, name, form)
            results.append(rec)
            show(rec)
    half = [bench_half(a, nm.canonical_name(m)) for m in a.half_models.split(',')
            if m and not a.torch_only]
    meta = {'date': datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC'),
            'machine': machine(), 'versions': versions(None if a.torch_only else a.cli),
            'res': a.resolution, 'threads': a.threads, 'iters': a.iters, 'warmup': a.warmup,
            'rounds': a.rounds, 'torch_only': a.torch_only, 'ort': a.ort,
            'load_avg_start': load0, 'load_avg_end': load_avg()}
    if a.ort:
        meta['versions']['onnxruntime-node'] = next(
            (r['ort'].get('ort_version') for r in results
             if r.get('ort') and 'error' not in r['ort']), '?')
        meta['versions']['onnx opset'] = export_onnx.OPSET
    out = os.path.abspath(a.out)
    write_report(out, results, meta, half)
    with open(os.path.splitext(out)[0] + '.json', 'w') as f:
        json.dump({'meta': meta, 'results': results, 'weights_precision': half}, f, indent=1)
    print('wrote %s (load average %s at the start, %s at the end)' % (
        out, fmt(load0, 2), fmt(meta['load_avg_end'], 2)))
    bad = [r for r in results if (r['ours'] and 'error' in r['ours']) or
           (r.get('ort') and 'error' in r['ort']) or
           (r.get('ort_check') and not r['ort_check'].get('ok'))]
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
