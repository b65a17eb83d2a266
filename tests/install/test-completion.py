#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""TAP: the bash completion of nondeep-cli completes its commands, flags, model names and the
files each flag takes, asking the program itself.  test-completion.py COMPLETION CLI"""
import os
import subprocess
import sys
import tempfile

completion, cli = sys.argv[1], os.path.abspath(sys.argv[2])
results = []


def complete(*words, cwd=None):
    """COMPREPLY for the command line `words` (the last one is being completed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_nondeep_cli; printf "%s\\n" "${COMPREPLY[@]}"')
    run = subprocess.run(['bash', '-c', script, 'bash', os.path.abspath(completion), cli,
                          *words], capture_output=True, text=True, cwd=cwd, timeout=120)
    return sorted(w for w in run.stdout.split('\n') if w)


def check(name, got, expected):
    results.append((got == sorted(expected), name, f'got {got}, expected {sorted(expected)}'))


loaded = subprocess.run(['bash', '-c', 'source "$1" && complete -p nondeep-cli', 'bash',
                         completion], capture_output=True, text=True, timeout=30)
results.append((loaded.returncode == 0 and '_nondeep_cli' in loaded.stdout,
                'the file loads and registers _nondeep_cli', loaded.stderr))
commands = complete('')
results.append(({'run', 'eval', 'models', 'fuse'} <= set(commands), 'commands',
                str(commands)))
check('a command prefix', complete('ev'), ['eval'])
check('a flag prefix', complete('run', '--mo'), ['--model'])
check('flags of the command given', complete('bench', '--it'), ['--iters'])
models = subprocess.run([cli, 'models'], capture_output=True, text=True, check=True).stdout
parnets = [line.split()[0] for line in models.splitlines() if line.startswith('parnet-')]
check('model names from `nondeep-cli models`', complete('run', '--model', 'parnet-'), parnets)
check('--model=NAME', complete('info', '--model', '=', 'parnet-'), parnets)
check('backends', complete('run', '-b', ''), ['cpu', 'vulkan'])
with tempfile.TemporaryDirectory() as d:
    for name in ('a.png', 'b.JPG', 'c.npy', 'd.safetensors', 'e.pth', 'f.txt'):
        open(os.path.join(d, name), 'w').close()
    os.mkdir(os.path.join(d, 'sub'))
    check('--image takes images and directories', complete('run', '--image', '', cwd=d),
          ['a.png', 'b.JPG', 'sub'])
    check('--input takes .npy', complete('run', '--input', '', cwd=d), ['c.npy', 'sub'])
    check('--weights takes weights files', complete('run', '--weights', '', cwd=d),
          ['d.safetensors', 'e.pth', 'sub'])
    check('inspect takes a weights file', complete('inspect', '', cwd=d),
          ['d.safetensors', 'e.pth', 'sub'])
    check('--output takes safetensors', complete('fuse', '-o', '', cwd=d),
          ['d.safetensors', 'sub'])

print(f'1..{len(results)}')
for i, (good, name, detail) in enumerate(results, 1):
    print(f'{"ok" if good else "not ok"} {i} - {name}')
    if not good:
        print('# ' + detail)
sys.exit(0 if all(r[0] for r in results) else 1)
