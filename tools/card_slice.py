#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records a trained Fashion-MNIST model's score on the first N test images (PyTorch).

    card_slice.py WEIGHTS.safetensors [--n 1000] [--data /usr/share/datasets/fashion-mnist]

Adds `nondeep.test_correct_first_N` to the file's metadata and a line to its model card
(WEIGHTS with .md), so the test suite can check that `nondeep-cli eval --limit N` reproduces
the card on that slice. train_fashion_mnist.py does the same at the end of training.
"""
import argparse
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402
import safetensors_io as st  # noqa: E402
import train_fashion_mnist as tf  # noqa: E402


def knobs(meta):
    k = dict(re.findall(r'--([\w-]+) (\S+)', meta['nondeep.knobs']))
    return dict(classes=int(k.get('classes', 10)), in_channels=int(k.get('in-channels', 1)),
                width=float(k.get('width', 1)), resolution=int(k.get('resolution', 224)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('weights')
    ap.add_argument('--n', type=int, default=tf.SLICE)
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    a = ap.parse_args()
    tensors, meta = st.load(a.weights)
    model = nm.build(meta['nondeep.model'], **knobs(meta))
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit('%s does not fit %s: missing %s, unexpected %s' % (
            a.weights, meta['nondeep.model'], missing[:5], unexpected[:5]))
    if hasattr(model, 'change_act'):
        model.change_act(1.0)
    xte, yte = tf.load_split(a.data, 't10k')
    correct = tf.slice_correct(model, tf.preprocess(xte), yte, a.n)
    meta[tf.slice_key(a.n)] = str(correct)
    st.save(a.weights, tensors, metadata=meta, dtype='F32')
    card = os.path.splitext(a.weights)[0] + '.md'
    if os.path.exists(card):
        with open(card) as f:
            lines = [l for l in f.read().split('\n') if not l.startswith(tf.SLICE_LINE_PREFIX)]
        while lines and lines[-1] == '':
            lines.pop()
        lines += [tf.slice_line(a.n, correct), '']
        with open(card, 'w') as f:
            f.write('\n'.join(lines))
    print('%s: %d / %d of the first %d test images' % (a.weights, correct, a.n, a.n))


if __name__ == '__main__':
    main()
