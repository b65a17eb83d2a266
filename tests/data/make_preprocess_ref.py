#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference tensors for tests/test-preprocess.c.

Builds the same synthetic images as the C test (an integer hash, so no image file is
needed), runs each family's evaluation transform the way torchvision/timm run it on PIL
images, and writes one float32 .npy per case into OUTDIR.

Resize: Pillow's Image.resize when Pillow is importable; otherwise a NumPy re-implementation
of Pillow's libImaging/Resample.c (same taps, 22-bit fixed point, horizontal pass first, each
pass rounded to uint8). When Pillow is present both are run and must agree exactly.
Resize size rule, CenterCrop and ToTensor/Normalize follow torchvision's code and run in torch.

Exit status 77 (skip) when numpy or torch is missing. Prints the resize backend used.
With "pillow" in ND_TEST_REQUIRE (CI) a missing Pillow is an error: the NumPy port alone would
compare the C code with a second reading of the same source, not with Pillow itself.
"""
import math
import os
import sys

try:
    import numpy as np
    import torch
except ImportError as e:  # the C test turns this into a skip
    print(f"skip: {e}")
    sys.exit(77)

try:
    from PIL import Image
except ImportError as e:
    if "pillow" in os.environ.get("ND_TEST_REQUIRE", "").replace(" ", ",").split(","):
        sys.exit(f"ND_TEST_REQUIRE names pillow, but Pillow is missing ({e}): "
                 "apt-get install python3-pil")
    Image = None

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PRECISION_BITS = 32 - 8 - 2


def make_image(width, height, seed):
    """uint8 [h, w, 3]; must match make_image() in test-preprocess.c."""
    y, x = np.mgrid[0:height, 0:width].astype(np.uint64)
    out = np.empty((height, width, 3), np.uint8)
    for c in range(3):
        h = (x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ np.uint64((c + seed) * 83492791)
        h = (h * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
        noise = (h >> np.uint64(26)).astype(np.int64)            # 0..63
        smooth = (x * np.uint64(255) // np.uint64(max(width - 1, 1))).astype(np.int64)
        if c == 1:
            smooth = (y * np.uint64(255) // np.uint64(max(height - 1, 1))).astype(np.int64)
        if c == 2:
            smooth = ((x + y) * np.uint64(3) % np.uint64(256)).astype(np.int64)
        disc = np.where((x // np.uint64(16) + y // np.uint64(16)) % np.uint64(2) == 0, 96, 0)
        out[:, :, c] = ((smooth + noise + disc) % 256).astype(np.uint8)
    return out


# --- Pillow's resampling in NumPy -------------------------------------------------------------

def bilinear(x):
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def bicubic(x):
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def coeffs(in_size, out_size, interp):
    """Integer tap matrix [out, in] as Pillow's precompute_coeffs + normalize_coeffs_8bpc."""
    filt, support0 = (bicubic, 2.0) if interp == "bicubic" else (bilinear, 1.0)
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = support0 * filterscale
    m = np.zeros((out_size, in_size), np.int64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        ss = 1.0 / filterscale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [filt((x + xmin - center + 0.5) * ss) for x in range(xmax)]
        ww = sum(w)
        for x in range(xmax):
            k = w[x] / ww if ww != 0.0 else w[x]
            m[xx, xmin + x] = int(-0.5 + k * (1 << PRECISION_BITS)) if k < 0 \
                else int(0.5 + k * (1 << PRECISION_BITS))
    return m


def pass_(img, m, axis):
    """One fixed-point pass along @axis (1: horizontal, 0: vertical) with uint8 clipping."""
    a = img.astype(np.int64)
    if axis == 1:
        acc = np.einsum("hwc,ow->hoc", a, m)
    else:
        acc = np.einsum("hwc,oh->owc", a, m)
    acc = (acc + (1 << (PRECISION_BITS - 1))) >> PRECISION_BITS
    return np.clip(acc, 0, 255).astype(np.uint8)


def numpy_resize(img, size, interp):
    w, h = size
    out = img
    if w != img.shape[1]:
        out = pass_(out, coeffs(img.shape[1], w, interp), 1)
    if h != img.shape[0]:
        out = pass_(out, coeffs(img.shape[0], h, interp), 0)
    return out


def pil_resize(img, size, interp):
    mode = "L" if img.shape[2] == 1 else "RGB"
    im = Image.fromarray(img[:, :, 0] if mode == "L" else img, mode)
    res = Image.BICUBIC if interp == "bicubic" else Image.BILINEAR
    out = np.asarray(im.resize(size, res))
    return out.reshape(out.shape[0], out.shape[1], -1)


def resize(img, size, interp):
    ours = numpy_resize(img, size, interp)
    if Image is not None:
        ref = pil_resize(img, size, interp)
        if not np.array_equal(ours, ref):
            diff = np.abs(ours.astype(int) - ref.astype(int))
            sys.exit(f"numpy resampling differs from Pillow (max {diff.max()}, "
                     f"{(diff > 0).sum()} values)")
        return ref
    return ours


# --- torchvision's transforms on HWC uint8 ------------------------------------------------

def tv_resize_size(w, h, size):
    # torchvision _compute_resized_output_size: new_long = int(size * long / short)
    if w <= h:
        return size, int(size * h / w)
    return int(size * w / h), size


def tv_center_crop(img, crop):
    h, w = img.shape[:2]
    if crop > w or crop > h:
        pl = (crop - w) // 2 if crop > w else 0
        pt = (crop - h) // 2 if crop > h else 0
        pr = (crop - w + 1) // 2 if crop > w else 0
        pb = (crop - h + 1) // 2 if crop > h else 0
        img = np.pad(img, ((pt, pb), (pl, pr), (0, 0)))
        h, w = img.shape[:2]
    top = int(round((h - crop) / 2.0))
    left = int(round((w - crop) / 2.0))
    return img[top:top + crop, left:left + crop]


def to_gray(img):
    # Pillow convert('L'): L24 = R*19595 + G*38470 + B*7471 + 0x8000, >> 16
    a = img.astype(np.int64)
    g = (a[:, :, 0] * 19595 + a[:, :, 1] * 38470 + a[:, :, 2] * 7471 + 0x8000) >> 16
    g = g.astype(np.uint8)
    if Image is not None:
        ref = np.asarray(Image.fromarray(img, "RGB").convert("L"))
        if not np.array_equal(g, ref):
            sys.exit("numpy luma differs from Pillow's convert('L')")
        g = ref
    return g[:, :, None]


def transform(img, resize_to, interp, crop, mean, std, gray=False, canvas=0):
    if gray:
        img = to_gray(img)
    h, w = img.shape[:2]
    if resize_to == 0:
        img = resize(img, (crop, crop), interp)
    else:
        img = resize(img, tv_resize_size(w, h, resize_to), interp)
        img = tv_center_crop(img, crop)
    t = torch.from_numpy(np.array(img, copy=True)).permute(2, 0, 1).contiguous()
    t = t.to(dtype=torch.float32).div(255)                               # ToTensor
    if canvas > crop:
        # tools/train_fashion_mnist.py: F.pad(x, (2, 2, 2, 2), value=0.0) before Normalize
        lo = (canvas - crop) // 2
        hi = canvas - crop - lo
        t = torch.nn.functional.pad(t, (lo, hi, lo, hi), value=0.0)
    m = torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1)
    t = t.sub(m).div(s)                                                   # Normalize
    return t.unsqueeze(0).numpy()


