#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hostile and broken checkpoints of tests/test-checkpoint.c (standard library only;
the outputs are committed). Pickles are assembled opcode by opcode, laid out as torch.save
writes them: a zip of archive/data.pkl, archive/byteorder and archive/data/<key>."""
import io
import math
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PWNED = "/tmp/nd-hostile-pwned"


def u(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def i32(n):
    return b"J" + struct.pack("<i", n)


def tup(vals):
    return b"(" + b"".join(i32(v) for v in vals) + b"t"


def tensor(key, numel, offset, size, stride, stype="FloatStorage"):
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" +
            b"(" + u("storage") + b"ctorch\n" + stype.encode() + b"\n" + u(key) + u("cpu") +
            i32(numel) + b"tQ" + i32(offset) + tup(size) + tup(stride) + b"\x89" +
            b"ccollections\nOrderedDict\n)R" + b"tR")


def state_pickle(entries):
    """entries: [(name, key, numel, offset, size, stride)]"""
    out = b"\x80\x02}("
    for e in entries:
        out += u(e[0]) + tensor(*e[1:])
    return out + b"u."


def contiguous_stride(size):
    s, acc = [], 1
    for d in reversed(size):
        s.insert(0, acc)
        acc *= d
    return s


def write_zip(name, pkl, storages=None, method=zipfile.ZIP_STORED):
    path = os.path.join(HERE, name)
    def put(z, name, data):
        # a fixed timestamp: regenerating the corpus gives the same bytes
        z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, method)

    with zipfile.ZipFile(path, "w", method) as z:
        put(z, "archive/data.pkl", pkl)
        put(z, "archive/byteorder", "little")
        for k, v in (storages or {}).items():
            put(z, "archive/data/" + k, v)
        put(z, "archive/version", "3\n")
    return path


SMALL = [  # the keys and shapes of small_graph() in tests/test-checkpoint.c
    ("stage0.conv.weight", [6, 1, 3, 3]), ("stage0.bn.weight", [6]), ("stage0.bn.bias", [6]),
    ("stage0.bn.running_mean", [6]), ("stage0.bn.running_var", [6]),
    ("stage1.conv.weight", [4, 6, 3, 3]), ("stage1.conv.bias", [4]),
    ("linear.weight", [5, 4]), ("linear.bias", [5]),
]


def small_checkpoint(nan_key=None):
    entries, storages = [], {}
    for i, (k, shape) in enumerate(SMALL):
        n = math.prod(shape)
        vals = [0.5 + 0.01 * j for j in range(n)]
        if k == nan_key:
            vals[3] = float("nan")
        entries.append((k, str(i), n, 0, shape, contiguous_stride(shape)))
        storages[str(i)] = struct.pack("<%df" % n, *vals)
    return state_pickle(entries), storages


def main():
    # 1. a pickle that names os.system and REDUCEs it (as a value) — must stay inert data
    pkl = (b"\x80\x02}" + u("state_dict") + b"cposix\nsystem\n(" + u("touch " + PWNED) +
           b"tRs.")
    write_zip("os-system-value.pth", pkl)
    # 2. the same as the root object, through STACK_GLOBAL (protocol 4) and builtins.eval
    pkl = (b"\x80\x04" + u("builtins") + u("eval") + b"\x93(" +
           u("__import__('os').system('touch %s')" % PWNED) + b"tR.")
    write_zip("eval-root.pth", pkl)
    # 3. os.system smuggled in as a storage numel
    pkl = (b"\x80\x02}(" + u("w") + b"ctorch._utils\n_rebuild_tensor_v2\n((" + u("storage") +
           b"ctorch\nFloatStorage\n" + u("0") + u("cpu") + b"cposix\nsystem\n(" +
           u("touch " + PWNED) + b"tRtQ" + i32(0) + tup([1]) + tup([1]) +
           b"\x89ccollections\nOrderedDict\n)RtRu.")
    write_zip("os-system-numel.pth", pkl, {"0": b"\0" * 4})
    # 4. huge declared lengths
    write_zip("huge-string.pth", b"\x80\x04}\x8d" + struct.pack("<Q", 1 << 62) + b"abc")
    write_zip("huge-bytes.pth", b"\x80\x02}B" + struct.pack("<I", 0xfffffff0) + b"abc")
    pkl = state_pickle([("w", "0", 1 << 30, 0, [1 << 20, 1 << 20], [1 << 20, 1])])
    write_zip("huge-tensor.pth", pkl, {"0": b"\0" * 16})
    pkl = state_pickle([("w", "0", 1 << 30, 0, [4], [1])])
    write_zip("huge-storage.pth", pkl, {"0": b"\0" * 16})
    # 5. deep nesting: lists in lists, and MARKs
    write_zip("deep-lists.pth", b"\x80\x02" + b"]" * 400 + b"a" * 399 + b".")
    write_zip("deep-marks.pth", b"\x80\x02" + b"(" * 5000 + b")" + b".")
    write_zip("deep-tuples.pth", b"\x80\x02)" + b"\x85" * 1000 + b".")
    # 6. a list that contains itself, under a dict
    write_zip("cycle.pth", b"\x80\x02}" + u("a") + b"]q\x00h\x00as.")
    # 7. a good checkpoint, truncated
    pkl, st = small_checkpoint()
    good = write_zip("good.pth", pkl, st)
    data = open(good, "rb").read()
    open(os.path.join(HERE, "truncated-half.pth"), "wb").write(data[: len(data) // 2])
    open(os.path.join(HERE, "truncated-tail.pth"), "wb").write(data[:-30])
    # 8. a storage shorter than its tensor
    pkl = state_pickle([("w", "0", 16, 0, [4, 4], [4, 1])])
    write_zip("short-storage.pth", pkl, {"0": b"\0" * 40})
    # 9. a tensor that reaches past its storage
    pkl = state_pickle([("w", "0", 16, 8, [10], [1])])
    write_zip("out-of-storage.pth", pkl, {"0": b"\0" * 64})
    # 10. a missing storage entry
    pkl = state_pickle([("w", "7", 4, 0, [4], [1])])
    write_zip("missing-storage.pth", pkl, {"0": b"\0" * 16})
    # 11. NaN weights (structurally valid)
    pkl, st = small_checkpoint(nan_key="stage0.bn.running_var")
    write_zip("nan.pth", pkl, st)
    # 12. compressed entries (not what torch.save writes)
    pkl, st = small_checkpoint()
    write_zip("deflated.pth", pkl, st, zipfile.ZIP_DEFLATED)
    # 13. legacy torch.save magic
    open(os.path.join(HERE, "legacy.pth"), "wb").write(
        b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.")
    # 14. unknown opcode, stack underflow, memo miss
    write_zip("bad-opcode.pth", b"\x80\x02}\xff.")
    write_zip("underflow.pth", b"\x80\x02s.")
    write_zip("memo-miss.pth", b"\x80\x02}h\x07s.")
    # 15. a central directory that points outside the file
    data = bytearray(open(good, "rb").read())
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 16: eocd + 20] = struct.pack("<I", 0x7ffffff0)
    open(os.path.join(HERE, "bad-cd-offset.pth"), "wb").write(bytes(data))
    # 16. a tensor with a dtype we cannot read
    pkl = state_pickle([("w", "0", 4, 0, [4], [1], "ComplexFloatStorage")])
    write_zip("complex.pth", pkl, {"0": b"\0" * 32})
    round_two(good)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def safetensors(header, data=b""):
    h = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(h)) + h + data


def zip_entry_span(data, name):
    """(offset of the local header, offset of the data) of entry @name in a stored zip"""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    lo = info.header_offset
    nlen, xlen = struct.unpack("<HH", data[lo + 26: lo + 30])
    return lo, lo + 30 + nlen + xlen


def central_record(data, name):
    """offset of the central directory record of entry @name"""
    eocd = data.rfind(b"PK\x05\x06")
    n, _, pos = struct.unpack("<HIi", data[eocd + 10: eocd + 20])
    for _ in range(n):
        nlen, xlen, clen = struct.unpack("<HHH", data[pos + 28: pos + 34])
        if data[pos + 46: pos + 46 + nlen] == name.encode():
            return pos
        pos += 46 + nlen + xlen + clen
    raise KeyError(name)


def png_chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))


def round_two(good):
    """Issue 13: strict JSON, decoded-bytes budget, zip integrity, images."""
    entry = '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}'
    two = struct.pack("<2f", 1.0, 2.0)
    # json-glib accepted single quotes; a '"' inside them hid 100000 brackets from the nesting
    # pre-check and its recursive parser overflowed the stack
    write("st-quote-nesting.safetensors",
          safetensors("{'\"':" + "[" * 100000 + "]" * 100000 + ",'\"':0}"))
    write("st-single-quote.safetensors", safetensors("{'a':{\"dtype\":\"F32\",\"shape\":[2],"
                                                     "\"data_offsets\":[0,8]}}", two))
    write("st-comment.safetensors", safetensors("{/* x */" + entry + "}", two))
    write("st-dup-key.safetensors", safetensors("{" + entry + "," + entry + "}", two))
    write("st-nul-key.safetensors",
          safetensors('{"a\\u0000b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', two))
    write("st-gap.safetensors",
          safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', two + two))
    write("st-trailing.safetensors", safetensors("{" + entry + "}", two + two))
    write("st-trailing-comma.safetensors", safetensors("{" + entry + ",}", two))
    # a 651-byte .pth whose tensors view a one-element storage with stride 0: 4 GiB each
    pkl = state_pickle([("w%d" % i, "0", 1, 0, [1 << 15, 1 << 15], [0, 0]) for i in range(8)])
    write_zip("stride0-expand.pth", pkl, {"0": b"\0" * 4})
    # zip integrity: a flipped storage byte, overlapping entries, an entry over the
    # central directory, a name that is not UTF-8
    data = bytearray(open(good, "rb").read())
    lo, at = zip_entry_span(bytes(data), "archive/data/0")
    data[at + 5] ^= 0x10
    write("zip-crc.pth", bytes(data))
    data = bytearray(open(good, "rb").read())
    cd = central_record(bytes(data), "archive/data.pkl")
    size = struct.unpack("<I", data[cd + 20: cd + 24])[0]
    data[cd + 20: cd + 28] = struct.pack("<II", size + 40, size + 40)
    write("zip-overlap.pth", bytes(data))
    data = bytearray(open(good, "rb").read())
    cd = central_record(bytes(data), "archive/version")
    size = struct.unpack("<I", data[cd + 20: cd + 24])[0]
    data[cd + 20: cd + 28] = struct.pack("<II", size + 8, size + 8)
    write("zip-over-cd.pth", bytes(data))
    pkl, st = small_checkpoint()
    st["Z"] = b"\0" * 4
    data = open(write_zip("zip-name.pth", pkl, st), "rb").read()
    write("zip-name.pth", data.replace(b"archive/data/Z", b"archive/data/\xff"))
    # images: a 120-byte-class SVG renamed .png, a PNG zlib bomb (56 MP of zeros in ~55 KB),
    # a forged 16000x16000 JPEG header, truncated JPEG and PNG
    write("svg-as.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="60000" height="60000">'
                        b'<rect width="100%" height="100%"/></svg>')
    w, h = 8000, 7000
    raw = zlib.compress(b"\0" * ((w + 1) * h), 9)
    write("png-bomb.png", b"\x89PNG\r\n\x1a\n" +
          png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
          png_chunk(b"IDAT", raw) + png_chunk(b"IEND", b""))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 16000, 16000, 3) + \
        b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    write("jpeg-16000.jpg", b"\xff\xd8" + sof + b"\xff\xd9")
    jpg = open(os.path.join(HERE, "sample.jpg"), "rb").read()   # 64x48, written by gdk-pixbuf
    write("truncated.jpg", jpg[: len(jpg) * 2 // 3])
    # damage inside the entropy-coded scan, the markers intact: libjpeg only warns and guesses
    sos = jpg.index(b"\xff\xda")
    scan = sos + 2 + (jpg[sos + 2] << 8 | jpg[sos + 3])
    bad = bytearray(jpg)
    bad[scan + 325:scan + 341] = b"\xff\x00" * 8
    write("corrupt-huffman.jpg", bytes(bad))
    bad = bytearray(jpg)
    for j in range(scan + 200, scan + 240):
        bad[j] ^= 0x5A
    write("corrupt-scan.jpg", bytes(bad))
    png = open(os.path.join(HERE, "..", "..", "..", "assets", "samples", "0000-ankle-boot.png"),
               "rb").read()
    write("truncated.png", png[: len(png) // 2])
    # a flipped byte inside IDAT: libpng would decode garbage rows or only warn
    bad = bytearray(png)
    bad[png.index(b"IDAT") + 40] ^= 0x01
    write("png-crc.png", bytes(bad))


if __name__ == "__main__":
    main()
