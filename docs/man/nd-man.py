#!/usr/bin/env python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the man pages of nondeep and nondeep-cli from the built binaries' --help, so the
pages list exactly the commands and flags the programs accept (the one source); the prose
around them (description, files, environment) is here.

  nd-man.py cli BINARY OUT.1      nondeep-cli: every command of --help, each with its flags
  nd-man.py gui BINARY OUT.1      nondeep: the application options of --help
"""
import os
import re
import subprocess
import sys

# "  -m, --model=NAME    Model preset …" and "  --fused    Run …" in a GOption --help
OPTION_RE = re.compile(r'^\s+(?:-(\w), )?--([\w-]+)(?:=(\S+))?\s{2,}(.*)$')
COMMAND_RE = re.compile(r'^  (\w+)\s+(.*)$')


def run_help(binary, *args):
    env = dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE='')
    out = subprocess.run([binary, *args, '--help'], env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    return out.stdout


def parse_help(text):
    """(usage parameter string, summary paragraph, [(short, long, arg, description)])."""
    lines = text.splitlines()
    params, summary, options = '', [], []
    section = None
    for line in lines:
        if line.startswith('Usage:'):
            section = 'usage'
            continue
        if line.endswith('Options:') and not line.startswith(' '):
            section = 'help' if line.startswith('Help') else 'options'
            continue
        if section == 'usage':
            if line.startswith('  '):
                params = line.split('[OPTION…]', 1)[-1].strip()
            elif line:
                section = 'summary'
                summary.append(line)
        elif section == 'summary' and line:
            summary.append(line)
        elif section == 'options':
            m = OPTION_RE.match(line)
            if m:
                options.append(m.groups())
    return params, ' '.join(summary), options


def roff(text):
    text = text.replace('\\', '\\e').replace('-', '\\-')
    # groff reads ASCII: anything else as a Unicode escape (…, →, λ).
    text = ''.join(c if ord(c) < 128 else f'\\[u{ord(c):04X}]' for c in text)
    return ('\\&' + text) if text[:1] in ('.', "'") else text


def option_items(options):
    out = []
    for short, name, arg, desc in options:
        flag = (f'\\fB\\-{short}\\fR, ' if short else '') + f'\\fB\\-\\-{roff(name)}\\fR'
        if arg:
            flag += f'=\\fI{roff(arg)}\\fR'
        out += ['.TP', flag, roff(desc)]
    return out


def header(name, summary, version):
    return [f'.TH {name.upper()} 1 "" "nondeep {version}" "User Commands"',
            '.SH NAME', f'{roff(name)} \\- {roff(summary)}']


FILES = ['.SH FILES',
         '.TP', '\\fI/usr/share/nondeep/weights/\\fR',
         'The trained models (safetensors) and their model cards (\\fI*.md\\fR).',
         '.TP', '\\fI/usr/share/nondeep/labels/\\fR',
         'Class names: Fashion\\-MNIST and ImageNet\\-1k.',
         '.TP', '\\fI/usr/share/nondeep/samples/\\fR',
         'Sample images the window starts on.',
         '.TP', '\\fI$XDG_CACHE_HOME/nondeep/\\fR (\\fI~/.cache/nondeep/\\fR)',
         'What was measured once on this machine and is reused: Vulkan pipeline caches, '
         'the CPU layout verdicts (\\fIcpu\\-layout.ini\\fR) and the Vulkan kernel '
         'verdicts of \\fB\\-\\-tune\\fR (\\fIvulkan\\-kernels.ini\\fR; '
         '\\fB\\-\\-retune\\fR times a model\\(aqs again). Deleting them only means '
         'timing again.',
         '.PP', 'The paths under \\fI/usr/share\\fR are under the installation prefix '
         '(\\fI/usr\\fR for the Debian package).']
ENVIRONMENT = ['.SH ENVIRONMENT',
               '.TP', '\\fBND_ASSETS_DIR\\fR',
               'Read the weights, labels and samples from this directory instead.',
               '.TP', '\\fBND_CAMERA_SOURCE\\fR',
               'What the camera opens: \\fBauto\\fR, \\fBtest\\-pattern\\fR[:\\fIPATTERN\\fR'
               '[:\\fIFRAMES\\fR]], \\fB/dev/video\\fIN\\fR or \\fBnone\\fR.',
               '.TP', '\\fBND_VK_TUNE\\fR',
               '\\fB1\\fR: tune every Vulkan plan as \\fB\\-\\-tune\\fR does; \\fB0\\fR: '
               'ignore the remembered kernel verdicts and run the built\\-in rules.']


def cli_page(binary, version):
    top = run_help(binary).splitlines()
    commands = []
    in_commands = False
    for line in top:
        if line.startswith('Commands:'):
            in_commands = True
        elif in_commands and (m := COMMAND_RE.match(line)):
            commands.append(m.groups())
        elif in_commands and not line:
            in_commands = not commands
    parsed = {name: parse_help(run_help(binary, name)) for name, _ in commands}
    # The model options most model commands share are listed once; a command that lacks
    # one says so.
    model_cmds = [p[2] for p in parsed.values() if any(o[1] == 'model' for o in p[2])]
    shared = [o for o in model_cmds[0]
              if 2 * sum(o in opts for opts in model_cmds) >= len(model_cmds)] \
        if model_cmds else []

    out = header('nondeep-cli', 'run, inspect and benchmark shallow CNNs without a window',
                 version)
    out += ['.SH SYNOPSIS', '\\fBnondeep\\-cli\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
            '.br', '\\fBnondeep\\-cli\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR',
            '.SH DESCRIPTION',
            '\\fBnondeep\\-cli\\fR runs the runtime of Nondeep Explorer headless: ParNet, '
            'RepVGG and VanillaNet (with ResNet and VGG as deep foils) on the CPU (OpenBLAS) '
            'or through Vulkan compute. Without \\fB\\-\\-weights\\fR a model gets a '
            'deterministic random initialization. Every command takes \\fB\\-\\-help\\fR.',
            '.SH COMMANDS']
    for name, summary in commands:
        params, long_summary, options = parsed[name]
        synopsis = f'\\fBnondeep\\-cli {roff(name)}\\fR [\\fIOPTIONS\\fR]'
        if params:
            words = params.split(' — ')[0].split()
            synopsis += ' ' + roff(' '.join(dict.fromkeys(words)))
        out += ['.SS ' + roff(name), synopsis, '.PP', roff(long_summary or summary)]
        own = [o for o in options if o not in shared]
        if shared and any(o[1] == 'model' for o in options):
            missing = ', '.join(f'\\fB\\-\\-{roff(o[1])}\\fR' for o in shared
                                if o not in options)
            out += ['.PP', 'Takes the \\fBMODEL OPTIONS\\fR below'
                    + (f' except {missing}' if missing else '') + (', and:' if own else '.')]
        out += option_items(own)
    if shared:
        out += ['.SH MODEL OPTIONS',
                'Accepted by every command that builds a model.'] + option_items(shared)
    out += FILES + ENVIRONMENT
    out += ['.SH EXIT STATUS', '0 on success, 1 when the command failed (the message says why), '
            '2 for a usage error.',
            '.SH SEE ALSO', '\\fBnondeep\\fR(1)']
    return out


def gui_page(binary, version):
    params, _, options = parse_help(run_help(binary))
    out = header('nondeep', 'run shallow and parallel CNNs live and see inside them', version)
    out += ['.SH SYNOPSIS', '\\fBnondeep\\fR [\\fIOPTIONS\\fR]',
            '.SH DESCRIPTION',
            '\\fBnondeep\\fR is the window of Nondeep Explorer. It runs ParNet, RepVGG and '
            'VanillaNet (and the deep ResNet and VGG) on an image, a camera or a test pattern, '
            'and shows the parallel streams, feature maps, squeeze\\-excitation gates, receptive '
            'fields and per\\-block latency while it runs. \\fIFused\\fR switches to the '
            're\\-parameterized form; the knobs change streams, width, depth and resolution. '
            'It starts on the project\'s Fashion\\-MNIST ParNet and the sample images.',
            '.SH OPTIONS',
            'The GTK and GApplication options are listed by \\fB\\-\\-help\\-all\\fR.']
    out += option_items(options)
    out += FILES + ENVIRONMENT
    out += ['.SH SEE ALSO', '\\fBnondeep\\-cli\\fR(1)']
    return out


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ('cli', 'gui'):
        sys.exit(__doc__)
    kind, binary, output, version = sys.argv[1:]
    lines = (cli_page if kind == 'cli' else gui_page)(binary, version)
    with open(output, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
