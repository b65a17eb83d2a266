#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write real `torch.save` checkpoints in each PUBLISHED layout, for the loader's tests.

    write_checkpoints.py OUTDIR [--width 0.25] [--classes 10] [--resolution 64]
                                [--hostile-only] [--hostile-dir DIR] [--timm-zoo]

Random-init small models (tools/nd_models.py, non-trivial BN statistics). For every checkpoint X
the script also writes X.input.npy (float32 NCHW) and X.expected.npy (float32 logits of the
weights the loader is meant to pick), and OUTDIR/manifest.json lists, per file, the CLI model name,
the knob flags, which entry holds the weights and the expected logits.

Layouts (docs/reference/networks.md §1.4, §2.4, §3.3, §3.6):
  parnet-s-timm.pth.tar      timm CheckpointSaver dict: epoch, arch, state_dict (with `module.`),
                             optimizer (real SGD state_dict), version=2, args (argparse.Namespace),
                             amp_scaler, state_dict_ema (DIFFERENT weights, no prefix), metric
  repvgg-a0-train.pth        plain name->tensor dict, training form (DingXiaoH/RepVGG)
  repvgg-a0-deploy.pth       plain dict, deploy form (`rbr_reparam`)
  repvgg-a0-timm.pth         plain dict in timm byobnet keys (stem.conv_kxk.conv.weight,
                             stages.K.I.identity.*, head.fc.*)
  vanillanet-5.pth           {'model', 'model_ema'} training form (different weights)
  vanillanet-5-deploy.pth    {'model': deploy state dict}
  repvgg-a0-train-fp16.pth, parnet-s-bf16.pth   half / bfloat16 tensors
  repvgg-a0-views.pth        every tensor a view into ONE shared storage at non-zero offsets,
                             some with channels-last strides
Hostile corpus (OUTDIR/hostile, each file small; see HOSTILE below).

--timm-zoo writes only timm's zoo layouts instead (tools/nd_timm.py, full width: the loader
detects timm's structures as published; --width is ignored, --classes keeps them small):
  vovnet39a.pth, darknet53.pth, resnetv2_50.pth   plain state_dict, as timm publishes weights
  vovnet39a-train.pth.tar    timm CheckpointSaver dict: state_dict (`module.` prefixes) and
                             state_dict_ema (DIFFERENT weights, no prefix)
"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nd_models as nm  # noqa: E402
import safetensors_io as st  # noqa: E402


def knob_flags(a):
    return '--width %g --resolution %d --classes %d --in-channels 3' % (
        a.width, a.resolution, a.classes)


def make(name, a, seed):
    m = nm.build(name, classes=a.classes, width=a.width, resolution=a.resolution)
    return nm.init_random(m, seed=seed).eval()


def logits(model, sd, x):
    """Logits of `model`'s architecture with weights `sd` (any float dtype, upcast to fp32)."""
    m = nm.clone_model(model).float()
    m.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()},
                      strict=True)
    with torch.no_grad():
        return m.eval()(x).numpy().astype('<f4')


class Writer:
    def __init__(self, outdir, a):
        self.outdir, self.a, self.manifest = outdir, a, collections.OrderedDict()
        self.x = torch.randn(1, 3, a.resolution, a.resolution,
                             generator=torch.Generator().manual_seed(4242))

    def put(self, fname, obj, model, expected, entry, note, extra=None, deploy=False):
        path = os.path.join(self.outdir, fname)
        torch.save(obj, path)
        base = fname.split('.pth')[0]
        st.save_npy(os.path.join(self.outdir, base + '.input.npy'), self.x)
        np.save(os.path.join(self.outdir, base + '.expected.npy'), expected)
        rec = collections.OrderedDict(
            model=model, knobs=knob_flags(self.a), fused=deploy, weights_entry=entry,
            input=base + '.input.npy', expected=base + '.expected.npy', note=note,
            bytes=os.path.getsize(path))
        if extra:
            rec.update(extra)
        self.manifest[fname] = rec
        print('%-26s %9d bytes  %s' % (fname, rec['bytes'], note))


