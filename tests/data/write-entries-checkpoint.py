#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A PyTorch zip checkpoint with several state dicts, written without torch (the UI test of
the window's state-dict chooser runs where torch is not installed):

    write-entries-checkpoint.py OUT.pth.tar NAME=WEIGHTS.safetensors [NAME=…]

Each NAME (state_dict, state_dict_ema, …) holds the float32 tensors of its safetensors file,
pickled as torch.save does (torch._utils._rebuild_tensor_v2 over persistent storages), plus
an "epoch" entry that is not a state dict."""

import collections
import io
import json
import pickle
import struct
import sys
import types
import zipfile

# Stand-ins so that pickle writes the GLOBALs torch.save writes.
torch = types.ModuleType('torch')
torch_utils = types.ModuleType('torch._utils')


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


class FloatStorage:
    pass


_rebuild_tensor_v2.__module__ = 'torch._utils'
FloatStorage.__module__ = 'torch'
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch.FloatStorage = FloatStorage
torch._utils = torch_utils
sys.modules['torch'] = torch
sys.modules['torch._utils'] = torch_utils


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class Tensor:
    def __init__(self, storage, shape):
        stride, s = [], 1
        for d in reversed(shape):
            stride.insert(0, s)
            s *= d
        self.args = (storage, 0, tuple(shape), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', FloatStorage, obj.key, 'cpu', obj.numel)
        return None


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = collections.OrderedDict()
    for name, v in header.items():
        if name == '__metadata__':
            continue
        if v['dtype'] != 'F32':
            raise SystemExit('%s: %s is %s, not F32' % (path, name, v['dtype']))
        a, b = v['data_offsets']
        out[name] = (v['shape'], data[8 + n + a:8 + n + b])
    return out


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    root, storages = collections.OrderedDict(), {}
    for arg in sys.argv[2:]:
        entry, path = arg.split('=', 1)
        sd = collections.OrderedDict()
        for name, (shape, raw) in read_safetensors(path).items():
            key = str(len(storages))
            storages[key] = raw
            sd[name] = Tensor(Storage(key, len(raw) // 4), shape)
        root[entry] = sd
    root['epoch'] = 3
    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump(root)
    with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', pkl.getvalue())
        for k, v in storages.items():
            z.writestr('archive/data/%s' % k, v)
        z.writestr('archive/version', b'3\n')


if __name__ == '__main__':
    main()
