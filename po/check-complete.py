#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when LANG.po lacks a translation of any string the sources have now.

Extracts a fresh template from POTFILES.in (as `ninja nondeep-pot` does), merges the .po
into it without fuzzy matching, and lists every message that comes out untranslated or
fuzzy. Usage: check-complete.py SRCDIR LANG.po
"""
import ast
import os
import subprocess
import sys
import tempfile

KEYWORDS = ['_', 'N_', 'C_:1c,2', 'NC_:1c,2', 'g_dngettext:2,3', 'g_dpgettext2:2c,3']


def run(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def messages(po):
    """The msgids of a .po file (continuation lines joined), in order."""
    out, cur = [], None
    with open(po, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('msgid '):
                cur = [line[6:]]
                out.append(cur)
            elif line.startswith('"') and cur is not None:
                cur.append(line)
            else:
                cur = None
    return [''.join(ast.literal_eval(part) for part in m) for m in out if ''.join(m) != '""']


def main():
    srcdir, po = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'fresh.pot')
        merged = os.path.join(tmp, 'merged.po')
        run(['xgettext', '--from-code=UTF-8', '--add-comments', '-D', srcdir,
             '-f', os.path.join(srcdir, 'po', 'POTFILES.in'), '-o', pot]
            + ['--keyword=' + k for k in KEYWORDS])
        run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged, po, pot])
        missing = []
        for what in ('--untranslated', '--only-fuzzy'):
            out = os.path.join(tmp, 'missing.po')
            run(['msgattrib', what, '--no-obsolete', '-o', out, merged])
            if os.path.exists(out):
                missing += [(what[2:], m) for m in messages(out)]
        total = len(messages(pot))
    for what, m in missing:
        print('%s: %s' % (what, m.replace('\n', '\\n')))
    print('%s: %d of %d messages lack a translation' % (os.path.basename(po), len(missing), total))
    return 1 if missing or total == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