def write_parnet_timm(w, a):
    m = make('parnet-s', a, 101)
    ema = make('parnet-s', a, 202)
    # A real optimizer state: one SGD step on a copy.
    tm = nm.clone_model(m).train()
    opt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-5, nesterov=True)
    xb = torch.randn(2, 3, a.resolution, a.resolution, generator=torch.Generator().manual_seed(7))
    torch.nn.functional.cross_entropy(tm(xb), torch.tensor([0, 1])).backward()
    opt.step()
    args = argparse.Namespace(model='simplenet_repvgg', num_classes=a.classes,
                              img_size=a.resolution, lr=0.1, epochs=120, sched='cosine',
                              smoothing=0.1, model_ema=True, model_ema_decay=0.9999,
                              amp=True, aa='rand-m9-mstd0.5', reprob=0.2, batch_size=128,
                              output='', experiment='nondeep-test')
    sd = collections.OrderedDict(('module.' + k, v) for k, v in m.state_dict().items())
    ckpt = collections.OrderedDict([
        ('epoch', 119), ('arch', 'simplenet_repvgg'), ('state_dict', sd),
        ('optimizer', opt.state_dict()), ('version', 2), ('args', args),
        ('amp_scaler', {'scale': 65536.0, 'growth_factor': 2.0, 'backoff_factor': 0.5,
                        'growth_interval': 2000, '_growth_tracker': 17}),
        ('state_dict_ema', ema.state_dict()), ('metric', 75.19)])
    w.put('parnet-s-timm.pth.tar', ckpt, 'parnet-s', logits(m, m.state_dict(), w.x),
          'state_dict', 'timm checkpoint; state_dict has module. prefixes; EMA differs',
          extra={'expected_ema': 'parnet-s-timm.expected-ema.npy'})
    np.save(os.path.join(w.outdir, 'parnet-s-timm.expected-ema.npy'),
            logits(ema, ema.state_dict(), w.x))
    # bfloat16 copy of the plain weights
    bsd = collections.OrderedDict((k, v.bfloat16() if v.is_floating_point() else v)
                                  for k, v in m.state_dict().items())
    w.put('parnet-s-bf16.pth', bsd, 'parnet-s', logits(m, bsd, w.x), '',
          'plain dict, bfloat16 tensors (expected = fp32 run of the bf16-rounded weights)')


def timm_repvgg_key(k):
    """Official RepVGG key -> timm byobnet key (timm/models/byobnet.py, RepVggBlock + ConvBnAct)."""
    if k.startswith('linear.'):
        return 'head.fc.' + k[len('linear.'):]
    head, rest = k.split('.', 1)
    if head == 'stage0':
        prefix = 'stem'
    else:
        idx, rest = rest.split('.', 1)
        prefix = 'stages.%d.%s' % (int(head[5:]) - 1, idx)
    rest = (rest.replace('rbr_dense.', 'conv_kxk.').replace('rbr_1x1.', 'conv_1x1.')
            .replace('rbr_identity.', 'identity.'))
    return prefix + '.' + rest


