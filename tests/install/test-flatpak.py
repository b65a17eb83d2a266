#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""TAP: the Flatpak manifest org.nondeep.Explorer.json is valid JSON with the keys
flatpak-builder needs, its modules are well formed, the last one builds this tree with meson
options the tree has, every library the meson build needs comes from the GNOME runtime or a
module, and its sandbox permissions are sane. (Building it needs the network; see README.)
  test-flatpak.py SOURCE_ROOT [MANIFEST]"""
import glob
import json
import os
import re
import sys

root = sys.argv[1]
manifest_path = (sys.argv[2] if len(sys.argv) > 2
                 else os.path.join(root, 'org.nondeep.Explorer.json'))
results = []

# pkg-config names the GNOME 47 SDK provides, and the modules that provide the others.
RUNTIME = {'glib-2.0', 'gio-2.0', 'threads', 'vulkan', 'gtk4', 'libadwaita-1', 'cairo',
           'pango', 'pangocairo',
           'gstreamer-1.0', 'gstreamer-app-1.0', 'gstreamer-video-1.0', 'gdk-pixbuf-2.0',
           'bash-completion', 'libjpeg'}   # libjpeg-turbo: the freedesktop base under GNOME
MODULE_FOR = {'openblas': 'openblas', 'json-glib-1.0': 'json-glib'}
BUILDSYSTEMS = {'meson', 'cmake', 'cmake-ninja', 'autotools', 'simple', 'qmake'}
SOURCE_TYPES = {'archive', 'git', 'dir', 'file', 'patch', 'shell', 'script'}
BUILTIN_OPTIONS = {'buildtype', 'prefix', 'libdir', 'b_lto', 'b_ndebug', 'optimization',
                   'debug', 'strip', 'warning_level', 'werror', 'default_library'}


def ok(cond, name, detail=''):
    results.append((bool(cond), name, detail))


def read(rel):
    with open(os.path.join(root, rel), encoding='utf-8') as f:
        return f.read()


try:
    with open(manifest_path, encoding='utf-8') as f:
        m = json.load(f)
    ok(isinstance(m, dict), 'the manifest is a JSON object')
except (OSError, ValueError) as e:
    ok(False, 'the manifest parses as JSON', str(e))
    m = {}

for key in ('id', 'runtime', 'runtime-version', 'sdk', 'command', 'finish-args', 'modules'):
    ok(key in m, f'has "{key}"')

top = read('meson.build')
app_id = re.search(r"app_id = '([^']+)'", top).group(1)
ok(m.get('id') == app_id, f'id is the meson app id {app_id}', str(m.get('id')))
ok(os.path.exists(os.path.join(root, 'assets', app_id + '.desktop.in')),
   'a desktop file of that id exists')
ok(m.get('runtime') == 'org.gnome.Platform' and m.get('sdk') == 'org.gnome.Sdk',
   'the GNOME runtime and SDK')
ok(re.fullmatch(r'\d+', str(m.get('runtime-version', ''))), 'a numbered runtime version')
gui = re.search(r"executable\('([^']+)'", read('app/gui/meson.build')).group(1)
ok(m.get('command') == gui, f'command is the GUI program {gui}', str(m.get('command')))

modules = m.get('modules', [])
names = [mod.get('name') for mod in modules if isinstance(mod, dict)]
ok(len(names) == len(modules) and len(set(names)) == len(names) and all(names),
   'every module is an object with a unique name', str(names))
for mod in modules:
    name = mod.get('name')
    ok(mod.get('buildsystem', 'autotools') in BUILDSYSTEMS, f'module {name}: a known buildsystem')
    if mod.get('buildsystem') == 'simple':
        ok(mod.get('build-commands'), f'module {name}: simple modules have build-commands')
    sources = mod.get('sources', [])
    ok(sources and all(s.get('type') in SOURCE_TYPES for s in sources),
       f'module {name}: sources of known types', str(sources))
    for s in sources:
        if s.get('type') == 'git':
            ok(s.get('url', '').startswith('https://') and (s.get('tag') or s.get('commit')),
               f'module {name}: a git source over https at a tag or commit', str(s))
        if s.get('type') in ('archive', 'file') and 'url' in s:
            ok(re.fullmatch(r'[0-9a-f]{64}', s.get('sha256', '')),
               f'module {name}: a downloaded source has its sha256', str(s))

app = modules[-1] if modules else {}
ok(app.get('name') == 'nondeep' and app.get('buildsystem') == 'meson',
   'the last module builds nondeep with meson')
dirs = [s for s in app.get('sources', []) if s.get('type') == 'dir']
here = os.path.dirname(os.path.abspath(manifest_path))
ok(dirs and os.path.isfile(os.path.join(here, dirs[0].get('path', ''), 'meson.build'))
   and "project('nondeep'" in open(os.path.join(here, dirs[0]['path'], 'meson.build')).read(),
   'its source is this tree', str(dirs))

options = {}
for line in read('meson_options.txt').splitlines():
    mo = re.match(r"option\('([^']+)', type: '(\w+)'", line)
    if mo:
        options[mo.group(1)] = mo.group(2)
VALUES = {'feature': {'enabled', 'disabled', 'auto'}, 'boolean': {'true', 'false'}}
for opt in app.get('config-opts', []):
    mo = re.fullmatch(r'-D([\w-]+)=(.*)', opt)
    good = mo is not None and (mo.group(1) in BUILTIN_OPTIONS or
                               (mo.group(1) in options and
                                mo.group(2) in VALUES.get(options[mo.group(1)], {mo.group(2)})))
    ok(good, f'config-opt {opt} is an option of the meson build')

# Every library the meson build asks for comes from the runtime or from an earlier module.
needed = set()
for path in glob.glob(os.path.join(root, '**', 'meson.build'), recursive=True):
    first = os.path.relpath(path, root).split(os.sep)[0]
    if first.startswith(('build', '_build', 'obj-', 'debian')):
        continue
    needed |= set(re.findall(r"(?<![_\w])dependency\('([^']+)'", open(path).read()))
for dep in sorted(needed):
    module = MODULE_FOR.get(dep)
    ok(dep in RUNTIME or (module in names and names.index(module) < len(names) - 1),
       f'dependency {dep} comes from the runtime or a module before nondeep',
       f'modules: {names}')

args = m.get('finish-args', [])
ok(all(a.startswith('--') for a in args) and len(set(args)) == len(args),
   'finish-args are flags, none twice', str(args))
for need in ('--share=ipc', '--socket=wayland', '--socket=fallback-x11', '--device=dri'):
    ok(need in args, f'finish-args has {need}')
ok('--socket=x11' not in args, 'X11 only as the Wayland fallback')
ok('--share=network' not in args, 'no network: the app needs none')
bad = [a for a in args if re.match(r'--filesystem=(host|home|/)', a)
       or a.startswith('--talk-name=org.freedesktop.Flatpak')]
ok(not bad, 'no access to the whole file system or to the host', str(bad))

print(f'1..{len(results)}')
for i, (good, name, detail) in enumerate(results, 1):
    print(f'{"ok" if good else "not ok"} {i} - {name}')
    if not good and detail:
        print('# ' + detail)
sys.exit(0 if all(r[0] for r in results) else 1)
