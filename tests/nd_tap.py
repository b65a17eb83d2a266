# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The TAP harness the Python test drivers share: @test registers a case, Skip skips it with a
reason, require() skips, or fails when ND_TEST_REQUIRE names what is missing, and run_all()
runs the cases in order and exits with their verdict."""

import os
import sys

REQUIRED = set(os.environ.get("ND_TEST_REQUIRE", "").replace(" ", ",").split(","))
results = []


class Skip(Exception):
    """The test cannot run here; reported as a TAP skip with its reason."""


def require(what, available, why):
    """Skip unless @available; with @what in ND_TEST_REQUIRE, fail instead."""
    if available:
        return
    if what in REQUIRED:
        raise AssertionError(f"ND_TEST_REQUIRE names {what}, but {why}")
    raise Skip(why)


def test(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


def run_all(cleanup=None):
    print("1..%d" % len(results))
    failed = 0
    for i, (name, fn) in enumerate(results, 1):
        try:
            fn()
            print("ok %d - %s" % (i, name))
        except Skip as e:
            print("ok %d - %s # SKIP %s" % (i, name, e))
        except Exception as e:  # noqa: BLE001 — report every failure as TAP
            failed += 1
            print("not ok %d - %s" % (i, name))
            for line in str(e).splitlines():
                print("# " + line)
    if cleanup is not None:
        cleanup()
    sys.exit(1 if failed else 0)