def write_repvgg(w, a):
    m = make('repvgg-a0', a, 303)
    sd = m.state_dict()
    y = logits(m, sd, w.x)
    w.put('repvgg-a0-train.pth', sd, 'repvgg-a0', y, '', 'plain training-form dict')
    dsd = nm.deploy_state_dict(m)
    d = nm.to_deploy(m)
    w.put('repvgg-a0-deploy.pth', dsd, 'repvgg-a0', logits(d, dsd, w.x), '',
          'plain deploy dict (rbr_reparam)', deploy=True)
    tsd = collections.OrderedDict((timm_repvgg_key(k), v) for k, v in sd.items())
    w.put('repvgg-a0-timm.pth', tsd, 'repvgg-a0', y, '',
          'timm byobnet key scheme (stem.conv_kxk.conv.weight, stages.K.I.identity.*, head.fc)')
    hsd = collections.OrderedDict((k, v.half() if v.is_floating_point() else v)
                                  for k, v in sd.items())
    w.put('repvgg-a0-train-fp16.pth', hsd, 'repvgg-a0', logits(m, hsd, w.x), '',
          'plain dict, float16 tensors (expected = fp32 run of the fp16-rounded weights)')
    # Views into one shared storage at non-zero offsets; 4-D weights with channels-last strides.
    total = sum(v.numel() + 3 for v in sd.values() if v.is_floating_point()) + 16
    flat = torch.zeros(total)
    vsd, off = collections.OrderedDict(), 16
    for k, v in sd.items():
        if not v.is_floating_point():
            vsd[k] = v
            continue
        n = v.numel()
        if v.dim() == 4 and v.shape[1] > 1:
            cl = v.permute(0, 2, 3, 1).contiguous()
            flat[off:off + n] = cl.reshape(-1)
            t = flat[off:off + n].view(cl.shape).permute(0, 3, 1, 2)
        else:
            flat[off:off + n] = v.reshape(-1)
            t = flat[off:off + n].view(v.shape)
        assert torch.equal(t, v)
        vsd[k] = t
        off += n + 3
    w.put('repvgg-a0-views.pth', vsd, 'repvgg-a0', y, '',
          'all tensors share one storage (non-zero storage offsets); 4-D weights are '
          'channels-last strided views')


def write_vanillanet(w, a):
    m = make('vanillanet-5', a, 404)
    ema = make('vanillanet-5', a, 505)
    w.put('vanillanet-5.pth', {'model': m.state_dict(), 'model_ema': ema.state_dict()},
          'vanillanet-5', logits(ema, ema.state_dict(), w.x), 'model_ema',
          "{'model','model_ema'} training form; the README evaluates model_ema",
          extra={'expected_model': 'vanillanet-5.expected-model.npy'})
    np.save(os.path.join(w.outdir, 'vanillanet-5.expected-model.npy'),
            logits(m, m.state_dict(), w.x))
    dsd = nm.deploy_state_dict(ema)
    d = nm.to_deploy(ema)
    w.put('vanillanet-5-deploy.pth', {'model': dsd}, 'vanillanet-5', logits(d, dsd, w.x), 'model',
          "deploy form {'model': ...} (main.py --switch_to_deploy)", deploy=True)


# timm names written by --timm-zoo, with their seeds
TIMM_ZOO = (('vovnet39a', 601), ('darknet53', 602), ('resnetv2_50', 603))


def write_timm_zoo(w, a):
    import nd_timm
    models = {}
    for name, seed in TIMM_ZOO:
        m = nm.init_random(nd_timm.build(name, classes=a.classes), seed=seed).eval()
        models[name] = m
        w.put(name + '.pth', m.state_dict(), nd_timm.PRESETS[name], logits(m, m.state_dict(), w.x),
              '', 'timm plain state_dict', extra={'params': nd_timm.count_params(m)})
    m = models['vovnet39a']
    ema = nm.init_random(nd_timm.build('vovnet39a', classes=a.classes), seed=604).eval()
    sd = collections.OrderedDict(('module.' + k, v) for k, v in m.state_dict().items())
    ckpt = collections.OrderedDict([
        ('epoch', 299), ('arch', 'vovnet39a'), ('state_dict', sd), ('version', 2),
        ('state_dict_ema', ema.state_dict()), ('metric', 76.8)])
    w.put('vovnet39a-train.pth.tar', ckpt, 'vovnet-39', logits(m, m.state_dict(), w.x),
          'state_dict', 'timm checkpoint; state_dict has module. prefixes; EMA differs',
          extra={'expected_ema': 'vovnet39a-train.expected-ema.npy',
                 'params': nd_timm.count_params(m)})
    np.save(os.path.join(w.outdir, 'vovnet39a-train.expected-ema.npy'),
            logits(ema, ema.state_dict(), w.x))


