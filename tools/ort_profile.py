# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX Runtime's per-node times next to ours, for tools/bench.py's report on the models that
miss their target: where, op by op, ORT is faster.

ORT's session profiling (tools/bench_ort.mjs --profile) writes a Chrome trace with one
"<node>_kernel_time" event per node and run, with the node's op type and its logical input and
output shapes. Convolutions are matched to ours by their input and output shapes and MACs
(ours: the CLI's per-op "in_shape", "out_shape" and "macs"; ORT's: from the input, weight and
output shapes), the first free one in graph order; the rest is compared by class (pools, other). Benchmark only: nothing
of it is in the product or its tests.
"""
import collections
import glob
import json
import os
import statistics

CONV_OPS = ('Conv', 'FusedConv')
POOL_OPS = ('MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool')
LINEAR_OPS = ('Gemm', 'MatMul', 'FusedGemm', 'FusedMatMul')


def _shape(d):
    return list(d.values())[0] if isinstance(d, dict) and d else []


def load(prefix, iters):
    """The newest trace at @prefix*.json as a list of nodes in graph order: dicts with name, op,
    ms (median over the last @iters runs), macs (convolutions), kind ('1x1', 'kxk',
    'depthwise', 'pool', 'linear', 'other') and desc (weight → output shape)."""
    files = sorted(glob.glob(prefix + '*.json'), key=os.path.getmtime)
    if not files:
        return None
    with open(files[-1]) as f:
        trace = json.load(f)
    times, info, order = collections.defaultdict(list), {}, []
    for e in trace:
        if e.get('cat') != 'Node' or not e.get('name', '').endswith('_kernel_time'):
            continue
        name = e['name'][:-len('_kernel_time')]
        if name not in info:
            order.append(name)
            info[name] = e.get('args', {})
        times[name].append(e.get('dur', 0) / 1000.0)
    nodes = []
    for name in order:
        a = info[name]
        op = a.get('op_name', '?')
        ins = [_shape(x) for x in a.get('input_type_shape', [])]
        outs = [_shape(x) for x in a.get('output_type_shape', [])]
        n = {'name': name, 'op': op, 'ms': statistics.median(times[name][-iters:]),
             'macs': None, 'kind': 'other', 'desc': '', 'out': outs[0][1:] if outs else [],
             'in': ins[0][1:] if ins else []}
        if op in CONV_OPS and len(ins) >= 2 and len(ins[1]) == 4 and outs and len(outs[0]) == 4:
            w, y, cin = ins[1], outs[0], ins[0][1] if len(ins[0]) > 1 else 0
            n['macs'] = w[0] * w[1] * w[2] * w[3] * y[2] * y[3]
            n['kind'] = ('depthwise' if w[1] == 1 and cin > 1 and w[0] == cin
                         else '1x1' if w[2] == 1 and w[3] == 1 else 'kxk')
            groups = cin // w[1] if w[1] and cin % w[1] == 0 else 1
            n['desc'] = '%dx%d %d→%d%s on %dx%d' % (w[2], w[3], cin, w[0],
                                                    ' g%d' % groups if 1 < groups < cin else '',
                                                    y[2], y[3])
        elif op in POOL_OPS:
            n['kind'] = 'pool'
        elif op in LINEAR_OPS:
            n['kind'] = 'linear'
        nodes.append(n)
    return nodes


def _blocked(shape):
    """[C, H, W] with C rounded up to a multiple of 16, or None"""
    if not shape or len(shape) != 3:
        return None
    return [(shape[0] + 15) // 16 * 16, shape[1], shape[2]]


def _our_kind(o):
    op, algo = str(o.get('op', '')), str(o.get('algo', ''))
    if op == 'conv2d':
        return ('depthwise' if algo.startswith(('dw', 'nc16-dw'))
                else '1x1' if algo in ('gemm-1x1', 'nc16-1x1') else 'kxk')
    if 'pool' in op:
        return 'pool'
    return 'linear' if op == 'linear' else 'other'


def compare(ours, nodes):
    """Ours (the CLI's bench JSON) against ORT's @nodes: {'classes': [(kind, ours ms, ORT ms)],
    'convs': [(our op name, ORT desc, ours ms, ORT ms)] for the matched convolutions, slowest
    gap first, 'unmatched': how many of our convolutions found no ORT node}."""
    by_kind = collections.OrderedDict((k, [0.0, 0.0]) for k in
                                      ('1x1', 'kxk', 'depthwise', 'linear', 'pool', 'other'))
    free = [n for n in nodes if n['macs']]
    pairs, unmatched = [], 0
    for o in ours.get('ops') or []:
        ms = o.get('median_ms')
        if not isinstance(ms, (int, float)):
            continue
        kind = _our_kind(o)
        by_kind[kind][0] += ms
        macs = o.get('macs')
        if o.get('op') != 'conv2d' or not macs:
            continue
        hit = next((n for n in free if abs(n['macs'] / macs - 1) < 0.02
                    and list(n['out']) == list(o.get('out_shape') or n['out'])
                    and list(n['in']) == list(o.get('in_shape') or n['in'])), None)
        if hit is None:
            # ORT pads channels to its 16-channel blocks (ParNet-S's 92 → 96, a 1000-class
            # head → 1008): the same shapes up to that
            hit = next((n for n in free if _blocked(n['out']) == _blocked(o.get('out_shape'))
                        and _blocked(n['in']) == _blocked(o.get('in_shape'))), None)
        if hit is None:
            unmatched += 1
            continue
        free.remove(hit)
        pairs.append((str(o.get('name') or o.get('block') or '?'), hit['desc'], ms, hit['ms']))
    for n in nodes:
        by_kind[n['kind']][1] += n['ms']
    pairs.sort(key=lambda p: p[2] - p[3], reverse=True)
    return {'classes': [(k, v[0], v[1]) for k, v in by_kind.items() if v[0] or v[1]],
            'convs': pairs, 'unmatched': unmatched}


def report_lines(model, cmp, k=3):
    """Markdown lines for one model's comparison."""
    L = ['  - per class, ours / ORT ms (ORT\'s session profile, 2 threads, median per node): ' +
         '; '.join('%s %.1f / %.1f' % c for c in cmp['classes'])]
    worst = [p for p in cmp['convs'][:k] if p[2] > p[3]]
    if worst:
        L.append('  - convolutions where ORT is furthest ahead: ' + '; '.join(
            '%s (%s) %.2f vs %.2f ms' % p for p in worst))
    if cmp['unmatched']:
        L.append('  - %d of our convolutions matched no ORT node (by shapes and MACs)'
                 % cmp['unmatched'])
    return L