# name, image (w, h, seed), resize, interpolation, crop, gray[, canvas] — mirrored in
# test-preprocess.c: the resampling, crop and normalisation on their own
CASES = [
    ("fmnist-32-a", (333, 250, 1), 28, "bilinear", 28, True, 32),
    ("gray-28-a", (333, 250, 1), 28, "bilinear", 28, True),
    ("gray-28-d", (28, 28, 4), 28, "bilinear", 28, True),
    ("bicubic-up-e", (19, 13, 5), 40, "bicubic", 37, False),
]


def official(family, size):
    """Each family's own evaluation transform at input side `size` (docs/reference/networks.md),
    as (resize of the short side or 0 for a warp to size × size, interpolation, crop).
    Written from the official code, not from the C presets, so a wrong preset shows."""
    if family == "parnet":
        # SimpNet has no default_cfg: timm's resolve_data_config defaults, crop_pct 0.875,
        # bicubic; transforms_imagenet_eval: scale_size = floor(size / crop_pct)
        return int(math.floor(size / 0.875)), "bicubic", size
    if family == "repvgg":
        # DingXiaoH/RepVGG data/build.py with TEST.CROP False (the default):
        # Resize(TEST_SIZE) + CenterCrop(TEST_SIZE); train/config.py DATA.INTERPOLATION bilinear
        return size, "bilinear", size
    if family == "vanillanet":
        # huawei-noah/VanillaNet datasets.py: crop_pct 0.875, interpolation 3 (bicubic);
        # input_size >= 384 is Resize((size, size)) without a crop
        if size >= 384:
            return 0, "bicubic", size
        return int(size / 0.875), "bicubic", size
    if family in ("resnet", "vgg"):
        # torchvision IMAGENET1K_V1 weights: ImageClassification(crop 224, resize 256, bilinear)
        return (256 if size == 224 else int(math.floor(size / 0.875))), "bilinear", size
    raise ValueError(family)


# name, image (w, h, seed), family, input side — the C side takes nd_preprocess_for_spec()
# of that family unchanged (mirrored in test-preprocess.c)
FAMILY_CASES = [
    ("parnet-224-a", (333, 250, 1), "parnet", 224),
    ("parnet-224-c", (1203, 901, 3), "parnet", 224),
    ("parnet-352-b", (181, 403, 2), "parnet", 352),
    ("repvgg-224-c", (1203, 901, 3), "repvgg", 224),
    ("repvgg-96-b", (181, 403, 2), "repvgg", 96),
    ("vanillanet-224-b", (181, 403, 2), "vanillanet", 224),
    ("vanillanet-384-a", (333, 250, 1), "vanillanet", 384),
    ("resnet-224-c", (1203, 901, 3), "resnet", 224),
    ("vgg-224-a", (333, 250, 1), "vgg", 224),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_preprocess_ref.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, (w, h, seed), size, interp, crop, gray, *canvas in CASES:
        img = make_image(w, h, seed)
        mean, std = ((0.2860,), (0.3530,)) if gray else (IMAGENET_MEAN, IMAGENET_STD)
        t = transform(img, size, interp, crop, mean, std, gray, canvas[0] if canvas else 0)
        np.save(os.path.join(outdir, name + ".npy"), t.astype(np.float32))
    for name, (w, h, seed), family, side in FAMILY_CASES:
        size, interp, crop = official(family, side)
        t = transform(make_image(w, h, seed), size, interp, crop, IMAGENET_MEAN, IMAGENET_STD)
        np.save(os.path.join(outdir, name + ".npy"), t.astype(np.float32))
    if Image is not None:
        print(f"resize backend: Pillow {Image.__version__} (numpy re-implementation checked equal)")
    else:
        print("resize backend: numpy re-implementation")


if __name__ == "__main__":
    main()