# ------------------------------------------------------------------------------------------------
# Hostile corpus
# ------------------------------------------------------------------------------------------------

class _Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    """Pickles exactly like a torch tensor (torch._utils._rebuild_tensor_v2 + persistent id)."""

    def __init__(self, key, numel, offset, size, stride):
        self.args = (_Storage(key, numel), offset, tuple(size), tuple(stride))

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ('storage', torch.FloatStorage, obj.key, 'cpu', obj.numel)
        return None


def torch_zip(pkl, storages, version=b'3\n'):
    """A torch zip checkpoint from raw pickle bytes and {key: bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', pkl)
        for k, v in storages.items():
            z.writestr('archive/data/%s' % k, v)
        z.writestr('archive/version', version)
    return buf.getvalue()


def fake_pickle(entries):
    """entries: list of (name, key, numel, offset, size, stride)."""
    d = collections.OrderedDict((n, _Tensor(k, ne, o, s, st_)) for n, k, ne, o, s, st_ in entries)
    b = io.BytesIO()
    _Pickler(b, protocol=2).dump(d)
    return b.getvalue()


def _f32(n, val=0.5):
    return struct.pack('<%df' % n, *([val] * n))


HOSTILE = collections.OrderedDict()


def hostile(fname, why):
    def deco(fn):
        HOSTILE[fname] = (fn, why)
        return fn
    return deco


@hostile('os_system.pth', 'zip checkpoint whose data.pkl does GLOBAL os.system + REDUCE')
def _h_os_system():
    cmd = b'echo nondeep-hostile-pickle-ran'
    pkl = b'\x80\x02cos\nsystem\nX' + struct.pack('<I', len(cmd)) + cmd + b'\x85R.'
    return torch_zip(pkl, {})


@hostile('os_system_nested.pth', 'os.system REDUCE hidden as a dict value next to a real tensor')
def _h_os_system_nested():
    good = fake_pickle([('w', '0', 4, 0, (2, 2), (2, 1))])
    # Replace the final STOP: add key 'x' -> os.system('...') via SETITEM on the top dict.
    evil = (b'X\x01\x00\x00\x00xcposix\nsystem\nX\x04\x00\x00\x00true\x85Rs.')
    return torch_zip(good[:-1] + evil, {'0': _f32(4)})


@hostile('builtins_eval.pkl', 'legacy raw pickle: builtins.eval via STACK_GLOBAL + REDUCE')
def _h_eval():
    return (b'\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94'
            b'\x8c\x031+1\x94\x85\x94R\x94.')


@hostile('subprocess_popen.pth', 'GLOBAL subprocess.Popen + REDUCE inside a torch zip')
def _h_popen():
    return torch_zip(b'\x80\x02csubprocess\nPopen\n]X\x04\x00\x00\x00truea\x85R.', {})


@hostile('truncated.pth', 'a valid small checkpoint cut in half (no central directory)')
def _h_truncated():
    buf = io.BytesIO()
    torch.save({'w': torch.arange(64, dtype=torch.float32)}, buf)
    data = buf.getvalue()
    return data[:len(data) // 2]


@hostile('short_storage.pth', 'tensor [64,64] over a storage that declares and holds 4 floats')
def _h_short_storage():
    return torch_zip(fake_pickle([('w', '0', 4, 0, (64, 64), (64, 1))]), {'0': _f32(4)})


@hostile('short_storage_file.pth', 'storage declares 1024 floats, data/0 holds 16 bytes')
def _h_short_file():
    return torch_zip(fake_pickle([('w', '0', 1024, 0, (32, 32), (32, 1))]), {'0': _f32(4)})


@hostile('bad_offset.pth', 'storage offset past the end, and a negative offset')
def _h_bad_offset():
    return torch_zip(fake_pickle([('a', '0', 16, 100, (4,), (1,)), ('b', '0', 16, -8, (4,), (1,))]),
                     {'0': _f32(16)})


@hostile('huge_dims.pth', 'sizes 2^40 x 2^40 (numel overflows 64 bits when multiplied by 4)')
def _h_huge_dims():
    return torch_zip(fake_pickle([('w', '0', 4, 0, (1 << 40, 1 << 40), (1 << 40, 1))]),
                     {'0': _f32(4)})


@hostile('huge_numel.pth', 'storage numel 2^62 declared, 16 bytes present')
def _h_huge_numel():
    return torch_zip(fake_pickle([('w', '0', 1 << 62, 0, (4,), (1,))]), {'0': _f32(4)})


@hostile('huge_string.pkl', 'BINUNICODE declaring 0xFFFFFFFF bytes in a 20-byte file')
def _h_huge_string():
    return b'\x80\x02X\xff\xff\xff\xffabcdefgh'


@hostile('huge_bytes8.pkl', 'BINBYTES8 declaring 2^63 bytes')
def _h_huge_bytes8():
    return b'\x80\x04\x8e' + struct.pack('<Q', 1 << 63) + b'abcd'


@hostile('deep_nesting_lists.pth', '4000 nested EMPTY_LIST/APPEND levels in data.pkl')
def _h_deep_lists():
    n = 4000
    return torch_zip(b'\x80\x02' + b']' * n + b'a' * (n - 1) + b'.', {})


@hostile('deep_nesting_marks.pkl', '4000 nested MARK ... TUPLE levels (raw pickle)')
def _h_deep_marks():
    n = 4000
    return b'\x80\x02' + b'(' * n + b't' * n + b'.'


@hostile('memo_bomb.pkl', 'LONG_BINPUT at memo index 2^31-1, then LONG_BINGET of index 0 (never put)')
def _h_memo():
    return b'\x80\x02]r\xff\xff\xff\x7fj\x00\x00\x00\x00.'


@hostile('zip_huge_entry.pth', 'zip local header claims a 4 GiB data.pkl')
def _h_zip_huge():
    data = bytearray(torch_zip(fake_pickle([('w', '0', 4, 0, (4,), (1,))]), {'0': _f32(4)}))
    i = data.find(b'PK\x03\x04')
    data[i + 18:i + 26] = struct.pack('<II', 0xFFFFFFF0, 0xFFFFFFF0)   # compressed, uncompressed
    j = data.find(b'PK\x01\x02')
    data[j + 20:j + 28] = struct.pack('<II', 0xFFFFFFF0, 0xFFFFFFF0)
    return bytes(data)


@hostile('not_a_zip.pth', 'random bytes')
def _h_random():
    return bytes(np.random.RandomState(3).randint(0, 256, 512, dtype=np.uint8))


@hostile('nan_weights.pth', 'a valid tensor dict whose weights are NaN and +Inf')
def _h_nan():
    buf = io.BytesIO()
    torch.save({'stage0.rbr_dense.conv.weight': torch.full((4, 3, 3, 3), float('nan')),
                'linear.bias': torch.tensor([1.0, float('inf')])}, buf)
    return buf.getvalue()


@hostile('nan_weights.safetensors', 'safetensors with NaN / Inf weights')
def _h_nan_st():
    b = io.BytesIO()
    hdr = json.dumps({'stage0.rbr_dense.conv.weight': {'dtype': 'F32', 'shape': [2, 2],
                                                       'data_offsets': [0, 16]}}).encode()
    hdr += b' ' * ((8 - len(hdr) % 8) % 8)
    b.write(struct.pack('<Q', len(hdr)) + hdr + struct.pack('<4f', float('nan'), 1, float('inf'),
                                                            -float('inf')))
    return b.getvalue()


def _st(header, data=b'', hlen=None):
    hj = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack('<Q', len(hj) if hlen is None else hlen) + hj + data


@hostile('st_huge_header.safetensors', 'header length 2^63')
def _h_st_hlen():
    return _st({'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}}, b'\0' * 4, 1 << 63)


@hostile('st_offsets_oob.safetensors', 'data_offsets past the end of the file')
def _h_st_oob():
    return _st({'a': {'dtype': 'F32', 'shape': [1024], 'data_offsets': [0, 4096]}}, b'\0' * 16)


@hostile('st_overlap.safetensors', 'two tensors over the same bytes')
def _h_st_overlap():
    return _st({'a': {'dtype': 'F32', 'shape': [4], 'data_offsets': [0, 16]},
                'b': {'dtype': 'F32', 'shape': [4], 'data_offsets': [8, 24]}}, b'\0' * 24)


@hostile('st_shape_mismatch.safetensors', 'shape [1000,1000] over 16 bytes')
def _h_st_shape():
    return _st({'a': {'dtype': 'F32', 'shape': [1000, 1000], 'data_offsets': [0, 16]}}, b'\0' * 16)


@hostile('st_bad_dtype.safetensors', 'unknown dtype "F128", negative dim')
def _h_st_dtype():
    return _st({'a': {'dtype': 'F128', 'shape': [1], 'data_offsets': [0, 16]},
                'b': {'dtype': 'F32', 'shape': [-4], 'data_offsets': [16, 32]}}, b'\0' * 32)


@hostile('st_not_json.safetensors', 'header is not JSON')
def _h_st_json():
    return _st(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', b'\0' * 4)


@hostile('st_dim_overflow.safetensors', 'shape [2^32, 2^32, 2^32] (element count overflows)')
def _h_st_dims():
    return _st({'a': {'dtype': 'F32', 'shape': [1 << 32, 1 << 32, 1 << 32],
                      'data_offsets': [0, 0]}}, b'')


def write_hostile(d):
    os.makedirs(d, exist_ok=True)
    lines = ['# Hostile loader corpus (generated by tools/write_checkpoints.py)', '',
             'Every file must be refused with a clear GError, without executing anything,',
             'crashing, or allocating what a header claims before checking it.', '',
             '| file | bytes | what |', '|---|---|---|']
    for fname, (fn, why) in HOSTILE.items():
        data = fn()
        assert len(data) <= 10 * 1024, fname
        with open(os.path.join(d, fname), 'wb') as f:
            f.write(data)
        lines.append('| `%s` | %d | %s |' % (fname, len(data), why))
    with open(os.path.join(d, 'README.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('hostile: %d files in %s' % (len(HOSTILE), d))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('outdir')
    ap.add_argument('--width', type=float, default=0.25)
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--resolution', type=int, default=64)
    ap.add_argument('--hostile-only', action='store_true')
    ap.add_argument('--hostile-dir', help='default OUTDIR/hostile')
    ap.add_argument('--timm-zoo', action='store_true', help="only timm's zoo layouts")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.outdir, exist_ok=True)
    if a.timm_zoo:
        w = Writer(a.outdir, a)
        write_timm_zoo(w, a)
        with open(os.path.join(a.outdir, 'manifest.json'), 'w') as f:
            json.dump(w.manifest, f, indent=1)
        return 0
    write_hostile(a.hostile_dir or os.path.join(a.outdir, 'hostile'))
    if a.hostile_only:
        return 0
    w = Writer(a.outdir, a)
    write_parnet_timm(w, a)
    write_repvgg(w, a)
    write_vanillanet(w, a)
    with open(os.path.join(a.outdir, 'manifest.json'), 'w') as f:
        json.dump(w.manifest, f, indent=1)
    print('manifest: %s' % os.path.join(a.outdir, 'manifest.json'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
