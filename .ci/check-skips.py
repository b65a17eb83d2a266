#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CI gate on skips: a green `meson test` is not enough when a test skipped what it exists
to check (no Vulkan device, no torch, no dataset) and still counted as OK.

    .ci/check-skips.py build/meson-logs/testlog.json [--suites runtime,vulkan,...]

Reads meson's testlog.json and fails (exit 1) on
  - a test meson reports as SKIP (exit 77, "1..0 # SKIP"),
  - a TAP subtest "ok N ... # SKIP reason" (g_test_skip, the Python drivers),
  - a TAP diagnostic that says it skipped something ("# ... skipped") — an early "ok",
  - a suite named in --suites with no test that ran (a configure-time skip: no Vulkan, no GUI),
unless ALLOW below names the test and the reason (each entry says why CI expects it), and on an
ALLOW entry whose test ran without that skip (a stale entry would hide the next one).
"""
import argparse
import json
import re
import sys

# (test name regex, skip line regex, why CI expects this skip). Keep it short.
ALLOW = [
    # The configuration matrix reruns the backend-ops table on the CPU alone (no packed GEMM,
    # 1 thread, 3 threads); its Vulkan half runs once, in backend-ops itself.
    (r'/ backend-ops-(no-packed-gemm|1-thread|3-threads)$',
     r'/backend-ops/vulkan/present # SKIP ND_TEST_BACKENDS=cpu$',
     'CPU-only configuration reruns of the backend table'),
    # The float16 cooperative-matrix kernel needs a GPU that has them and passed the kernel's
    # self-test (issue 18); CI's lavapipe has no such extension, so its fallback is tested.
    (r'/ vulkan-plan$',
     r'/vulkan/coopmat # SKIP no float16 cooperative matrices here: float32 \(no VK_NV_coop',
     'lavapipe has no cooperative matrices'),
]

SKIP_TAP = re.compile(r'^\s*ok\b.*#\s*skip\b', re.I)
SKIP_PLAN = re.compile(r'^\s*1\.\.0\b.*#\s*skip', re.I)
SKIP_NOTE = re.compile(r'^\s*#.*\bskip(ped|ping)?\b', re.I)


def suite_of(name):
    # "project:suite / test" (meson ≥ 0.57 prefixes the project name)
    head = name.split(' / ')[0]
    return head.split(':')[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('testlog')
    ap.add_argument('--suites', default='',
                    help='comma-separated suites that must each have run at least one test')
    args = ap.parse_args()
    allow = [(re.compile(t), re.compile(s), why) for t, s, why in ALLOW]
    used = [0] * len(allow)
    problems, ran_suites, names, n_tests, n_allowed = [], set(), [], 0, 0

    def allowed(test, line):
        for i, (t, s, _) in enumerate(allow):
            if t.search(test) and s.search(line):
                used[i] += 1
                return True
        return False

    with open(args.testlog, encoding='utf-8') as f:
        for raw in f:
            if not raw.strip():
                continue
            t = json.loads(raw)
            name, result = t['name'], t['result']
            n_tests += 1
            names.append(name)
            if result != 'SKIP':
                ran_suites.add(suite_of(name))
            lines = (t.get('stdout') or '').splitlines()
            if result == 'SKIP' and not any(allowed(name, l) for l in lines):
                problems.append('%s: the whole test skipped (%s)' %
                                (name, next((l for l in lines if l.strip()), 'no output')))
                continue
            for line in lines:
                if SKIP_TAP.search(line) or SKIP_PLAN.search(line) or SKIP_NOTE.search(line):
                    if allowed(name, line):
                        n_allowed += 1
                    else:
                        problems.append('%s: %s' % (name, line.strip()))
    for suite in filter(None, args.suites.split(',')):
        if suite not in ran_suites:
            problems.append('suite %s: no test ran (not configured, or every test skipped)'
                            % suite)
    for i, (t, s, why) in enumerate(allow):
        if used[i] == 0 and any(t.search(n) for n in names):
            problems.append('allow-list entry (%s, %s) matched nothing: remove it (%s)'
                            % (t.pattern, s.pattern, why))
    for p in problems:
        print('check-skips: ' + p)
    print('check-skips: %d tests, %d allowed skips, %d unexpected' %
          (n_tests, n_allowed, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
