#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPU latency: nondeep-cli's Vulkan backend vs PyTorch CUDA, same GPU, same run.

    bench_gpu.py --cli build/app/cli/nondeep-cli [--models parnet-s,...] [--iters 50]
                 [--warmup 10] [--device N] [--fp16] [--no-graph] [--compile] [--out DIR]

For each model and form, alternating: ours = `nondeep-cli bench --backend vulkan --json`
(median wall time of upload + one command buffer + download; per-op GPU times come from a
second, timestamped plan in which every dispatch is fenced by barriers), then PyTorch
(tools/nd_models.py, eval, no_grad, batch 1, 224x224) timed the same way: host tensor ->
.cuda() -> model -> .cpu(), wall clock, median. PyTorch runs twice: strict fp32
(TF32 off for cuDNN and matmul) and PyTorch's defaults (cuDNN may use TF32); then both again
with the model captured once in a CUDA graph (torch.cuda.CUDAGraph: the input copied from
pinned host memory into the graph's static input, one replay, the logits copied back), which
removes the per-kernel launch cost that bounds eager PyTorch at batch 1; with --compile also
torch.compile(mode="max-autotune") (minutes of autotuning per model). Ratios are to the
fastest of these PyTorch variants; "% roof" is 2·MACs per second against the float32 FMA
peak that `bench` measured on the device (roof.peak_gflops).
With --fp16, ours also runs with float16 storage (`--fp16`; arithmetic stays fp32) in the
same alternation, as an extra column.
Writes DIR/BENCHMARKS-gpu.md and DIR/BENCHMARKS-gpu.json, and ParNet-S's per-stream
timeline (serialised per-op GPU times, grouped by stream) into the Markdown.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import nd_models as nm  # noqa: E402

MODELS = ['parnet-s', 'parnet-m', 'repvgg-b1', 'vanillanet-9', 'resnet-50']


def time_torch_cuda(model, res, iters, warmup, tf32, dev='cuda'):
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    x = torch.randn(1, 3, res, res)
    ts = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x.to(dev)).cpu()
        if dev == 'cuda':
            torch.cuda.synchronize()
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x.to(dev)).cpu()
            ts.append((time.perf_counter() - t0) * 1e3)
    return {'median_ms': statistics.median(ts), 'min_ms': min(ts), 'max_ms': max(ts)}


def time_torch_graph(model, res, iters, warmup, tf32):
    """The same forward replayed from a CUDA graph; upload from pinned memory, logits back."""
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    x = torch.randn(1, 3, res, res).pin_memory()
    xs = torch.empty(1, 3, res, res, device='cuda')
    ts = []
    with torch.no_grad():
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up off the default stream, as capture needs
            for _ in range(3):
                model(xs)
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            ys = model(xs)
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            xs.copy_(x, non_blocking=True)
            g.replay()
            ys.cpu()
            if i >= warmup:
                ts.append((time.perf_counter() - t0) * 1e3)
    return {'median_ms': statistics.median(ts), 'min_ms': min(ts), 'max_ms': max(ts)}


def time_torch_compiled(model, res, iters, warmup):
    """torch.compile(mode="max-autotune") (TF32 allowed, as PyTorch's default for convs)."""
    try:
        t0 = time.perf_counter()
        cm = torch.compile(model, mode='max-autotune')
        with torch.no_grad():
            cm(torch.randn(1, 3, res, res, device='cuda'))
        build_s = time.perf_counter() - t0
        r = time_torch_cuda(cm, res, iters, warmup, True)
        r['compile_s'] = build_s
        return r
    except Exception as e:  # an old PyTorch, no Triton, a failed compile: said, not hidden
        return {'error': '%s: %s' % (type(e).__name__, str(e)[:300])}


def torch_variants(r):
    """(label, result) of every PyTorch variant timed for a row."""
    return [(k, r[k]) for k in ('torch_fp32', 'torch_default', 'graph_fp32', 'graph_default',
                                'compiled') if k in r and 'error' not in r[k]]


