#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the bundled sample inputs: the first test image of each Fashion-MNIST class as an
8-bit gray PNG (assets/samples/<index>-<label>.png), read from Debian's dataset-fashion-mnist.

    tools/export_samples.py [--data /usr/share/datasets/fashion-mnist] [--out assets/samples]
"""
import argparse
import gzip
import os
import struct
import zlib

LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
          "bag", "ankle-boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xff
    dims = struct.unpack(">%dI" % ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_png(path, width, height, gray):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    rows = b"".join(b"\x00" + gray[y * width:(y + 1) * width] for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets",
                                                  "samples"))
    args = ap.parse_args()
    (n, rows, cols), images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
    os.makedirs(args.out, exist_ok=True)
    seen = set()
    for i in range(n):
        label = labels[i]
        if label in seen:
            continue
        seen.add(label)
        img = images[i * rows * cols:(i + 1) * rows * cols]
        name = "%04d-%s.png" % (i, LABELS[label])
        write_png(os.path.join(args.out, name), cols, rows, img)
        print("wrote", name)
        if len(seen) == len(LABELS):
            break


if __name__ == "__main__":
    main()
