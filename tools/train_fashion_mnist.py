#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Train small ParNet / RepVGG / VanillaNet models on Fashion-MNIST and export them.

    train_fashion_mnist.py {parnet,repvgg,vanillanet} [--epochs N] [--seed S] [--out assets/weights]
                           [--data /usr/share/datasets/fashion-mnist] [--limit N] [--threads 1]

Reads the idx/gzip files directly. Preprocessing (the same at train and test time, and what the
app must do): uint8 28x28 -> x/255 -> zero-pad 2 px on each side to 32x32 ->
(x - 0.2860) / 0.3530 (Fashion-MNIST train mean/std), one channel, NCHW.
Training-only augmentation: random shift of up to 2 px (crop from a 4-px zero-padded canvas) and
horizontal flip. SGD + Nesterov momentum 0.9, weight decay 5e-4 (not on BN/bias), cosine LR with a
linear warm-up over the first epoch. VanillaNet uses the deep-training schedule: at the start of
epoch e, lambda = min(1, e / decay_epochs) (change_act), so it ends merge-ready at lambda = 1.

Writes <out>/<name>.safetensors (training form, official keys, F32, `num_batches_tracked` dropped)
with __metadata__ nondeep.model / nondeep.knobs / nondeep.dataset / nondeep.preprocess, and a model
card <out>/<name>.md with the command, seed, epochs and the test accuracy measured by PyTorch
(training form, and the fused/deploy form).
"""
import argparse
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402
import safetensors_io as st  # noqa: E402

MEAN, STD = 0.2860, 0.3530
# Machine-readable (runtime/nd-dataset.h parses it): uint8 28x28 gray -> x/255 -> zero-pad 2 px
# each side to 32x32 -> (x - 0.2860) / 0.3530; 1 channel, NCHW.
PREPROCESS = 'gray resize=pad size=32 mean=0.2860 std=0.3530'
LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker',
          'Bag', 'Ankle boot']

PRESETS = {
    'parnet': dict(model='parnet-s', width=0.25, res=32, epochs=30, lr=0.1, bs=128,
                   name='parnet-fashion-mnist'),
    'repvgg': dict(model='repvgg-a0', width=0.25, res=32, epochs=10, lr=0.1, bs=128,
                   name='repvgg-a0-w0.25-fmnist'),
    'vanillanet': dict(model='vanillanet-5', width=0.125, res=32, epochs=12, lr=0.05, bs=128,
                       name='vanillanet-5-w0.125-fmnist', decay=0.6),
}


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], 'big')
    ndim = magic & 0xFF
    if (magic >> 8) != 0x08:
        raise ValueError('%s: not an unsigned-byte idx file (magic %#x)' % (path, magic))
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError('%s: size mismatch' % path)
    return arr.reshape(dims)


def load_split(d, prefix):
    x = read_idx(os.path.join(d, '%s-images-idx3-ubyte.gz' % prefix))
    y = read_idx(os.path.join(d, '%s-labels-idx1-ubyte.gz' % prefix))
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


def preprocess(x_u8):
    """uint8 [N,28,28] -> float32 [N,1,32,32], exactly PREPROCESS."""
    x = x_u8.float().div(255.0).unsqueeze(1)
    x = F.pad(x, (2, 2, 2, 2), value=0.0)
    return (x - MEAN) / STD


def augment(xb, g):
    """Random shift (up to 2 px, zero = normalized background) and horizontal flip."""
    n = xb.shape[0]
    bg = (0.0 - MEAN) / STD
    p = F.pad(xb, (2, 2, 2, 2), value=bg)
    dx = torch.randint(0, 5, (n,), generator=g)
    dy = torch.randint(0, 5, (n,), generator=g)
    out = torch.empty_like(xb)
    h, w = xb.shape[-2:]
    for i in range(n):
        out[i] = p[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    flip = torch.rand(n, generator=g) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def evaluate(model, x, y, bs=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], bs):
            correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / x.shape[0]


# The slice of the test set the test suite re-evaluates with our runtime (card_slice.py).
SLICE = 1000
SLICE_LINE_PREFIX = '- First '


def slice_key(n):
    return 'nondeep.test_correct_first_%d' % n


def slice_correct(model, x, y, n):
    model.eval()
    with torch.no_grad():
        return int((model(x[:n]).argmax(1) == y[:n]).sum().item())


def slice_line(n, correct):
    return ('%s%d test images (training form, PyTorch): %d correct — `nondeep-cli eval '
            '--limit %d` must reproduce it' % (SLICE_LINE_PREFIX, n, correct, n))


def knob_flags(p):
    return '--width %g --resolution %d --classes 10 --in-channels 1' % (p['width'], p['res'])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('family', choices=sorted(PRESETS))
    ap.add_argument('--epochs', type=int)
    ap.add_argument('--lr', type=float)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  '..', 'assets', 'weights'))
    ap.add_argument('--limit', type=int, default=0, help='use only N training images (smoke test)')
    a = ap.parse_args()
    p = dict(PRESETS[a.family])
    if a.epochs:
        p['epochs'] = a.epochs
    if a.lr:
        p['lr'] = a.lr
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    t_start = time.time()

    xtr, ytr = load_split(a.data, 'train')
    xte, yte = load_split(a.data, 't10k')
    if a.limit:
        xtr, ytr = xtr[:a.limit], ytr[:a.limit]
    xtr, xte = preprocess(xtr), preprocess(xte)
    print('data: train %s test %s' % (tuple(xtr.shape), tuple(xte.shape)), flush=True)

    model = nm.build(p['model'], classes=10, in_channels=1, width=p['width'], resolution=p['res'])
    print('%s: %s params, knobs %s' % (p['model'], format(nm.count_params(model), ','),
                                       knob_flags(p)), flush=True)
    decay, no_decay = [], []
    for n, prm in model.named_parameters():
        (no_decay if prm.dim() <= 1 else decay).append(prm)
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': 5e-4},
                           {'params': no_decay, 'weight_decay': 0.0}],
                          lr=p['lr'], momentum=0.9, nesterov=True)
    steps_per_epoch = math.ceil(xtr.shape[0] / p['bs'])
    total = steps_per_epoch * p['epochs']
    decay_epochs = max(1, round(p.get('decay', 0) * p['epochs'])) if 'decay' in p else 0

    def lr_at(step):
        if step < steps_per_epoch:
            return p['lr'] * (step + 1) / steps_per_epoch
        t = (step - steps_per_epoch) / max(1, total - steps_per_epoch)
        return p['lr'] * 0.5 * (1 + math.cos(math.pi * t))

    step = 0
    for ep in range(p['epochs']):
        if decay_epochs:
            lam = min(1.0, ep / decay_epochs)
            model.change_act(lam)
        model.train()
        perm = torch.randperm(xtr.shape[0], generator=g)
        t0, seen, correct, loss_sum = time.time(), 0, 0, 0.0
        for i in range(0, xtr.shape[0], p['bs']):
            idx = perm[i:i + p['bs']]
            if idx.numel() < 2:
                continue
            xb, yb = augment(xtr[idx], g), ytr[idx]
            for grp in opt.param_groups:
                grp['lr'] = lr_at(step)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            seen += idx.numel()
            correct += (out.argmax(1) == yb).sum().item()
            loss_sum += loss.item() * idx.numel()
        acc = evaluate(model, xte, yte)
        print('epoch %d/%d%s: loss %.4f train acc %.4f test acc %.4f (%.0f s, total %.0f s)' % (
            ep + 1, p['epochs'], (' lambda %.2f' % model.act_learn) if decay_epochs else '',
            loss_sum / seen, correct / seen, acc, time.time() - t0, time.time() - t_start),
            flush=True)
    if decay_epochs:
        model.change_act(1.0)
    model.eval()
    acc = evaluate(model, xte, yte)
    acc_fused = evaluate(nm.to_deploy(model), xte, yte)
    print('final test accuracy: %.4f (training form), %.4f (fused)' % (acc, acc_fused), flush=True)

    os.makedirs(a.out, exist_ok=True)
    wpath = os.path.join(a.out, p['name'] + '.safetensors')
    meta = {'nondeep.model': p['model'], 'nondeep.knobs': knob_flags(p),
            'nondeep.dataset': 'fashion-mnist', 'nondeep.preprocess': PREPROCESS,
            'nondeep.labels': ','.join(LABELS), 'nondeep.test_accuracy': '%.4f' % acc,
            'nondeep.seed': str(a.seed), 'nondeep.epochs': str(p['epochs'])}
    correct = slice_correct(model, xte, yte, SLICE)
    meta[slice_key(SLICE)] = str(correct)
    st.save(wpath, nm.float_state_dict(model), metadata=meta, dtype='F32')
    cmd = ' '.join(['/usr/bin/python3', 'tools/train_fashion_mnist.py'] + sys.argv[1:])
    card = [
        '# %s' % p['name'], '',
        '%s (%s) trained on Fashion-MNIST by `tools/train_fashion_mnist.py`.' % (
            p['model'], knob_flags(p)), '',
        '- Weights: `%s.safetensors`, training form (all branches), official key names, float32; '
        'the app fuses them at load time.' % p['name'],
        '- Parameters (training form): %s' % format(nm.count_params(model), ','),
        '- Command: `%s`' % cmd,
        '- Seed %d, %d epochs, batch %d, SGD Nesterov 0.9, lr %g cosine with 1-epoch warm-up, '
        'weight decay 5e-4%s' % (a.seed, p['epochs'], p['bs'], p['lr'],
                                 ', VanillaNet lambda 0 -> 1 over %d epochs' % decay_epochs
                                 if decay_epochs else ''),
        '- Augmentation (training only): random shift up to 2 px, horizontal flip',
        '- Preprocessing: %s' % PREPROCESS,
        '- Labels (index order): %s' % ', '.join(LABELS),
        '- **Test accuracy (10,000 test images, PyTorch %s): %.2f%% training form, %.2f%% fused**'
        % (torch.__version__, 100 * acc, 100 * acc_fused),
        '- Training time: %.1f min on %d CPU thread(s)' % ((time.time() - t_start) / 60,
                                                          a.threads),
        '- Dataset: Fashion-MNIST (Xiao, Rasul, Vollgraf 2017), MIT licence, from %s' % a.data,
        slice_line(SLICE, correct), '']
    with open(os.path.join(a.out, p['name'] + '.md'), 'w') as f:
        f.write('\n'.join(card))
    print('wrote %s and %s.md' % (wpath, p['name']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
