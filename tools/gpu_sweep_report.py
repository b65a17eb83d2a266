#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads the tile sweep of tools/gpu_session.sh and says which configuration wins where.

    gpu_sweep_report.py sweep.tar.gz|DIR

The sweep holds one `nondeep-cli bench --json` per model and configuration, named
MODEL.CONFIG.json (CONFIG: auto, ND_VK_TILE=…, ND_VK_WINOGRAD=…). Prints, per model, each
configuration's median latency and per-op GPU sum against auto; then, per op of the auto plan
(by name), the configuration with the lowest per-op time and how much it saves, grouped by the
op's algorithm and GEMM-ish shape class, so that the rules in nd-vk-ops.c (pick_tile,
use_winograd) can be set from measurements.
"""
import collections
import json
import os
import sys
import tarfile
import tempfile


def load(path):
    runs = collections.defaultdict(dict)
    if os.path.isdir(path):
        root = path
    else:
        root = tempfile.mkdtemp(prefix='sweep-')
        with tarfile.open(path) as t:
            t.extractall(root)
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith('.json') or f.count('.') < 2:
                continue
            model, config = f[:-5].split('.', 1)
            try:
                with open(os.path.join(dirpath, f)) as fh:
                    runs[model][config] = json.load(fh)
            except (OSError, ValueError):
                pass   # a failed run left its error text: the session log says why
    return runs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = load(sys.argv[1])
    wins = collections.defaultdict(lambda: collections.Counter())
    saved = collections.defaultdict(float)
    for model in sorted(runs):
        configs = runs[model]
        base = configs.get('auto')
        if base is None or 'median_ms' not in base:
            print('%s: no auto run' % model)
            continue
        print('\n%s: auto %.3f ms (op sum %.3f)' % (model, base['median_ms'], base['op_sum_ms']))
        for c, r in sorted(configs.items()):
            if c != 'auto' and 'median_ms' in r:
                print('  %-26s %.3f ms (%.2f×)  op sum %.3f' % (
                    c, r['median_ms'], r['median_ms'] / base['median_ms'], r['op_sum_ms']))
        by_name = {c: {o.get('name') or o.get('id'): o for o in r.get('ops', [])}
                   for c, r in configs.items() if 'ops' in r}
        for op in base.get('ops', []):
            name = op.get('name') or op.get('id')
            if not op.get('median_ms'):
                continue
            best, best_ms = 'auto', op['median_ms']
            for c, ops in by_name.items():
                o = ops.get(name)
                if o and o.get('median_ms') and o['median_ms'] < best_ms:
                    best, best_ms = c, o['median_ms']
            key = op.get('algo', '?')
            wins[key][best] += 1
            saved[(key, best)] += op['median_ms'] - best_ms
    print('\nPer algorithm of the auto plan: which configuration ran each op fastest '
          '(count, ms saved in all against auto):')
    for algo in sorted(wins):
        print('  %-26s %s' % (algo, ', '.join(
            '%s %d (%.3f ms)' % (c, n, saved[(algo, c)]) for c, n in wins[algo].most_common())))


if __name__ == '__main__':
    main()
