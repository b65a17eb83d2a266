# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny pure-Python safetensors writer/reader (no `safetensors` package), and .npy helpers.

Format: 8-byte little-endian u64 header length N, then N bytes of JSON
{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}}
(padded with spaces to a multiple of 8), then the raw little-endian, C-order tensor data.
Offsets are relative to the start of the data area.
"""
import json
import struct
from collections import OrderedDict

import numpy as np

try:
    import torch
except ImportError:  # the reader works with numpy alone
    torch = None

# safetensors dtype -> (numpy dtype, torch dtype name)
_DTYPES = OrderedDict([
    ('F64', ('<f8', 'float64')), ('F32', ('<f4', 'float32')), ('F16', ('<f2', 'float16')),
    ('BF16', (None, 'bfloat16')), ('I64', ('<i8', 'int64')), ('I32', ('<i4', 'int32')),
    ('I16', ('<i2', 'int16')), ('I8', ('i1', 'int8')), ('U8', ('u1', 'uint8')),
    ('BOOL', ('?', 'bool')),
])


def _tensor_bytes(t):
    """(dtype tag, shape, bytes) of a torch tensor or numpy array."""
    if torch is not None and isinstance(t, torch.Tensor):
        t = t.detach().cpu().contiguous()
        name = str(t.dtype).replace('torch.', '')
        tag = next((k for k, v in _DTYPES.items() if v[1] == name), None)
        if tag is None:
            raise TypeError('unsupported dtype %s' % t.dtype)
        if tag == 'BF16':
            raw = t.view(torch.int16).numpy().astype('<i2').tobytes()
        else:
            raw = t.numpy().astype(_DTYPES[tag][0], copy=False).tobytes()
        return tag, list(t.shape), raw
    a = np.ascontiguousarray(np.asarray(t))
    tag = next((k for k, v in _DTYPES.items() if v[0] and np.dtype(v[0]) == a.dtype.newbyteorder('<')
                ), None)
    if tag is None:
        raise TypeError('unsupported dtype %s' % a.dtype)
    return tag, list(a.shape), a.astype(_DTYPES[tag][0], copy=False).tobytes()


def save(path, tensors, metadata=None, dtype=None):
    """Write `tensors` (name -> torch.Tensor or numpy array, in the given order).

    dtype: None keeps each tensor's dtype; 'F32' (etc.) converts floating tensors first.
    metadata: dict str -> str, stored as "__metadata__"."""
    header = OrderedDict()
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    blobs, off = [], 0
    for name, t in tensors.items():
        if dtype is not None and torch is not None and isinstance(t, torch.Tensor) and \
                t.is_floating_point():
            t = t.to(getattr(torch, _DTYPES[dtype][1]))
        tag, shape, raw = _tensor_bytes(t)
        header[name] = {'dtype': tag, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hj = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hj += b' ' * ((8 - len(hj) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def load(path, as_torch=True):
    """Read a safetensors file. Returns (OrderedDict name -> tensor, metadata dict).

    Validates the header length, dtypes, shapes and offsets (in bounds, sizes match, no overlap).
    BF16 is returned as torch.bfloat16 (or as float32 numpy when as_torch=False or no torch)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError('%s: too short for a safetensors header' % path)
    (n,) = struct.unpack('<Q', data[:8])
    if n > len(data) - 8 or n > 100 * 1024 * 1024:
        raise ValueError('%s: header length %d exceeds the file' % (path, n))
    header = json.loads(data[8:8 + n].decode('utf-8'), object_pairs_hook=OrderedDict)
    if not isinstance(header, dict):
        raise ValueError('%s: header is not a JSON object' % path)
    base = 8 + n
    size = len(data) - base
    meta = header.pop('__metadata__', {}) or {}
    out = OrderedDict()
    spans = []
    for name, info in header.items():
        tag, shape, (b, e) = info['dtype'], info['shape'], info['data_offsets']
        if tag not in _DTYPES:
            raise ValueError('%s: %s: unknown dtype %s' % (path, name, tag))
        if not (0 <= b <= e <= size):
            raise ValueError('%s: %s: data_offsets out of bounds' % (path, name))
        item = 2 if tag == 'BF16' else np.dtype(_DTYPES[tag][0]).itemsize
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if any(int(s) < 0 for s in shape) or count * item != e - b:
            raise ValueError('%s: %s: shape %s does not match %d bytes' % (path, name, shape, e - b))
        spans.append((b, e, name))
        raw = data[base + b:base + e]
        if tag == 'BF16':
            bits = np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16
            arr = bits.view('<f4').reshape(shape)
            if as_torch and torch is not None:
                out[name] = torch.from_numpy(arr.copy()).to(torch.bfloat16)
                continue
        else:
            arr = np.frombuffer(raw, dtype=_DTYPES[tag][0]).reshape(shape)
        out[name] = torch.from_numpy(arr.copy()) if (as_torch and torch is not None) else arr.copy()
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ValueError('%s: %s and %s overlap' % (path, n0, n1))
    return out, dict(meta)


def save_npy(path, array):
    """float32 little-endian C-order .npy (what the C runtime reads)."""
    if torch is not None and isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    np.save(path, np.ascontiguousarray(array, dtype='<f4'))


def load_npy(path):
    return np.load(path, allow_pickle=False)


if __name__ == '__main__':
    import sys
    t, m = load(sys.argv[1], as_torch=False)
    print(json.dumps(m, indent=1))
    for k, v in t.items():
        print(k, v.dtype, list(v.shape))