def timeline(ours):
    """ParNet's serialised per-op GPU times as rows (stream, start_ms, end_ms, name)."""
    rows, t = [], 0.0
    for o in ours.get('ops', []):
        if o.get('median_ms', 0) <= 0:
            continue
        rows.append((o.get('stream', -1), t, t + o['median_ms'], o.get('name') or o.get('block')))
        t += o['median_ms']
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cli', required=True)
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--forms', default='unfused,fused')
    ap.add_argument('--iters', type=int, default=50)
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--resolution', type=int, default=224)
    ap.add_argument('--device', type=int)
    ap.add_argument('--timeout', type=int, default=300)
    ap.add_argument('--out', default='.')
    ap.add_argument('--torch-device', default='cuda', help='cpu: a dry run of this script')
    ap.add_argument('--fp16', action='store_true', help='also time ours with --fp16 storage')
    ap.add_argument('--no-graph', action='store_true', help='skip the CUDA-graph anchors')
    ap.add_argument('--tune', action='store_true',
                    help="ours with --tune: each convolution's kernel variants timed on the "
                         'device first (remembered; the rows say how many differ from the rules)')
    ap.add_argument('--compile', action='store_true',
                    help='also torch.compile(mode="max-autotune") (slow to build)')
    a = ap.parse_args()
    graphs = not a.no_graph and a.torch_device == 'cuda'
    extra = ['--backend', 'vulkan'] + (['--device', str(a.device)] if a.device is not None else []) \
        + (['--tune'] if a.tune else [])
    dev = subprocess.run([a.cli, 'devices', '--json'], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode(errors='replace')
    print(dev)
    tdev = a.torch_device
    gpu = torch.cuda.get_device_name(0) if tdev == 'cuda' else tdev
    results = []
    for name in [nm.canonical_name(m) for m in a.models.split(',')]:
        for form in a.forms.split(','):
            fused = form == 'fused'
            model = bench.torch_model(name, fused, a.resolution)
            macs = bench.count_macs(model, a.resolution)
            model = model.to(tdev)
            ours = bench.run_ours(a.cli, name, fused, a.resolution, a.iters, a.warmup, 0,
                                  a.timeout, extra)
            ours16 = (bench.run_ours(a.cli, name, fused, a.resolution, a.iters, a.warmup, 0,
                                     a.timeout, extra + ['--fp16']) if a.fp16 else None)
            strict = time_torch_cuda(model, a.resolution, a.iters, a.warmup, False, tdev)
            tf32 = time_torch_cuda(model, a.resolution, a.iters, a.warmup, True, tdev)
            rec = {'model': name, 'form': form, 'macs': macs, 'ours': ours,
                   'torch_fp32': strict, 'torch_default': tf32}
            if graphs:
                rec['graph_fp32'] = time_torch_graph(model, a.resolution, a.iters, a.warmup, False)
                rec['graph_default'] = time_torch_graph(model, a.resolution, a.iters, a.warmup,
                                                        True)
            if a.compile and tdev == 'cuda':
                rec['compiled'] = time_torch_compiled(model, a.resolution, a.iters, a.warmup)
            if ours16 is not None:
                rec['ours_fp16'] = ours16
            results.append(rec)
            print('%-13s %-7s ours %s  torch %s' % (
                name, form, ours.get('error', '%.3f ms (ops sum %.3f)' % (
                    ours.get('median_ms', -1), ours.get('op_sum_ms', -1))),
                '  '.join('%s %.3f' % (k, v['median_ms']) for k, v in torch_variants(rec))))
            sys.stdout.flush()
            del model
            if tdev == 'cuda':
                torch.cuda.empty_cache()

    L = ['# GPU benchmarks', '',
         'Generated by `tools/bench_gpu.py` on %s, GPU: %s; torch %s (CUDA %s, cuDNN %s).' % (
             datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), gpu, torch.__version__,
             torch.version.cuda, torch.backends.cudnn.version()), '',
         'Batch 1, %dx%d, float32, warmup %d, iters %d, wall clock per inference including the '
         'input upload and the logits download, median. Ours: `nondeep-cli bench --backend '
         'vulkan`, with the compute dispatches and barriers one run records (and, where the '
         "device's kernel verdicts of `--tune` chose other kernels than the rules for some "
         'convolutions, how many: "tuned N"; prepare excludes the tuning). PyTorch: eager and '
         'CUDA-graph replay, each strict fp32 (TF32 off) and with '
         "PyTorch's defaults (cuDNN TF32 on); `compiled` is torch.compile max-autotune." % (
             a.resolution, a.resolution, a.warmup, a.iters), '',
         '| model | form | GMACs | ours ms | ours op-sum ms | dispatches / barriers | % fp32 roof | prepare (cold) ms | '
         'PyTorch fp32 ms | PyTorch default ms | graph fp32 ms | graph default ms | '
         'compiled ms | best PyTorch | ours / best |'
         + (' ours fp16-storage ms |' if a.fp16 else ''),
         '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|'
         + ('---:|' if a.fp16 else '')]
    for r in results:
        o = r['ours']
        om = o.get('median_ms') if 'error' not in o else None
        peak = (o.get('roof') or {}).get('peak_gflops')
        roof = 100.0 * 2 * r['macs'] / (om * 1e6) / peak if om and peak else None
        best = min(torch_variants(r), key=lambda kv: kv[1]['median_ms'])
        r['best_torch'] = best[0]

        def ms(k):
            return bench.fmt(r[k]['median_ms'], 3) if k in r and 'error' not in r[k] else '–'
        L.append('| %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            r['model'], r['form'], r['macs'] / 1e9, bench.fmt(om, 3),
            bench.fmt(o.get('op_sum_ms'), 3),
            ('%s / %s' % (o['dispatches'], o['barriers']) if o.get('dispatches') else '–')
            + (', tuned %d' % o['tuned_ops'] if o.get('tuned_ops') else ''),
            bench.fmt(roof, 1),
            bench.fmt(o['prepare_ms'] - (o.get('tune_ms') or 0) if 'prepare_ms' in o else None, 0), ms('torch_fp32'), ms('torch_default'),
            ms('graph_fp32'), ms('graph_default'), ms('compiled'), best[0],
            bench.fmt(om / best[1]['median_ms'] if om else None, 2))
            + (' %s |' % bench.fmt(r['ours_fp16'].get('median_ms'), 3) if 'ours_fp16' in r
               and 'error' not in r['ours_fp16'] else (' – |' if a.fp16 else '')))
    peaks = [r['ours']['roof'] for r in results if (r['ours'].get('roof') or {}).get('peak_gflops')]
    if peaks:
        L.append('\nfloat32 roof: %.1f TFLOP/s (%s, measured by `bench` on the device).' % (
            statistics.median(p['peak_gflops'] for p in peaks) / 1e3, peaks[0].get('peak_source')))
    for r in results:
        if 'error' in r.get('compiled', {}):
            L.append('\n- torch.compile failed: %s %s: %s' % (r['model'], r['form'],
                                                              r['compiled']['error']))
    fixed = [r['ours'] for r in results if 'fixed_us' in r['ours']]
    if fixed:
        # one tiny op (upload, submit, wait, readback), measured by each bench run
        L.append('\nFixed cost per run (`fixed_us`, median over the runs): %.1f µs; matmul: %s.' % (
            statistics.median(o['fixed_us'] for o in fixed), fixed[0].get('matmul', '?')))
    errs = [r for r in results if 'error' in r['ours']]
    for r in errs:
        L.append('\n- failed: %s %s: %s' % (r['model'], r['form'], r['ours']['error']))
    for r in results:
        if r['model'] != 'parnet-s' or 'error' in r['ours']:
            continue
        o = r['ours']
        L += ['', '## ParNet-S %s: per-stream GPU time' % r['form'], '',
              'Per-op GPU timestamps with a barrier around each dispatch (streams serialised); '
              'sum %.3f ms against %.3f ms wall for the overlapped plan.' % (
                  o.get('op_sum_ms', 0), o['median_ms']), '',
              '| stream | GPU ms |', '|---|---:|']
        L += ['| %s | %.3f |' % ('shared' if s['stream'] < 0 else s['stream'], s['ms'])
              for s in o.get('streams', [])]
        L += ['', 'Timeline (serialised, ms from the first dispatch; one row per op):', '',
              '```', '%-7s %9s %9s  %s' % ('stream', 'start', 'end', 'op')]
        L += ['%-7s %9.3f %9.3f  %s' % ('shared' if st < 0 else st, t0, t1, nm_)
              for st, t0, t1, nm_ in timeline(o)]
        L.append('```')
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, 'BENCHMARKS-gpu.md'), 'w') as f:
        f.write('\n'.join(L) + '\n')
    with open(os.path.join(a.out, 'BENCHMARKS-gpu.json'), 'w') as f:
        json.dump({'gpu': gpu, 'devices': dev, 'results': results}, f, indent=1)
    print('\n'.join(L[:20 + len(results)]))
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main())
