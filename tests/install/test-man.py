#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""TAP: every command of `nondeep-cli --help` and every flag of each command's --help (and of
`nondeep --help`) appears in the man page built from them, and groff formats the pages
without a warning.  test-man.py CLI CLI_MAN [GUI GUI_MAN]"""
import os
import re
import shutil
import subprocess
import sys

FLAG_RE = re.compile(r'^\s+(?:-\w, )?(--[\w-]+)')
results = []


def ok(cond, name, detail=''):
    results.append((bool(cond), name, detail))


def help_text(*cmd):
    env = dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE='')
    return subprocess.run([*cmd, '--help'], env=env, capture_output=True, text=True,
                          check=True, timeout=60).stdout


def flags_of(text):
    """The flags of the application options (the Help Options are GOption's own)."""
    flags, section = [], None
    for line in text.splitlines():
        if line and not line.startswith(' '):
            section = line
        elif section and section.startswith('Application Options') and FLAG_RE.match(line):
            flags.append(FLAG_RE.match(line).group(1))
    return flags


def man_text(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return re.sub(r'\\f[BIRP]', '', text).replace('\\-', '-').replace('\\&', '')


def check_groff(path):
    groff = shutil.which('groff')
    if groff is None:
        return
    run = subprocess.run([groff, '-man', '-Tutf8', '-ww', '-z', path], capture_output=True,
                         text=True, timeout=60)
    ok(run.returncode == 0 and not run.stderr.strip(), f'groff formats {os.path.basename(path)}',
       run.stderr)


def check_cli(cli, man):
    page = man_text(man)
    top = help_text(cli)
    commands = re.findall(r'^  (\w+)\s', top.split('Commands:', 1)[1], re.M)
    ok(len(commands) >= 8, 'nondeep-cli --help lists its commands', str(commands))
    for cmd in commands:
        ok(f'.SS {cmd}\n' in page, f'man nondeep-cli has a section for {cmd}')
        flags = flags_of(help_text(cli, cmd))
        # The shared MODEL OPTIONS are listed once; a command's own flags in its section.
        section = page.split(f'.SS {cmd}\n', 1)[-1].split('\n.SS ', 1)[0]
        missing = [f for f in flags if f not in section and f not in
                   page.split('.SH MODEL OPTIONS', 1)[-1].split('\n.SH ', 1)[0]]
        ok(flags and not missing, f'man nondeep-cli lists every flag of {cmd} ({len(flags)})',
           f'missing: {missing}')
    check_groff(man)


def check_gui(gui, man):
    page = man_text(man)
    flags = flags_of(help_text(gui))
    missing = [f for f in flags if f'\n{f}' not in page]
    ok(len(flags) >= 10 and not missing, f'man nondeep lists every flag of --help ({len(flags)})',
       f'missing: {missing}')
    check_groff(man)


def main():
    args = sys.argv[1:]
    check_cli(args[0], args[1])
    if len(args) == 4:
        check_gui(args[2], args[3])
    print(f'1..{len(results)}')
    for i, (good, name, detail) in enumerate(results, 1):
        print(f'{"ok" if good else "not ok"} {i} - {name}')
        if not good and detail:
            print('# ' + detail.replace('\n', '\n# '))
    return 0 if all(r[0] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
