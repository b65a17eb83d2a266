#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""TAP: `meson install` puts every file where the desktop expects it, the installed CLI runs
on the installed data, and the programs run from the build folder behave like installed ones
(their data, and the zh_CN catalogue compiled into build/po).
  test-install.py BUILD_ROOT PREFIX DATADIR HAVE_GUI"""
import os
import subprocess
import sys
import tempfile

build, prefix, datadir = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
have_gui = sys.argv[4] == 'true'
results = []


def ok(cond, name, detail=''):
    results.append((bool(cond), name, detail))


def run(cmd, env=None, **kw):
    full = dict(os.environ)
    for k in ('LC_ALL', 'LC_MESSAGES', 'LANGUAGE', 'LANG', 'ND_ASSETS_DIR'):
        full.pop(k, None)
    full.update(env or {})
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=300, **kw)


with tempfile.TemporaryDirectory() as dest:
    inst = run(['meson', 'install', '-C', build, '--no-rebuild', '--quiet', '--destdir', dest],
               env={'DESTDIR': dest})
    ok(inst.returncode == 0, 'meson install --destdir', inst.stdout + inst.stderr)
    root = dest + prefix
    share = dest + datadir
    expected = [
        'bin/nondeep-cli',
        'share/nondeep/weights/parnet-fashion-mnist.safetensors',
        'share/nondeep/weights/parnet-fashion-mnist.md',
        'share/nondeep/weights/repvgg-a0-w0.25-fmnist.md',
        'share/nondeep/weights/vanillanet-5-w0.125-fmnist.md',
        'share/nondeep/labels/fashion-mnist.txt',
        'share/nondeep/labels/imagenet-1k.txt',
        'share/nondeep/samples/0000-ankle-boot.png',
        'share/applications/org.nondeep.Explorer.desktop',
        'share/metainfo/org.nondeep.Explorer.metainfo.xml',
        'share/icons/hicolor/scalable/apps/org.nondeep.Explorer.svg',
        'share/icons/hicolor/symbolic/apps/org.nondeep.Explorer-symbolic.svg',
        'share/glib-2.0/schemas/org.nondeep.Explorer.gschema.xml',
        'share/locale/zh_CN/LC_MESSAGES/nondeep.mo',
        'share/man/man1/nondeep-cli.1',
        'share/bash-completion/completions/nondeep-cli',
    ]
    if have_gui:
        expected += ['bin/nondeep', 'share/man/man1/nondeep.1']
    for rel in expected:
        path = os.path.join(root if rel.startswith('bin/') else share,
                            rel if rel.startswith('bin/') else rel[len('share/'):])
        ok(os.path.isfile(path), f'installs {rel}', f'{path} is missing')
    with open(os.path.join(share, 'metainfo/org.nondeep.Explorer.metainfo.xml')) as f:
        meta = f.read()
    ok('<screenshot' in meta and '<release ' in meta and '<ul>' in meta,
       'the metainfo has screenshots and release notes')

    # The installed CLI (outside the build tree, so in its installed mode) on the installed
    # data: the default model classifies an installed sample.
    cli = os.path.join(root, 'bin/nondeep-cli')
    data = os.path.join(share, 'nondeep')
    weights = os.path.join(data, 'weights/parnet-fashion-mnist.safetensors')
    r = run([cli, 'run', '--weights', weights,
             '--image', os.path.join(data, 'samples/0000-ankle-boot.png')],
            env={'ND_ASSETS_DIR': data}, cwd='/')
    ok(r.returncode == 0 and 'Ankle boot' in r.stdout,
       'the installed nondeep-cli classifies an installed sample (installed weights, labels)',
       r.stdout[-500:] + r.stderr[-500:])

# Uninstalled: the build folder's programs, started from elsewhere, find the source assets
# and speak Chinese under a Chinese locale (the catalogue in build/po, not the prefix's).
cli = os.path.join(build, 'app/cli/nondeep-cli')
r = run([cli, 'eval', '--limit', '20'], cwd='/')
ok(r.returncode == 0 and 'parnet-s on Fashion-MNIST' in r.stdout,
   'nondeep-cli from the build folder finds the shipped weights', r.stdout + r.stderr)
for env in ({'LANG': 'zh_CN.UTF-8'}, {'LANG': 'C.UTF-8', 'LANGUAGE': 'zh_CN'}):
    r = run([cli, 'run', '--help'], env=env, cwd='/')
    ok('宽度倍数' in r.stdout, f'nondeep-cli from the build folder in Chinese ({env})',
       r.stdout[:400])
    if have_gui:
        r = run([os.path.join(build, 'app/gui/nondeep'), '--help'], env=env, cwd='/')
        ok('宽度倍数' in r.stdout and '融合' in r.stdout,
           f'nondeep from the build folder in Chinese ({env})', r.stdout[:600])
r = run([cli, 'run', '--help'], env={'LANG': 'C.UTF-8'}, cwd='/')
ok('Width multiplier' in r.stdout, 'and in English otherwise', r.stdout[:400])

print(f'1..{len(results)}')
for i, (good, name, detail) in enumerate(results, 1):
    print(f'{"ok" if good else "not ok"} {i} - {name}')
    if not good and detail:
        print('# ' + detail.replace('\n', '\n# '))
sys.exit(0 if all(r[0] for r in results) else 1)
